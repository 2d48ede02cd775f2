/* engine-init.c: the one-time libwireshark start-up, in the order libwireshark 4.0 needs it
 * (process policies, report callbacks and timestamps, then wtap_init, epan_init, preferences).
 * Reports that libwireshark raises (report_failure and friends) go to stderr through GLib's log,
 * never to stdout, which carries the worker protocol.
 * Must not open captures or register taps: sessions do that per job.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-init.h"

#include "sharkapi-error.h"

#include <wireshark.h>
#include <epan/addr_resolv.h>
#include <epan/epan.h>
#include <epan/prefs.h>
#include <epan/timestamp.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/report_message.h>
#include <wsutil/wslog.h>

static void
engine_init_vreport_failure_cb(const char *format, va_list args)
{
	g_autofree char *message = g_strdup_vprintf(format, args);
	g_warning("libwireshark: %s", message);
}

static void
engine_init_vreport_warning_cb(const char *format, va_list args)
{
	g_autofree char *message = g_strdup_vprintf(format, args);
	g_message("libwireshark: %s", message);
}

static void
engine_init_open_failure_cb(const char *filename, int err, gboolean for_writing)
{
	g_warning("cannot open %s for %s: %s", filename, for_writing ? "writing" : "reading",
		  g_strerror(err));
}

static void
engine_init_read_failure_cb(const char *filename, int err)
{
	g_warning("cannot read %s: %s", filename, g_strerror(err));
}

static void
engine_init_write_failure_cb(const char *filename, int err)
{
	g_warning("cannot write %s: %s", filename, g_strerror(err));
}

static void
engine_init_cfile_open_failure_cb(const char *filename, int err, gchar *err_info)
{
	g_warning("cannot open capture %s: %s%s%s", filename, wtap_strerror(err),
		  err_info != NULL ? ": " : "", err_info != NULL ? err_info : "");
	g_free(err_info);
}

static void
engine_init_cfile_dump_open_failure_cb(const char *filename, int err, gchar *err_info,
				       int file_type_subtype)
{
	g_warning("cannot create capture %s: %s", filename, wtap_strerror(err));
	g_free(err_info);
}

static void
engine_init_cfile_read_failure_cb(const char *filename, int err, gchar *err_info)
{
	g_warning("error reading capture %s: %s%s%s", filename != NULL ? filename : "",
		  wtap_strerror(err), err_info != NULL ? ": " : "", err_info != NULL ? err_info : "");
	g_free(err_info);
}

static void
engine_init_cfile_write_failure_cb(const char *in_filename, const char *out_filename, int err,
				   gchar *err_info, guint32 framenum, int file_type_subtype)
{
	g_warning("error writing capture %s: %s", out_filename != NULL ? out_filename : "",
		  wtap_strerror(err));
	g_free(err_info);
}

static void
engine_init_cfile_close_failure_cb(const char *filename, int err, gchar *err_info)
{
	g_warning("error closing capture %s: %s", filename, wtap_strerror(err));
	g_free(err_info);
}

static const struct report_message_routines engine_init_report_routines = {
	engine_init_vreport_failure_cb,
	engine_init_vreport_warning_cb,
	engine_init_open_failure_cb,
	engine_init_read_failure_cb,
	engine_init_write_failure_cb,
	engine_init_cfile_open_failure_cb,
	engine_init_cfile_dump_open_failure_cb,
	engine_init_cfile_read_failure_cb,
	engine_init_cfile_write_failure_cb,
	engine_init_cfile_close_failure_cb,
};

static void
engine_init_cmdarg_err_cb(const char *format, va_list args)
{
	engine_init_vreport_failure_cb(format, args);
}

gboolean
engine_init(const char *argv0, GError **error)
{
	g_autofree char *config_error = NULL;

	ws_log_init("sharkapi-worker", engine_init_cmdarg_err_cb);
	init_process_policies();
	relinquish_special_privs_perm();

	/* Without it, data and plugin directory lookups assert later on. */
	config_error = configuration_init(argv0, NULL);
	if (config_error != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
			    "libwireshark configuration: %s", config_error);
		return FALSE;
	}
	init_report_message("sharkapi-worker", &engine_init_report_routines);

	/* tshark's defaults: columns and frame.time_relative are relative to the first frame. */
	timestamp_set_type(TS_RELATIVE);
	timestamp_set_precision(TS_PREC_AUTO);
	timestamp_set_seconds_type(TS_SECONDS_DEFAULT);

	wtap_init(TRUE);
	if (!epan_init(NULL, NULL, TRUE)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "libwireshark: epan_init failed");
		return FALSE;
	}
	/* The server points HOME and XDG_CONFIG_HOME at an empty directory, so only the
	 * global settings are found here, never someone's personal profile. */
	epan_load_settings();
	/* A server never resolves: numeric addresses and ports, no manufacturer names. */
	disable_name_resolution();
	prefs_apply_all();
	return TRUE;
}

void
engine_init_cleanup(void)
{
	epan_cleanup();
	wtap_cleanup();
}
