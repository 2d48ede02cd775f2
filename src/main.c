/* main.c: the sharkapi executable; everything lives in the core library (src/cli/cli.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/cli.h"

#ifdef SHARKAPI_SANITIZE
/* Sanitizer builds only: full stacks for the server's leak reports. GLib is built without frame
 * pointers, where the fast unwinder stops; the server allocates little, so the slow one costs
 * little here (the workers keep the fast one). ASAN_OPTIONS can still override it. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:malloc_context_size=16";
}
#endif

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
