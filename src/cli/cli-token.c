/* cli-token.c: `sharkapi token create|list|revoke`, working on the data dir's database (or the
 * PostgreSQL database --database names) directly, so a token created while the server runs
 * works at once.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cli"

#include <stdio.h>

#include "auth/auth-tokens.h"
#include "cli/cli.h"
#include "config/sharkapi-config.h"
#include "store/store.h"

static int
cli_token_fail(const GError *error)
{
	fprintf(stderr, "sharkapi token: %s\n", error->message);
	return 1;
}

int
cli_token(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data_dir = NULL, *permissions = NULL, *name = NULL, *database = NULL;
	g_autofree char *config_file = NULL;
	GOptionEntry entries[] = {
		{"config", 0, 0, G_OPTION_ARG_FILENAME, &config_file, "Take data-dir and database from the server's configuration file", "FILE"},
		{"data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory (default ./sharkapi-data)", "DIR"},
		{"database", 0, 0, G_OPTION_ARG_STRING, &database, "The server's PostgreSQL database (as serve --database)", "URL"},
		{"permissions", 0, 0, G_OPTION_ARG_STRING, &permissions, "create: comma separated permissions (default all)", "LIST"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &name, "create: a name for the token (shown as 'user')", "NAME"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("create|list|revoke [ID|NAME] - manage API tokens");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return cli_token_fail(error);
	if (argc < 2) {
		fprintf(stderr, "sharkapi token: create, list or revoke?\n");
		return 2;
	}
	/* As serve reads them: the command line over the file over the defaults. */
	g_autoptr(SharkapiConfig) config = sharkapi_config_new_default();
	if (config_file != NULL && !sharkapi_config_load_file(config, config_file, &error))
		return cli_token_fail(error);
	g_autoptr(Store) store = store_open_with_database(data_dir != NULL ? data_dir : config->data_dir,
							  database != NULL ? database : config->database, &error);
	if (store == NULL)
		return cli_token_fail(error);

	if (g_str_equal(argv[1], "create")) {
		guint flags = 0;
		if (!auth_permissions_parse(permissions, &flags, &error))
			return cli_token_fail(error);
		g_autofree char *token = auth_token_create(store->db, name != NULL ? name : "default", flags, &error);
		if (token == NULL)
			return cli_token_fail(error);
		printf("%s\n", token);
		return 0;
	}
	if (g_str_equal(argv[1], "list")) {
		g_autoptr(GPtrArray) tokens = auth_token_list(store->db, &error);
		if (tokens == NULL)
			return cli_token_fail(error);
		for (guint i = 0; i < tokens->len; i++) {
			AuthToken *token = g_ptr_array_index(tokens, i);
			g_autofree char *list = auth_permissions_to_string(token->permissions);
			printf("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\n", token->id, token->name, list, token->created_at,
			       token->revoked ? "revoked" : "active");
		}
		return 0;
	}
	if (g_str_equal(argv[1], "revoke")) {
		if (argc < 3) {
			fprintf(stderr, "sharkapi token revoke: which token (id or name)?\n");
			return 2;
		}
		if (!auth_token_revoke(store->db, argv[2], &error))
			return cli_token_fail(error);
		return 0;
	}
	fprintf(stderr, "sharkapi token: unknown action '%s'\n", argv[1]);
	return 2;
}
