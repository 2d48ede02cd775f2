/* store-migrate.h: moving a single-node installation's metadata from its SQLite database into
 * PostgreSQL (`sharkapi migrate`). Every row keeps its ids (capture ids, cap_file_id, token ids
 * and hashes), so every token still works and every URL still names the same capture; identity
 * sequences are moved past the copied ids. One transaction; rows already there are left alone,
 * so running it again changes nothing. The capture files and persisted results stay where they
 * are, in the data dir: the answer cache and the summary budget index those files themselves.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store-sql.h"

G_BEGIN_DECLS

/* Called once per table copied: rows read from SQLite, rows newly written to PostgreSQL. */
typedef void (*StoreMigrateReport)(const char *table, gint64 read, gint64 written, gpointer user_data);

gboolean store_migrate_copy(StoreSql *from, StoreSql *to, StoreMigrateReport report, gpointer user_data,
			    GError **error);

G_END_DECLS
