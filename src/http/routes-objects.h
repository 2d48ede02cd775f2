/* routes-objects.h: GET /api/v2/analysis/<id>/objects/<proto> and .../objects/<proto>/<index>:
 * the objects libwireshark's export-object handlers find, named and sized as tshark
 * --export-objects writes them, computed by one worker job and kept in the result cache.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_analysis_objects(HttpRequest *request);
void routes_analysis_object(HttpRequest *request);

/* For `sharkapi analyze`: the worker request, and the list's body in an answer file (NULL
 * when damaged). */
char *objects_job_line(const char *capture_path, const char *output, const char *protocol, guint passes);
GBytes *objects_answer_list(GBytes *answer);

G_END_DECLS
