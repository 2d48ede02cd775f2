/* job-events.h: what each dissection job leaves behind: a "job" log line with its kind, passes,
 * outcome and duration, and the sharkapi_jobs_total and sharkapi_passes_total counters.
 * job-queue.c calls it with one line where a job ends; the request line tells the job's kind.
 * Must not change what a job does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* started_us: g_get_monotonic_time() when the job went to a worker, 0 if it never did. */
void job_events_finished(const char *request, gint64 started_us, gboolean cancelled, const GError *error);

G_END_DECLS
