/* store-sql-backend.h: what a backend of store-sql.h supplies (private to src/store).
 * A backend's connection and statement structs begin with StoreSql and StoreSqlStatement, so
 * store-sql.c dispatches through the connection's table of operations.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "store/store-sql.h"

G_BEGIN_DECLS

typedef struct {
	void (*close)(StoreSql *self);
	StoreSqlStatement *(*prepare)(StoreSql *self, const char *text, GError **error);
	void (*finalize)(StoreSqlStatement *stmt);
	void (*bind_text)(StoreSqlStatement *stmt, int index, const char *value);
	void (*bind_int64)(StoreSqlStatement *stmt, int index, gint64 value);
	void (*bind_null)(StoreSqlStatement *stmt, int index);
	void (*reset)(StoreSqlStatement *stmt);
	void (*clear_bindings)(StoreSqlStatement *stmt);
	StoreSqlStep (*step)(StoreSqlStatement *stmt, GError **error);
	const char *(*column_text)(StoreSqlStatement *stmt, int column);
	gint64 (*column_int64)(StoreSqlStatement *stmt, int column);
	gboolean (*column_is_null)(StoreSqlStatement *stmt, int column);
	int (*column_count)(StoreSqlStatement *stmt);
	gint64 (*changes)(StoreSqlStatement *stmt);
	gint64 (*last_insert_id)(StoreSql *self, GError **error);
	gboolean (*exec)(StoreSql *self, const char *text, GError **error);
	gboolean (*begin)(StoreSql *self, GError **error);
	gboolean (*commit)(StoreSql *self, GError **error);
	gboolean (*rollback)(StoreSql *self, GError **error);
} StoreSqlOps;

struct StoreSql {
	const StoreSqlOps *ops;
	StoreSqlBackend backend;
};

struct StoreSqlStatement {
	StoreSql *connection;
};

G_END_DECLS
