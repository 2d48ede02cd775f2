/* deep-search.h: running v2 deep searches: one "match" worker job per capture of a search's
 * pool (worker-protocol.h), a few at a time per search so that searches run in parallel across
 * captures without filling the job queue, each outcome recorded in the store as it arrives.
 * Pools left unfinished by a restart are resumed. Also knows how far the running jobs got, for
 * progress_percent.
 * Must not know HTTP: routes create the search rows and read them back.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "jobs/job-queue.h"
#include "store/store.h"

G_BEGIN_DECLS

typedef struct DeepSearchRunner DeepSearchRunner;

/* parallel: match jobs one search may have queued or running at once (at least 1). */
DeepSearchRunner *deep_search_runner_new(Store *store, JobQueue *jobs, guint parallel);
/* Withdraws the jobs still queued or running; their entries stay pending in the store. */
void deep_search_runner_free(DeepSearchRunner *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DeepSearchRunner, deep_search_runner_free)

/* Searches the pending entries of a search recorded in the store; nothing if already running.
 * token_id: the creating token's, for deep_search_runner_count_running(). */
void deep_search_runner_start(DeepSearchRunner *self, const char *search_id, gint64 token_id,
			      const char *display_filter);
/* Withdraws a running search's jobs (queued ones dropped, running ones' workers stopped);
 * FALSE when it was not running. */
gboolean deep_search_runner_stop(DeepSearchRunner *self, const char *search_id);
/* How many of this token's searches are running, or reserved: a reservation counts while its
 * search is being recorded (in a worker thread), until it is started or given up. */
guint deep_search_runner_count_running(DeepSearchRunner *self, gint64 token_id);
void deep_search_runner_reserve(DeepSearchRunner *self, gint64 token_id);
void deep_search_runner_unreserve(DeepSearchRunner *self, gint64 token_id);
/* Starts every search with pending entries (after a restart). */
void deep_search_runner_resume_all(DeepSearchRunner *self);
/* Sum of the fractions done of the search's running jobs (0 when none run). */
double deep_search_runner_running_fraction(DeepSearchRunner *self, const char *search_id);

/* A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. */
char *deep_search_new_id(void);
/* TRUE for the 8-4-4-4-12 lowercase hex form deep_search_new_id() makes. */
gboolean deep_search_id_is_valid(const char *id);

G_END_DECLS
