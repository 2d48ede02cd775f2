/* engine-objects.h: the objects job: every object one export-object handler of libwireshark
 * (http, smb, tftp, imf, dicom, ftp-data: whatever eo_iterate_tables lists) finds in a capture,
 * named as `tshark --export-objects PROTO,DIR` names its files. Writes one file: the list's
 * answer body, {"data": {"objects": [...], "protocol": P}}, on its first line, then every
 * object's bytes in list order (the server finds an object's bytes from the sizes listed).
 * Must not write anything under a name taken from the capture.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture;
	const char *output; /* the file the list and the bytes go into */
	const char *protocol;
	int passes;
} EngineObjectsRequest;

/* An unknown protocol is a 400 naming the known ones. *count gets the number of objects. */
gboolean engine_objects_run(Engine *engine, const EngineObjectsRequest *request, EngineProgressFunc progress,
			    gpointer progress_data, guint *count, GError **error);

G_END_DECLS
