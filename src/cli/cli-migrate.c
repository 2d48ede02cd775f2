/* cli-migrate.c: `sharkapi migrate --data-dir DIR --database URL`: a single-node installation's
 * metadata into PostgreSQL (store-migrate.h), then the server runs with the same data dir and
 * --database URL. Run it with the server stopped, so nothing is written to SQLite meanwhile.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cli"

#include <stdio.h>

#include "cli/cli.h"
#include "store/store-db.h"
#include "store/store-migrate.h"

static int
cli_migrate_fail(const GError *error)
{
	fprintf(stderr, "sharkapi migrate: %s\n", error->message);
	return 1;
}

static void
cli_migrate_report_cb(const char *table, gint64 read, gint64 written, gpointer user_data)
{
	printf("%-16s %" G_GINT64_FORMAT " rows in SQLite, %" G_GINT64_FORMAT " copied, %" G_GINT64_FORMAT
	       " already there\n",
	       table, read, written, read - written);
}

int
cli_migrate(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data_dir = NULL, *database = NULL;
	GOptionEntry entries[] = {
		{"data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "The installation's data directory", "DIR"},
		{"database", 0, 0, G_OPTION_ARG_STRING, &database, "The PostgreSQL database to copy into", "URL"},
		{NULL},
	};
	g_autoptr(GOptionContext) context =
		g_option_context_new("- copy a data dir's SQLite metadata into PostgreSQL, keeping every id");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return cli_migrate_fail(error);
	if (data_dir == NULL || !store_sql_is_postgres_url(database)) {
		fprintf(stderr, "sharkapi migrate: --data-dir DIR and --database postgresql://... are both needed\n");
		return 2;
	}
	g_autofree char *sqlite_path = g_build_filename(data_dir, "sharkapi.db", NULL);
	/* Never create an empty database where an installation was expected. */
	if (!g_file_test(sqlite_path, G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "sharkapi migrate: %s: no such database\n", sqlite_path);
		return 1;
	}
	g_autoptr(StoreSql) from = store_db_open(data_dir, NULL, &error);
	if (from == NULL)
		return cli_migrate_fail(error);
	g_autoptr(StoreSql) to = store_db_open(data_dir, database, &error);
	if (to == NULL)
		return cli_migrate_fail(error);
	if (!store_migrate_copy(from, to, cli_migrate_report_cb, NULL, &error))
		return cli_migrate_fail(error);
	printf("done: start the server with --data-dir %s --database <the same URL>; %s is no longer read\n", data_dir,
	       sqlite_path);
	return 0;
}
