/* routes-answer-file.h: answers a worker writes whole into a file (stats/io, objects/<proto>).
 * The result cache has the answer (a file read), or one job writes it into a temp file of the
 * store, which then moves into the cache under the same disk accounting as every cached
 * answer; an answer the cache does not take (too large, caching off) is served from the temp
 * file once and removed. Either way the route gets the answer mapped, never read into memory.
 * Must not know what the answers hold.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

typedef struct AnswerFile AnswerFile;

/* answer: the mapped answer (borrowed), or NULL with error set; hit: it was computed before. */
typedef void (*AnswerFileReady)(GMappedFile *answer, gboolean hit, const GError *error, gpointer user_data);
/* The job's request line, given the file it must write. */
typedef char *(*AnswerFileJobLine)(const char *output, gpointer user_data);

/* Calls ready before returning (and returns NULL) on a hit or when the job cannot start;
 * otherwise returns the pending fetch, and ready runs when the job ends. metric_label names the
 * cache in sharkapi_cache_{hits,misses}_total ("cache=\"io\""). warm_key: the capture path of a
 * two-pass job, else NULL. */
AnswerFile *answer_file_fetch(HttpServer *server, const char *capture_id, const char *cache_key,
			      const char *metric_label, AnswerFileJobLine job_line, const char *warm_key,
			      AnswerFileReady ready, gpointer user_data);
/* The client left: withdraws the job; ready is not called. */
void answer_file_cancel(AnswerFile *self);

/* For a request: answers at once on a hit, else parks it while the job runs (a client that
 * leaves withdraws the job). reply sets the status and body from the answer or the error;
 * destroy(user_data) follows in every case (may be NULL). */
typedef void (*AnswerFileReply)(SoupServerMessage *msg, GMappedFile *answer, gboolean cached, const GError *error,
				gpointer user_data);
void answer_file_reply(HttpRequest *request, const char *cache_key, const char *metric_label,
		       AnswerFileJobLine job_line, const char *warm_key, AnswerFileReply reply, gpointer user_data,
		       GDestroyNotify destroy);

/* The same for `sharkapi analyze`: no cache, the temp file is removed once mapped. */
AnswerFile *answer_file_fetch_uncached(Store *store, JobQueue *jobs, AnswerFileJobLine job_line,
				       AnswerFileReady ready, gpointer user_data);

G_END_DECLS
