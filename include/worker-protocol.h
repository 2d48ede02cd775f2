/* worker-protocol.h: how the server and a sharkapi-worker talk over the worker's stdin/stdout.
 *
 * Server -> worker: one request per line, a JSON object, '\n'-terminated:
 *   {"job":"summary","capture":PATH,"output":DIR,"filter":"","passes":1}
 *       one dissection pass computing every summary result; written into DIR atomically
 *       (DIR.tmp, fsync, rename). DIR then holds hierarchy.json, endpoints/<filter-name>.json,
 *       conversations/<filter-name>.json (tables with data only), dns.json, expert.json,
 *       http-requests.json and tls-handshakes.json, each the value of
 *       the route's "data" member.
 *       With "shard":K,"shards":N (0 <= K < N; the default variant only) the worker reads every
 *       record but dissects only shard K's frames (engine-shard.h) and writes partial results
 *       that only summary_merge reads; END adds "unsafe": null, or why the shard cannot be
 *       merged exactly (it then stops early and writes nothing).
 *   {"job":"summary_merge","output":DIR,"parts":[DIR0,...,DIRn-1]}
 *       merges every shard's partial results into DIR, atomically, exactly as one pass writes
 *       them; END {}. A part that is missing or cannot be merged exactly is an ERROR 500.
 *   {"job":"fields","capture":PATH,"fields":[...],"filter":"","passes":1,"limit":-1,
 *    "offset":0,"format":"json"|"ndjson"}
 *       streams the whole response body of packets/fields as DATA frames.
 *   {"job":"check_filter","filter":"..."}
 *   {"job":"frame_list","capture":PATH,"columns":[...],"output":DIR,"filter":"","passes":1,"limit":-1,
 *    "tls_keys":PATH}
 *       the packet list: DIR (atomically) gets columns.json (the columns' formats and titles),
 *       rows (each listed frame's column texts as a JSON array, one after another) and index
 *       (one WorkerFrameIndexEntry per listed frame); END {"first_passes":N,"rows":N}. A limit
 *       stops after that many rows (a first page while the whole list is still being made).
 *       "columns" (optional): field or column names replacing the seven columns.
 *   {"job":"frame_tree","capture":PATH,"frame":N,"passes":1,"hidden":false,"tls_keys":PATH}
 *       packet detail: streams the frame's "data" object, without its opening '{' (the server
 *       writes that and the members that sort before the worker's), as DATA; END {}. A frame
 *       number past the capture's end is an ERROR 404.
 *   {"job":"follow","capture":PATH,"protocol":"tcp","stream":N,"substream":-1,"tls_keys":PATH}
 *       follow stream: streams the whole body {"data":{...}} as DATA; END {"chunks":N}.
 *       An unknown protocol is an ERROR 400, a stream with no traffic an ERROR 404.
 *   "tls_keys" (optional, every dissecting job): an NSS key log the dissection uses, as
 *   tshark -o tls.keylog_file:PATH; never echoed in any answer, log line or error.
 *   {"capture":PATH,"filter":"...","job":"match"}
 *       deep search: does any frame pass the display filter (tshark -r PATH -Y FILTER prints one)?
 *       One pass, stopping at the first matching frame; answers END {"frames":N,"matched":bool},
 *       N being the frames dissected. An empty or bad filter is an ERROR 400.
 *   {"capture":PATH,"columns":[...],"interval":"S","job":"io","output":FILE,"passes":1}
 *       stats/io (engine-io.h): the whole answer body written into FILE (created by the
 *       server); END {"rows":N}. A bad column or interval is an ERROR 400.
 *   {"capture":PATH,"job":"objects","output":FILE,"passes":1,"protocol":"http"}
 *       objects/<proto> (engine-objects.h): the list's answer body on FILE's first line, then
 *       every object's bytes in list order; END {"objects":N}. An unknown protocol is a 400.
 *
 * Worker -> server: frames, a 5-byte header (type, then payload length as uint32 big-endian)
 * followed by the payload:
 *   HELLO    once at start: {"tables":[{"filter":"eth","name":"Ethernet"},...],"version":"4.0.17"}
 *   PROGRESS text of a fraction, "0.42"; "0" at once when a job is read (its acknowledgement)
 *   DATA     bytes of a streamed answer
 *   END      the job succeeded: a JSON object (e.g. {"first_passes":3,"frames":433})
 *   ERROR    the job failed: {"message":"...","status":400}; the worker stays usable
 * One job at a time; a worker that writes anything else is broken and is replaced.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	WORKER_FRAME_HELLO = 'H',
	WORKER_FRAME_PROGRESS = 'P',
	WORKER_FRAME_DATA = 'D',
	WORKER_FRAME_END = 'E',
	WORKER_FRAME_ERROR = 'X',
} WorkerFrameType;

/* Every name both sides of the pipe use; each side reads them from here, never from a literal. */

/* The "job" member of a request. */
#define WORKER_JOB_SUMMARY "summary"
#define WORKER_JOB_SUMMARY_MERGE "summary_merge"
#define WORKER_JOB_FIELDS "fields"
#define WORKER_JOB_CHECK_FILTER "check_filter"
#define WORKER_JOB_MATCH "match"
#define WORKER_JOB_FRAME_LIST "frame_list"
#define WORKER_JOB_FRAME_TREE "frame_tree"
#define WORKER_JOB_FOLLOW "follow"
#define WORKER_JOB_IO "io"
#define WORKER_JOB_OBJECTS "objects"

/* Request members. */
#define WORKER_REQUEST_JOB "job"
#define WORKER_REQUEST_CAPTURE "capture"
#define WORKER_REQUEST_OUTPUT "output"
#define WORKER_REQUEST_FILTER "filter"
#define WORKER_REQUEST_PASSES "passes"
#define WORKER_REQUEST_SHARD "shard"
#define WORKER_REQUEST_SHARDS "shards"
#define WORKER_REQUEST_PARTS "parts"
#define WORKER_REQUEST_FIELDS "fields"
#define WORKER_REQUEST_LIMIT "limit"
#define WORKER_REQUEST_OFFSET "offset"
#define WORKER_REQUEST_FORMAT "format"
#define WORKER_REQUEST_COLUMNS "columns"
#define WORKER_REQUEST_FRAME "frame"
#define WORKER_REQUEST_HIDDEN "hidden"
#define WORKER_REQUEST_PROTOCOL "protocol"
#define WORKER_REQUEST_STREAM "stream"
#define WORKER_REQUEST_SUBSTREAM "substream"
#define WORKER_REQUEST_TLS_KEYS "tls_keys"
#define WORKER_REQUEST_INTERVAL "interval"

/* A summary job's results, relative to its output DIR. A table's file is
 * <folder>/<table filter name>.json, absent when the table has no data. */
#define WORKER_RESULT_HIERARCHY "hierarchy.json"
#define WORKER_RESULT_DNS "dns.json"
#define WORKER_RESULT_ENDPOINTS_FOLDER "endpoints"
#define WORKER_RESULT_CONVERSATIONS_FOLDER "conversations"
/* expert.json: {"counts":...,"groups":[...],"items":[ then one item per line, each but the
 * last ending in ",", then a last line "]}": a page of items is a range of lines. */
#define WORKER_RESULT_EXPERT "expert.json"
#define WORKER_RESULT_HTTP_REQUESTS "http-requests.json"
#define WORKER_RESULT_TLS_HANDSHAKES "tls-handshakes.json"
/* An unfiltered summary's all-frames I/O series (stats/io without columns), one file per
 * automatic interval that gives at most WORKER_IO_AUTO_ROWS + 1 rows (the last interval: any
 * number an io job accepts): io/<interval>.json, the stats/io answer body exactly as an io job
 * writes it. */
#define WORKER_RESULT_IO_FOLDER "io"
/* stats/io's automatic intervals, smallest first: the first giving at most WORKER_IO_AUTO_ROWS
 * intervals over the capture's duration is used (API.md). */
#define WORKER_IO_AUTO_INTERVALS {"0.001", "0.01", "0.1", "1", "10", "60", "600"}
#define WORKER_IO_AUTO_ROWS 1000
/* The summary folder's format: "format" holds WORKER_SUMMARY_FORMAT and a newline. A folder an
 * older version wrote (another number, or none) is computed again, not answered from. */
#define WORKER_RESULT_FORMAT "format"
#define WORKER_SUMMARY_FORMAT "3"

/* A frame_list job's results, relative to its output DIR. */
#define WORKER_RESULT_FRAME_COLUMNS "columns.json"
#define WORKER_RESULT_FRAME_ROWS "rows"
#define WORKER_RESULT_FRAME_INDEX "index"

/* One listed frame in WORKER_RESULT_FRAME_INDEX, in the machine's byte order (the server and
 * its workers share a machine): its row is rows[offset, next entry's offset or the end). */
typedef struct {
	guint64 offset;
	guint32 frame;
	guint32 flags; /* WORKER_FRAME_FLAG_* */
} WorkerFrameIndexEntry;
#define WORKER_FRAME_FLAG_COMMENT 1u /* the capture has a comment on this frame */

/* HELLO members: "tables" is an array of {"filter","name"} objects. */
#define WORKER_HELLO_TABLES "tables"
#define WORKER_HELLO_TABLE_FILTER "filter"
#define WORKER_HELLO_TABLE_NAME "name"
#define WORKER_HELLO_VERSION "version"

/* END members (which ones depends on the job). */
#define WORKER_END_FIRST_PASSES "first_passes"
#define WORKER_END_FRAMES "frames"
#define WORKER_END_ROWS "rows"
#define WORKER_END_MATCHED "matched"
#define WORKER_END_UNSAFE "unsafe"
#define WORKER_END_CHUNKS "chunks"
#define WORKER_END_OBJECTS "objects"

/* ERROR members. */
#define WORKER_ERROR_MESSAGE "message"
#define WORKER_ERROR_STATUS "status"

#define WORKER_FRAME_HEADER_SIZE 5
/* Larger payloads are a protocol violation (DATA frames are cut well below this). */
#define WORKER_FRAME_MAX_PAYLOAD (16u * 1024u * 1024u)

static inline void
worker_frame_header_encode(guint8 header[WORKER_FRAME_HEADER_SIZE], WorkerFrameType type, guint32 length)
{
	header[0] = (guint8)type;
	header[1] = (guint8)(length >> 24);
	header[2] = (guint8)(length >> 16);
	header[3] = (guint8)(length >> 8);
	header[4] = (guint8)length;
}

static inline guint32
worker_frame_header_length(const guint8 header[WORKER_FRAME_HEADER_SIZE])
{
	return ((guint32)header[1] << 24) | ((guint32)header[2] << 16) | ((guint32)header[3] << 8) |
	       (guint32)header[4];
}

G_END_DECLS
