/* wiretap-lock.c: see wiretap-lock.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "wiretap/wiretap-lock.h"

static GMutex wiretap_mutex;

void
wiretap_lock(void)
{
	g_mutex_lock(&wiretap_mutex);
}

void
wiretap_unlock(void)
{
	g_mutex_unlock(&wiretap_mutex);
}
