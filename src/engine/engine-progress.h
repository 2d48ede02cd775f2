/* engine-progress.h: how long-running engine work reports how far it got.
 * Header only; must not include epan headers (the worker includes it through engine.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* fraction: 0.0 to 1.0 of the whole job. */
typedef void (*EngineProgressFunc)(double fraction, gpointer user_data);

/* Progress of a job across its passes: this pass covers [base, base + span] of the job. */
typedef struct {
	EngineProgressFunc func; /* may be NULL */
	gpointer user_data;
	double base;
	double span;
} EngineProgress;

G_END_DECLS
