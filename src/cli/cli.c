/* cli.c: command dispatch, help and version.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cli"

#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const char cli_usage[] =
	"Usage: sharkapi COMMAND [OPTIONS]\n"
	"\n"
	"A CloudShark-compatible packet capture analysis server.\n"
	"\n"
	"Commands:\n"
	"  serve [--listen ADDR:PORT] [--data-dir DIR] [--workers N] [--max-upload-size BYTES]\n"
	"        [--config FILE] ...        run the server (sharkapi serve --help for all options)\n"
	"  token create --data-dir DIR [--permissions LIST] [--name NAME]\n"
	"                                   print a new API token (LIST: upload,info,download,\n"
	"                                   delete,annotate,analysis,admin; default all)\n"
	"  token list --data-dir DIR        list tokens (never their secrets)\n"
	"  token revoke --data-dir DIR ID|NAME\n"
	"  --version                        show sharkapi's and libwireshark's versions\n"
	"  --help                           this text\n";

char *
cli_default_worker_path(void)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self != NULL ? g_path_get_dirname(self) : g_strdup(".");
	return g_build_filename(dir, "sharkapi-worker", NULL);
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
	fprintf(stderr, "sharkapi: unknown command '%s'\n\n%s", argv[1], cli_usage);
	return 2;
}
