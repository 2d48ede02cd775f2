/* cli.h: the sharkapi command line: serve, token create|list|revoke, routes, --version.
 * analyze runs one route offline (cli-analyze.c), found in the server's route table. main.c only calls cli_main(); each command parses its own options.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int cli_main(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_token(int argc, char **argv);
/* `sharkapi migrate --data-dir DIR --database URL` (cli-migrate.c). */
int cli_migrate(int argc, char **argv);
int cli_analyze(int argc, char **argv);

/* The sharkapi-worker beside this executable, else the installed one (SHARKAPI_WORKER_PATH). */
char *cli_default_worker_path(void);

G_END_DECLS
