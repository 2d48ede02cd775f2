/* wiretap-lock.h: one libwiretap session at a time in a multi-threaded process.
 * libwiretap 4.0 is not thread-safe: wsutil's Buffer keeps a process-wide free list of small
 * buffers with no lock (ws_buffer_init and ws_buffer_free, which wtap_open_offline, wtap_close,
 * wtap_rec_init, wtap_rec_cleanup and merge_files call), so two threads reading captures at
 * once corrupt the heap. The server reads uploads and writes merges on GTask threads: each of
 * those, from the first libwiretap call to the last, holds this lock. Workers are
 * single-threaded and do not need it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void wiretap_lock(void);
void wiretap_unlock(void);

G_END_DECLS
