/* engine-follow.h: the follow stream job: one stream's payloads in order, with their direction
 * and frame, and both endpoints, as tshark -q -z follow,PROTO,raw,STREAM[,SUBSTREAM] prints
 * them; for every follower libwireshark registers (tcp, udp, tls, http, http2, quic, ...).
 * Must not speak the worker protocol: the body goes out through EngineFieldsDataFunc.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "engine/engine-fields.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture;
	const char *protocol; /* a follower's filter name: "tcp", "http2" */
	gint64 stream;
	gint64 substream; /* http2 and quic only; -1 when absent */
} EngineFollowRequest;

/* Streams the whole body {"data":{...}}. 400 for an unknown protocol (the message lists the
 * known ones) or a substream where none applies or is missing, 404 for a stream with no
 * traffic, 422 for an unreadable capture. *chunks gets the number of chunks. */
gboolean engine_follow_run(Engine *engine, const EngineFollowRequest *request, EngineFieldsDataFunc data,
			   gpointer data_user, EngineProgressFunc progress, gpointer progress_data, guint64 *chunks,
			   GError **error);

G_END_DECLS
