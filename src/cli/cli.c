/* cli.c: command dispatch, help and version.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cli"

#include "cli/cli.h"

#include "http/http-server.h"

#include <stdio.h>
#include <string.h>

static const char cli_usage[] =
	"Usage: sharkapi COMMAND [OPTIONS]\n"
	"\n"
	"A CloudShark-compatible packet capture analysis server.\n"
	"\n"
	"Commands:\n"
	"  serve [--listen ADDR:PORT] [--data-dir DIR] [--database URL] [--workers N]\n"
	"        [--max-upload-size BYTES] [--config FILE] ...\n"
	"                                   run the server (sharkapi serve --help for all options)\n"
	"  token create --data-dir DIR [--database URL] [--permissions LIST] [--name NAME]\n"
	"                                   print a new API token (LIST: upload,info,download,\n"
	"                                   delete,annotate,analysis,admin; default all)\n"
	"  token list --data-dir DIR [--database URL]\n"
	"                                   list tokens (never their secrets)\n"
	"  token revoke --data-dir DIR [--database URL] ID|NAME\n"
	"                                   (token commands: --config FILE takes data-dir and\n"
	"                                   database from the server's configuration file)\n"
	"  migrate --data-dir DIR --database URL\n"
	"                                   copy the data dir's SQLite metadata into PostgreSQL,\n"
	"                                   keeping every id and token (safe to run again)\n"
	"  analyze FILE ROUTE [NAME=VALUE ...]\n"
	"                                   print what GET ROUTE would answer for FILE, offline\n"
	"                                   (ROUTE: status, info, stats/hierarchy, stats/endpoints,\n"
	"                                   stats/conversations, dns/lookups, packets/fields)\n"
	"  routes                           list the HTTP routes (method, path, auth, permission,\n"
	"                                   query parameters as name:type:constraints)\n"
	"  --version                        show sharkapi's and libwireshark's versions\n"
	"  --help                           this text\n";

char *
cli_default_worker_path(void)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self != NULL ? g_path_get_dirname(self) : g_strdup(".");
	g_autofree char *beside = g_build_filename(dir, "sharkapi-worker", NULL);
	/* A build tree has it beside sharkapi; an installed sharkapi has it where it was installed. */
	if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
		return g_steal_pointer(&beside);
	return g_strdup(SHARKAPI_WORKER_PATH);
}

static int
cli_version(void)
{
	g_autofree char *worker = cli_default_worker_path();
	g_autofree char *worker_out = NULL;
	const char *argv[] = {worker, "--version", NULL};
	printf("sharkapi %s\n", SHARKAPI_VERSION);
	/* The server does not link libwireshark: the worker reports its version. */
	if (g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &worker_out, NULL, NULL,
			 NULL) &&
	    worker_out != NULL)
		fputs(worker_out, stdout);
	else
		printf("sharkapi-worker not found at %s\n", worker);
	return 0;
}

/* "passes:enum:enum=1|2:default=1", "limit:integer:min=0:max=...", "fields:list:required". */
static char *
cli_describe_param(const HttpParamSpec *spec)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_string_append_printf(text, "%s:%s", spec->name, http_param_type_name(spec->type));
	if (spec->values != NULL) {
		g_autofree char *values = g_strjoinv("|", (char **)spec->values);
		g_string_append_printf(text, ":enum=%s", values);
	}
	if (spec->type == HTTP_PARAM_INTEGER)
		g_string_append_printf(text, ":min=%" G_GINT64_FORMAT ":max=%" G_GINT64_FORMAT, spec->min, spec->max);
	else if (spec->max > 0)
		g_string_append_printf(text, ":max-length=%" G_GINT64_FORMAT, spec->max);
	if (spec->fallback != NULL)
		g_string_append_printf(text, ":default=%s", spec->fallback);
	if (spec->flags & HTTP_PARAM_REQUIRED)
		g_string_append(text, ":required");
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
cli_print_route_cb(const char *methods, const char *pattern, const char *auth, const char *permission,
		   const HttpParamSpec *params, gpointer user_data)
{
	g_autoptr(GString) declared = g_string_new(NULL);
	for (const HttpParamSpec *spec = params; spec != NULL && spec->name != NULL; spec++) {
		g_autofree char *one = cli_describe_param(spec);
		g_string_append_printf(declared, "%s%s", declared->len > 0 ? " " : "", one);
	}
	g_auto(GStrv) each = g_strsplit(methods, " ", -1);
	for (guint i = 0; each[i] != NULL; i++)
		printf("%s\t%s\t%s\t%s\t%s\n", each[i], pattern, auth, *permission != '\0' ? permission : "-",
		       declared->len > 0 ? declared->str : "-");
}

/* One line per method and path, with the query parameters the route declares: the OpenAPI test
 * checks each route and parameter is documented as declared. */
static int
cli_routes(void)
{
	http_server_foreach_route(cli_print_route_cb, NULL);
	return 0;
}

int
cli_main(int argc, char **argv)
{
	if (argc < 2 || g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h") ||
	    g_str_equal(argv[1], "help")) {
		fputs(cli_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (g_str_equal(argv[1], "--version") || g_str_equal(argv[1], "version"))
		return cli_version();
	if (g_str_equal(argv[1], "serve"))
		return cli_serve(argc - 1, argv + 1);
	if (g_str_equal(argv[1], "token"))
		return cli_token(argc - 1, argv + 1);
	if (g_str_equal(argv[1], "routes"))
		return cli_routes();
	if (g_str_equal(argv[1], "migrate"))
		return cli_migrate(argc - 1, argv + 1);
	if (g_str_equal(argv[1], "analyze"))
		return cli_analyze(argc - 1, argv + 1);
	fprintf(stderr, "sharkapi: unknown command '%s'\n\n%s", argv[1], cli_usage);
	return 2;
}
