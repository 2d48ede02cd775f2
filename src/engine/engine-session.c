/* engine-session.c: an open capture, its epan session and the packet provider epan asks for
 * frame times and interface names, plus the one-pass and two-pass frame loops.
 * The loops follow tshark 4.0's bookkeeping (reference frame, previous displayed and captured
 * frame, cumulative bytes) so that time-relative fields and taps come out as tshark prints them.
 * Must not register taps, compile filters or format results: callers do, through EngineLoop.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-session.h"

#include "sharkapi-error.h"

#include <errno.h>
#include <sys/stat.h>

#include <wireshark.h>
#include <epan/frame_data_sequence.h>
#include <epan/packet.h>
#include <epan/secrets.h>
#include <epan/tvbuff.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

/* epan.h only declares it: the application decides what a packet provider holds. */
struct packet_provider_data {
	wtap *wth;
	const frame_data *ref;
	frame_data *prev_dis;
	frame_data *prev_cap;
	frame_data_sequence *frames;
};

/* How often (in frames) the loops report progress; the worker throttles further by time. */
#define ENGINE_SESSION_PROGRESS_EVERY 512

struct EngineSession {
	char *path;
	struct stat file_stat;
	gboolean two_pass;
	gboolean first_pass_done;
	struct packet_provider_data provider;
	epan_t *epan;
	int file_type_subtype;
	gint64 file_size;
	guint32 frame_count;
	guint32 cum_bytes;
	nstime_t elapsed;
	/* Copies that outlive a loop iteration (single pass and the reference frame). */
	frame_data ref_frame;
	frame_data prev_dis_frame;
	frame_data prev_cap_frame;
	wtap_rec rec;
	Buffer buffer;
};

static const nstime_t *
engine_session_frame_ts_cb(struct packet_provider_data *provider, guint32 frame_num)
{
	if (provider->ref != NULL && provider->ref->num == frame_num)
		return &provider->ref->abs_ts;
	if (provider->prev_dis != NULL && provider->prev_dis->num == frame_num)
		return &provider->prev_dis->abs_ts;
	if (provider->prev_cap != NULL && provider->prev_cap->num == frame_num)
		return &provider->prev_cap->abs_ts;
	if (provider->frames != NULL) {
		frame_data *fdata = frame_data_sequence_find(provider->frames, frame_num);
		return fdata != NULL ? &fdata->abs_ts : NULL;
	}
	return NULL;
}

/* The interface's block, or NULL; pcapng may add interfaces while it is read. */
static wtap_block_t
engine_session_interface_block(struct packet_provider_data *provider, guint32 interface_id)
{
	wtapng_iface_descriptions_t *idb_info = wtap_file_get_idb_info(provider->wth);
	wtap_block_t block = NULL;

	if (idb_info == NULL)
		return NULL;
	if (interface_id < idb_info->interface_data->len)
		block = g_array_index(idb_info->interface_data, wtap_block_t, interface_id);
	g_free(idb_info);
	return block;
}

static const char *
engine_session_interface_option(struct packet_provider_data *provider, guint32 interface_id,
				const guint *options, gsize n_options)
{
	wtap_block_t block = engine_session_interface_block(provider, interface_id);

	if (block == NULL)
		return NULL;
	for (gsize i = 0; i < n_options; i++) {
		char *value = NULL;
		if (wtap_block_get_string_option_value(block, options[i], &value) ==
		    WTAP_OPTTYPE_SUCCESS)
			return value;
	}
	return NULL;
}

static const char *
engine_session_interface_name_cb(struct packet_provider_data *provider, guint32 interface_id)
{
	static const guint options[] = {OPT_IDB_NAME, OPT_IDB_DESCRIPTION, OPT_IDB_HARDWARE};
	const char *name =
	    engine_session_interface_option(provider, interface_id, options, G_N_ELEMENTS(options));
	return name != NULL ? name : "unknown";
}

static const char *
engine_session_interface_description_cb(struct packet_provider_data *provider,
					guint32 interface_id)
{
	static const guint options[] = {OPT_IDB_DESCRIPTION};
	return engine_session_interface_option(provider, interface_id, options,
					       G_N_ELEMENTS(options));
}

static const struct packet_provider_funcs engine_session_provider_funcs = {
	engine_session_frame_ts_cb,
	engine_session_interface_name_cb,
	engine_session_interface_description_cb,
	NULL,
};

/* The message names no server path: it may reach the client. */
static void
engine_session_set_wtap_error(GError **error, const char *what, int err, char *err_info)
{
	g_autofree char *detail = err_info != NULL ? g_strdup_printf(" (%s)", err_info) : NULL;

	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE, "%s: %s%s", what,
		    wtap_strerror(err), detail != NULL ? detail : "");
	g_free(err_info);
}

EngineSession *
engine_session_open(const char *path, gboolean two_pass, GError **error)
{
	g_autoptr(EngineSession) self = g_new0(EngineSession, 1);
	int err = 0;
	char *err_info = NULL;

	self->path = g_strdup(path);
	self->two_pass = two_pass;
	if (stat(path, &self->file_stat) != 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE,
			    "the capture cannot be opened: %s", g_strerror(errsv));
		return NULL;
	}
	self->provider.wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, two_pass);
	if (self->provider.wth == NULL) {
		engine_session_set_wtap_error(error, "the capture cannot be opened", err, err_info);
		return NULL;
	}
	/* TLS keys embedded in pcapng (decryption secrets blocks). */
	wtap_set_cb_new_secrets(self->provider.wth, secrets_wtap_callback);
	self->file_type_subtype = wtap_file_type_subtype(self->provider.wth);
	self->file_size = wtap_file_size(self->provider.wth, &err);
	nstime_set_zero(&self->elapsed);
	wtap_rec_init(&self->rec);
	ws_buffer_init(&self->buffer, 1514);
	self->epan = epan_new(&self->provider, &engine_session_provider_funcs);
	return g_steal_pointer(&self);
}

void
engine_session_free(EngineSession *self)
{
	if (self == NULL)
		return;
	/* epan first: dissectors' file-scope cleanup may still ask the provider for frames. */
	if (self->epan != NULL)
		epan_free(self->epan);
	if (self->provider.frames != NULL)
		free_frame_data_sequence(self->provider.frames);
	if (self->provider.wth != NULL)
		wtap_close(self->provider.wth);
	if (self->buffer.data != NULL) {
		wtap_rec_cleanup(&self->rec);
		ws_buffer_free(&self->buffer);
	}
	g_free(self->path);
	g_free(self);
}

epan_t *
engine_session_get_epan(EngineSession *self)
{
	return self->epan;
}

const char *
engine_session_get_path(EngineSession *self)
{
	return self->path;
}

gboolean
engine_session_is_two_pass(EngineSession *self)
{
	return self->two_pass;
}

gboolean
engine_session_has_first_pass(EngineSession *self)
{
	return self->first_pass_done;
}

guint32
engine_session_get_frame_count(EngineSession *self)
{
	return self->frame_count;
}

nstime_t
engine_session_get_elapsed(EngineSession *self)
{
	return self->elapsed;
}

gboolean
engine_session_matches(EngineSession *self, const char *path)
{
	struct stat now;

	if (g_strcmp0(self->path, path) != 0 || stat(path, &now) != 0)
		return FALSE;
	return now.st_dev == self->file_stat.st_dev && now.st_ino == self->file_stat.st_ino &&
	       now.st_size == self->file_stat.st_size &&
	       now.st_mtim.tv_sec == self->file_stat.st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == self->file_stat.st_mtim.tv_nsec;
}

static void
engine_session_report(const EngineProgress *progress, double fraction_of_pass)
{
	if (progress == NULL || progress->func == NULL)
		return;
	progress->func(progress->base + progress->span * CLAMP(fraction_of_pass, 0.0, 1.0),
		       progress->user_data);
}

/* Fraction of the file read so far by the sequential reader (compressed bytes for gzip). */
static double
engine_session_read_fraction(EngineSession *self)
{
	if (self->file_size <= 0)
		return 0.0;
	return (double)wtap_read_so_far(self->provider.wth) / (double)self->file_size;
}

/* The frame's bytes as epan's top-level tvb; reported length is the original length, so
 * frames cut by the snapshot length are dissected as tshark does (_ws.short). */
static tvbuff_t *
engine_session_frame_tvb(EngineSession *self, const frame_data *fdata)
{
	gint reported = fdata->pkt_len > G_MAXINT ? G_MAXINT : (gint)fdata->pkt_len;
	return tvb_new_real_data(ws_buffer_start_ptr(&self->buffer), fdata->cap_len, reported);
}

static void
engine_session_before_dissect(EngineSession *self, frame_data *fdata)
{
	frame_data_set_before_dissect(fdata, &self->elapsed, &self->provider.ref,
				      self->provider.prev_dis);
	if (self->provider.ref == fdata) {
		self->ref_frame = *fdata;
		self->provider.ref = &self->ref_frame;
	}
}

/* Dissects one frame with taps and hands it to the loop's callback; *used is the tree it went
 * into, for the caller to reset. */
static EngineFrameResult
engine_session_dissect(EngineSession *self, const EngineLoop *loop, frame_data *fdata, epan_dissect_t **used)
{
	epan_dissect_t *edt = loop->select != NULL ? loop->select(fdata->num, loop->user_data) : NULL;
	if (edt == NULL)
		edt = loop->edt;
	*used = edt;
	if (loop->prime != NULL)
		loop->prime(edt, loop->user_data);
	engine_session_before_dissect(self, fdata);
	epan_dissect_run_with_taps(edt, self->file_type_subtype, &self->rec,
				   engine_session_frame_tvb(self, fdata), fdata, loop->cinfo);
	return loop->frame(edt, fdata, loop->user_data);
}

/* After the sequential reader stopped: a capture cut short after complete frames is read up to
 * the cut, as Wireshark opens it (logged); one whose first record is unreadable is a 422. */
static gboolean
engine_session_end_of_read(EngineSession *self, int err, char *err_info, GError **error)
{
	if (err == 0)
		return TRUE;
	if (self->frame_count == 0) {
		engine_session_set_wtap_error(error, "the capture cannot be read", err, err_info);
		return FALSE;
	}
	g_warning("capture %s: read stopped after frame %u: %s%s%s", self->path, self->frame_count,
		  wtap_strerror(err), err_info != NULL ? ": " : "", err_info != NULL ? err_info : "");
	g_free(err_info);
	return TRUE;
}

gboolean
engine_session_run_single_pass(EngineSession *self, const EngineLoop *loop, GError **error)
{
	int err = 0;
	char *err_info = NULL;
	gint64 offset = 0;

	g_return_val_if_fail(!self->two_pass && self->frame_count == 0, FALSE);
	while (wtap_read(self->provider.wth, &self->rec, &self->buffer, &err, &err_info, &offset)) {
		frame_data fdata;
		EngineFrameResult result;
		epan_dissect_t *used = NULL; /* NULL: skipped, and an unused tree must not be reset */

		self->frame_count++;
		frame_data_init(&fdata, self->frame_count, &self->rec, offset, self->cum_bytes);
		if (loop->skip != NULL &&
		    loop->skip(&self->rec, ws_buffer_start_ptr(&self->buffer), &fdata, loop->user_data)) {
			/* The first frame still becomes the time reference, as in a full pass. */
			engine_session_before_dissect(self, &fdata);
			result = ENGINE_FRAME_DISPLAYED;
		} else {
			result = engine_session_dissect(self, loop, &fdata, &used);
		}
		if (result == ENGINE_FRAME_DISPLAYED) {
			frame_data_set_after_dissect(&fdata, &self->cum_bytes);
			self->prev_dis_frame = fdata;
			self->provider.prev_dis = &self->prev_dis_frame;
		}
		self->prev_cap_frame = fdata;
		self->provider.prev_cap = &self->prev_cap_frame;
		if (used != NULL)
			epan_dissect_reset(used);
		frame_data_destroy(&fdata);
		wtap_rec_reset(&self->rec);
		if (result == ENGINE_FRAME_STOP)
			return TRUE;
		if (self->frame_count % ENGINE_SESSION_PROGRESS_EVERY == 0)
			engine_session_report(&loop->progress, engine_session_read_fraction(self));
	}
	if (!engine_session_end_of_read(self, err, err_info, error))
		return FALSE;
	engine_session_report(&loop->progress, 1.0);
	return TRUE;
}

/* One frame of the first pass: dissected without taps, kept in the frame_data_sequence. */
static void
engine_session_first_pass_frame(EngineSession *self, epan_dissect_t *edt, gint64 offset)
{
	frame_data fdata;

	frame_data_init(&fdata, self->frame_count + 1, &self->rec, offset, self->cum_bytes);
	prime_epan_dissect_with_postdissector_wanted_hfids(edt);
	engine_session_before_dissect(self, &fdata);
	epan_dissect_run(edt, self->file_type_subtype, &self->rec,
			 engine_session_frame_tvb(self, &fdata), &fdata, NULL);
	frame_data_set_after_dissect(&fdata, &self->cum_bytes);
	self->provider.prev_dis = frame_data_sequence_add(self->provider.frames, &fdata);
	self->provider.prev_cap = self->provider.prev_dis;
	self->frame_count++;
	epan_dissect_reset(edt);
}

gboolean
engine_session_run_first_pass(EngineSession *self, const EngineProgress *progress,
			      GError **error)
{
	int err = 0;
	char *err_info = NULL;
	gint64 offset = 0;
	epan_dissect_t *edt;

	g_return_val_if_fail(self->two_pass && !self->first_pass_done, FALSE);
	self->provider.frames = new_frame_data_sequence();
	/* As tshark -2: a tree on the first pass only if a postdissector wants fields. */
	edt = epan_dissect_new(self->epan, postdissectors_want_hfids(), FALSE);
	while (wtap_read(self->provider.wth, &self->rec, &self->buffer, &err, &err_info, &offset)) {
		engine_session_first_pass_frame(self, edt, offset);
		wtap_rec_reset(&self->rec);
		if (self->frame_count % ENGINE_SESSION_PROGRESS_EVERY == 0)
			engine_session_report(progress, engine_session_read_fraction(self));
	}
	epan_dissect_free(edt);
	if (!engine_session_end_of_read(self, err, err_info, error))
		return FALSE;
	/* Second passes only seek; dissectors may drop what only the sequential pass needed. */
	wtap_sequential_close(self->provider.wth);
	postseq_cleanup_all_protocols();
	self->provider.prev_dis = NULL;
	self->provider.prev_cap = NULL;
	self->first_pass_done = TRUE;
	engine_session_report(progress, 1.0);
	return TRUE;
}

gboolean
engine_session_dissect_frame(EngineSession *self, guint32 number, epan_dissect_t *edt, GError **error)
{
	frame_data *fdata;
	int err = 0;
	char *err_info = NULL;

	g_return_val_if_fail(self->first_pass_done, FALSE);
	if (number == 0 || number > self->frame_count) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND,
			    "frame %u is not in the capture (it has %u frames)", number, self->frame_count);
		return FALSE;
	}
	fdata = frame_data_sequence_find(self->provider.frames, number);
	if (!wtap_seek_read(self->provider.wth, fdata->file_off, &self->rec, &self->buffer, &err, &err_info)) {
		engine_session_set_wtap_error(error, "a frame cannot be read again", err, err_info);
		return FALSE;
	}
	/* As tshark -2 -Y frame.number==N: the frame before was captured but not displayed. */
	self->provider.prev_dis = NULL;
	self->provider.prev_cap = number > 1 ? frame_data_sequence_find(self->provider.frames, number - 1) : NULL;
	engine_session_before_dissect(self, fdata);
	epan_dissect_run(edt, self->file_type_subtype, &self->rec, engine_session_frame_tvb(self, fdata), fdata, NULL);
	self->provider.prev_dis = NULL;
	self->provider.prev_cap = NULL;
	return TRUE;
}

void
engine_session_release_frame(EngineSession *self)
{
	wtap_rec_reset(&self->rec);
}

gboolean
engine_session_run_second_pass(EngineSession *self, const EngineLoop *loop, GError **error)
{
	g_return_val_if_fail(self->first_pass_done, FALSE);
	self->provider.prev_dis = NULL;
	self->provider.prev_cap = NULL;
	for (guint32 number = 1; number <= self->frame_count; number++) {
		frame_data *fdata = frame_data_sequence_find(self->provider.frames, number);
		int err = 0;
		char *err_info = NULL;
		EngineFrameResult result;
		epan_dissect_t *used = NULL;

		if (!wtap_seek_read(self->provider.wth, fdata->file_off, &self->rec, &self->buffer,
				    &err, &err_info)) {
			engine_session_set_wtap_error(error, "a frame cannot be read again", err,
						      err_info);
			return FALSE;
		}
		result = engine_session_dissect(self, loop, fdata, &used);
		if (result == ENGINE_FRAME_DISPLAYED) {
			frame_data_set_after_dissect(fdata, &self->cum_bytes);
			self->provider.prev_dis = fdata;
		}
		self->provider.prev_cap = fdata;
		epan_dissect_reset(used);
		wtap_rec_reset(&self->rec);
		if (result == ENGINE_FRAME_STOP)
			break;
		if (number % ENGINE_SESSION_PROGRESS_EVERY == 0)
			engine_session_report(&loop->progress, (double)number / self->frame_count);
	}
	self->provider.prev_dis = NULL;
	self->provider.prev_cap = NULL;
	engine_session_report(&loop->progress, 1.0);
	return TRUE;
}
