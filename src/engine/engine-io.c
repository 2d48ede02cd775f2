/* engine-io.c: I/O statistics as tshark 4.0's -z io,stat computes them (engine-io.h).
 * Each column is a listener on the "frame" tap with its own filter, as tshark registers them:
 * the tap system primes every listener's filter into the shared tree, so FUNC(field) sees a
 * field only when some column's filter names it, exactly as in tshark (SUM(frame.len) alone
 * is 0 there; SUM(frame.len)frame.len is not). Frames go into intervals by their time relative
 * to the first frame, rounded to microseconds; the rows and the last, partial interval follow
 * iostat_draw(): the duration is rounded to the interval's decimals, the last row ends at it.
 * Quirks kept on purpose, because tshark prints them: MIN starts from the first frame of an
 * interval only, MAX starts from 0, LOAD spreads a response time back over earlier intervals
 * and past the first one wraps around to the current one, AVG of a signed sum divides it as
 * an unsigned number.
 * Must not prime fields itself: that would change what the columns see.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-io.h"

#include "engine/engine-answer-file.h"
#include "engine/engine-output.h"
#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/proto.h>
#include <epan/tap.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#define ENGINE_IO_US_PER_SECOND G_GUINT64_CONSTANT(1000000)
#define ENGINE_IO_NS_PER_SECOND G_GUINT64_CONSTANT(1000000000)
/* Written out in pieces this large, so a million rows never sit whole in memory. */
#define ENGINE_IO_FLUSH_BYTES (256 * 1024)

typedef enum {
	ENGINE_IO_FRAMES_AND_BYTES, /* a plain filter */
	ENGINE_IO_COUNT,
	ENGINE_IO_SUM,
	ENGINE_IO_MIN,
	ENGINE_IO_MAX,
	ENGINE_IO_AVG,
	ENGINE_IO_LOAD,
} EngineIoFunction;

static const struct {
	const char *name;
	EngineIoFunction function;
} engine_io_functions[] = {
	{"COUNT", ENGINE_IO_COUNT}, {"SUM", ENGINE_IO_SUM}, {"MIN", ENGINE_IO_MIN},
	{"MAX", ENGINE_IO_MAX},     {"AVG", ENGINE_IO_AVG}, {"LOAD", ENGINE_IO_LOAD},
};

/* One interval of one column: tshark's io_stat_item_t without its links. */
typedef struct {
	guint32 frames;
	guint32 num; /* values seen (AVG) */
	guint64 counter;
	gfloat float_counter;
	gdouble double_counter;
} EngineIoItem;

typedef struct EngineIo EngineIo;

typedef struct {
	EngineIo *io;
	EngineIoFunction function;
	int hf_index;          /* FUNC columns */
	enum ftenum ftype;     /* the field's type */
	char *filter;          /* the tap filter: the text after FUNC(field), or the whole column */
	GArray *items;         /* of EngineIoItem, one per interval up to the last frame seen */
	gboolean registered;
} EngineIoColumn;

struct EngineIo {
	guint64 interval; /* microseconds */
	guint interval_decimals;
	guint64 last_relative_time; /* tshark's, shared by all columns */
	GPtrArray *columns;         /* of EngineIoColumn */
	gboolean too_many_rows;
};

static void
engine_io_column_free(EngineIoColumn *column)
{
	if (column->registered)
		remove_tap_listener(column);
	if (column->items != NULL)
		g_array_free(column->items, TRUE);
	g_free(column->filter);
	g_free(column);
}

static void
engine_io_clear(EngineIo *self)
{
	g_clear_pointer(&self->columns, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineIo, engine_io_clear)

/* ---- parsing the request ---- */

/* tshark's interval: microseconds rounded to nearest, and the decimals it was written with. */
static gboolean
engine_io_parse_interval(EngineIo *self, const char *text, GError **error)
{
	char *end = NULL;
	double seconds = text != NULL ? g_ascii_strtod(text, &end) : 0;

	if (text == NULL || end == text || *end != '\0' || !isfinite(seconds) || seconds < 0.000001 ||
	    seconds > 1e12) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "interval: '%s' is not a number of seconds of at least 0.000001", text != NULL ? text : "");
		return FALSE;
	}
	self->interval = (guint64)(seconds * 1000000.0 + 0.5);
	self->interval_decimals = 6;
	for (guint64 i = 10; i < 10000000; i *= 10) {
		if (self->interval % i > 0)
			break;
		self->interval_decimals--;
	}
	/* Whole seconds written with decimals ("1.0") keep them, as tshark's table does. */
	const char *point = strchr(text, '.');
	if (self->interval_decimals == 0 && point != NULL && strlen(point + 1) > 0)
		self->interval_decimals = MIN((guint)strlen(point + 1), 6);
	return TRUE;
}

/* The field types each function accepts, as tshark's register_io_tap() checks them. */
static gboolean
engine_io_check_type(EngineIoColumn *column, const char *field, const char *function, GError **error)
{
	switch (column->ftype) {
	case FT_UINT8: case FT_UINT16: case FT_UINT24: case FT_UINT32: case FT_UINT64:
	case FT_INT8: case FT_INT16: case FT_INT24: case FT_INT32: case FT_INT64:
		if (column->function != ENGINE_IO_LOAD)
			return TRUE;
		break;
	case FT_FLOAT: case FT_DOUBLE:
		if (column->function != ENGINE_IO_LOAD)
			return TRUE;
		break;
	case FT_RELATIVE_TIME:
		return TRUE;
	default:
		if (column->function == ENGINE_IO_COUNT)
			return TRUE;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "%s doesn't have integral values, so %s(*) calculations are not supported on it",
			    field, function);
		return FALSE;
	}
	/* tshark stops at the first such frame; we say so at once. */
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
		    "LOAD() is only supported for relative-time fields such as smb.time, not %s", field);
	return FALSE;
}

/* "FUNC(field)filter" or a display filter; the filter is checked when the tap is registered. */
static EngineIoColumn *
engine_io_parse_column(EngineIo *self, const char *text, GError **error)
{
	g_autofree char *stripped = g_strstrip(g_strdup(text));
	EngineIoColumn *column = g_new0(EngineIoColumn, 1);
	column->io = self;
	column->items = g_array_new(FALSE, TRUE, sizeof(EngineIoItem));
	column->function = ENGINE_IO_FRAMES_AND_BYTES;

	for (gsize i = 0; i < G_N_ELEMENTS(engine_io_functions); i++) {
		const char *name = engine_io_functions[i].name;
		gsize len = strlen(name);
		if (strncmp(stripped, name, len) != 0 || stripped[len] != '(')
			continue;
		const char *field_start = stripped + len + 1;
		const char *paren = strchr(field_start, ')');
		if (paren == NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "column '%s': closing parenthesis missing from calculated expression", text);
			engine_io_column_free(column);
			return NULL;
		}
		g_autofree char *field = g_strndup(field_start, (gsize)(paren - field_start));
		if (*field == '\0') {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "column '%s': %s needs a field name, as %s(field)filter", text, name, name);
			engine_io_column_free(column);
			return NULL;
		}
		header_field_info *hfinfo = proto_registrar_get_byname(field);
		if (hfinfo == NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "column '%s': there is no field named '%s'", text, field);
			engine_io_column_free(column);
			return NULL;
		}
		column->function = engine_io_functions[i].function;
		column->hf_index = hfinfo->id;
		column->ftype = hfinfo->type;
		column->filter = g_strdup(paren + 1);
		if (!engine_io_check_type(column, field, name, error)) {
			g_prefix_error(error, "column '%s': ", text);
			engine_io_column_free(column);
			return NULL;
		}
		return column;
	}
	/* A function tshark knows but API.md does not list, or a name in lower case, falls through
	 * to the filter compiler, which refuses it in its own words. */
	column->filter = g_steal_pointer(&stripped);
	return column;
}

/* ---- counting ---- */

static EngineIoItem *
engine_io_item(EngineIoColumn *column, guint index)
{
	return &g_array_index(column->items, EngineIoItem, index);
}

/* A field's value as tshark reads it into its 64-bit counter (signed values sign-extended). */
static guint64
engine_io_integer(EngineIoColumn *column, field_info *finfo)
{
	switch (column->ftype) {
	case FT_UINT8: case FT_UINT16: case FT_UINT24: case FT_UINT32:
		return fvalue_get_uinteger(&finfo->value);
	case FT_UINT64:
		return fvalue_get_uinteger64(&finfo->value);
	case FT_INT8: case FT_INT16: case FT_INT24: case FT_INT32:
		return (guint64)(gint64)fvalue_get_sinteger(&finfo->value);
	case FT_INT64:
		return (guint64)fvalue_get_sinteger64(&finfo->value);
	case FT_RELATIVE_TIME: {
		const nstime_t *time = fvalue_get_time(&finfo->value);
		return (guint64)time->secs * ENGINE_IO_NS_PER_SECOND + (guint64)time->nsecs;
	}
	default:
		return 0;
	}
}

static gboolean
engine_io_is_signed32(enum ftenum ftype)
{
	return ftype == FT_INT8 || ftype == FT_INT16 || ftype == FT_INT24 || ftype == FT_INT32;
}

/* Is value below (MIN) or above (MAX) the counter, compared as tshark compares that type? */
static gboolean
engine_io_integer_beyond(EngineIoColumn *column, guint64 value, guint64 counter, gboolean below)
{
	if (engine_io_is_signed32(column->ftype))
		return below ? (gint32)value < (gint32)counter : (gint32)value > (gint32)counter;
	if (column->ftype == FT_INT64)
		return below ? (gint64)value < (gint64)counter : (gint64)value > (gint64)counter;
	return below ? value < counter : value > counter;
}

static void
engine_io_add_value(EngineIoColumn *column, EngineIoItem *item, field_info *finfo, gboolean first)
{
	gboolean floating = column->ftype == FT_FLOAT || column->ftype == FT_DOUBLE;
	double real = floating ? fvalue_get_floating(&finfo->value) : 0;
	guint64 value = floating ? 0 : engine_io_integer(column, finfo);

	switch (column->function) {
	case ENGINE_IO_SUM:
	case ENGINE_IO_AVG:
		if (column->function == ENGINE_IO_AVG)
			item->num++;
		if (column->ftype == FT_FLOAT)
			item->float_counter += (gfloat)real;
		else if (column->ftype == FT_DOUBLE)
			item->double_counter += real;
		else
			item->counter += value;
		break;
	case ENGINE_IO_MIN:
	case ENGINE_IO_MAX: {
		gboolean below = column->function == ENGINE_IO_MIN;
		/* MIN takes the interval's first value only from its first frame (tshark). */
		gboolean take = below && first;
		if (column->ftype == FT_FLOAT) {
			gfloat f = (gfloat)real;
			if (take || (below ? f < item->float_counter : f > item->float_counter))
				item->float_counter = f;
		} else if (column->ftype == FT_DOUBLE) {
			if (take || (below ? real < item->double_counter : real > item->double_counter))
				item->double_counter = real;
		} else if (take || engine_io_integer_beyond(column, value, item->counter, below)) {
			item->counter = value;
		}
		break;
	}
	default:
		break;
	}
}

/* LOAD: the part of a response time inside the current interval counts there, the rest goes
 * back over the earlier ones; before the first comes the current one again (tshark's list is
 * circular there). */
static void
engine_io_add_load(EngineIoColumn *column, guint current, field_info *finfo)
{
	guint64 interval = column->io->interval;
	const nstime_t *time = fvalue_get_time(&finfo->value);
	guint64 value = (guint64)time->secs * ENGINE_IO_US_PER_SECOND + (guint64)(time->nsecs / 1000);
	guint64 here = value % interval;
	guint index = current;
	guint n_items = column->items->len;

	engine_io_item(column, current)->counter += (guint64)(int)here;
	value -= here;
	while (value > 0) {
		index = index == 0 ? n_items - 1 : index - 1;
		if (value < interval) {
			engine_io_item(column, index)->counter += value;
			break;
		}
		engine_io_item(column, index)->counter += interval;
		value -= interval;
	}
}

/* Counts a frame of pkt_len bytes at rel_ts (its time relative to the first frame) into its
 * interval of column; NULL when that interval is beyond ENGINE_IO_MAX_ROWS (or max_rows). */
static EngineIoItem *
engine_io_count_frame(EngineIoColumn *column, const nstime_t *rel_ts, guint32 pkt_len, guint64 max_rows)
{
	EngineIo *io = column->io;
	guint64 relative_time;

	/* A frame before the first gets the time of the last frame seen (tshark). */
	if (rel_ts->secs >= 0 && rel_ts->nsecs >= 0) {
		relative_time = (guint64)rel_ts->secs * ENGINE_IO_US_PER_SECOND + (guint64)((rel_ts->nsecs + 500) / 1000);
		io->last_relative_time = relative_time;
	} else {
		relative_time = io->last_relative_time;
	}
	guint64 index = relative_time / io->interval;
	/* A frame older than the latest interval counts in the latest (tshark only moves on). */
	if (column->items->len > 0 && index < column->items->len - 1)
		index = column->items->len - 1;
	if (index > max_rows) {
		io->too_many_rows = TRUE;
		return NULL;
	}
	if (column->items->len <= index)
		g_array_set_size(column->items, (guint)index + 1);
	EngineIoItem *item = engine_io_item(column, (guint)index);
	item->frames++;
	if (column->function == ENGINE_IO_FRAMES_AND_BYTES)
		item->counter += pkt_len;
	return item;
}

static tap_packet_status
engine_io_packet_cb(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data,
		    tap_flags_t flags)
{
	EngineIoColumn *column = tapdata;
	EngineIoItem *item = engine_io_count_frame(column, &pinfo->rel_ts, pinfo->fd->pkt_len, ENGINE_IO_MAX_ROWS);
	guint index = column->items->len - 1;

	if (item == NULL || column->function == ENGINE_IO_FRAMES_AND_BYTES)
		return TAP_PACKET_DONT_REDRAW;
	GPtrArray *found = proto_get_finfo_ptr_array(edt->tree, column->hf_index);
	if (found == NULL)
		return TAP_PACKET_DONT_REDRAW;
	if (column->function == ENGINE_IO_COUNT) {
		item->counter += found->len;
		return TAP_PACKET_DONT_REDRAW;
	}
	for (guint i = 0; i < found->len; i++) {
		if (column->function == ENGINE_IO_LOAD)
			engine_io_add_load(column, index, found->pdata[i]);
		else
			engine_io_add_value(column, item, found->pdata[i], item->frames == 1 && i == 0);
	}
	return TAP_PACKET_DONT_REDRAW;
}

static gboolean
engine_io_prepare(EngineIo *self, const EngineIoRequest *request, GError **error)
{
	if (!engine_io_parse_interval(self, request->interval, error))
		return FALSE;
	self->columns = g_ptr_array_new_with_free_func((GDestroyNotify)engine_io_column_free);
	for (guint i = 0; i < MAX(request->n_columns, 1); i++) {
		const char *text = request->n_columns > 0 ? request->columns[i] : "";
		EngineIoColumn *column = engine_io_parse_column(self, text, error);
		if (column == NULL)
			return FALSE;
		g_ptr_array_add(self->columns, column);
	}
	/* Registered only once every column parsed, in tshark's order. */
	for (guint i = 0; i < self->columns->len; i++) {
		EngineIoColumn *column = g_ptr_array_index(self->columns, i);
		const char *filter = engine_filter_is_empty(column->filter) ? NULL : column->filter;
		GString *failure = register_tap_listener("frame", column, filter, TL_REQUIRES_PROTO_TREE, NULL,
							 engine_io_packet_cb, NULL, NULL);
		if (failure != NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "column '%s': %s",
				    request->n_columns > 0 ? request->columns[i] : "", failure->str);
			g_string_free(failure, TRUE);
			return FALSE;
		}
		column->registered = TRUE;
	}
	return TRUE;
}

static EngineFrameResult
engine_io_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineIo *self = user_data;
	/* Tap filters, not a display filter: every frame counts as displayed. */
	return self->too_many_rows ? ENGINE_FRAME_STOP : ENGINE_FRAME_DISPLAYED;
}

/* ---- the table ---- */

/* Digits of val, at most max_width (tshark's magnitude()). */
static guint
engine_io_magnitude(guint64 value, guint max_width)
{
	guint magnitude = 0;
	for (guint i = 0; i < max_width; i++) {
		magnitude++;
		if ((value /= 10) == 0)
			break;
	}
	return magnitude;
}

/* The rows iostat_draw() prints: the interval used, the duration rounded as it rounds it, and
 * how many rows. A zero duration is one row (tshark prints none). */
typedef struct {
	guint64 interval;
	guint64 duration;
	guint64 n_rows;
} EngineIoTable;

static EngineIoTable
engine_io_table(const EngineIo *self, nstime_t elapsed)
{
	EngineIoTable table = {.interval = self->interval};
	guint64 duration = (guint64)elapsed.secs * ENGINE_IO_US_PER_SECOND + (guint64)((elapsed.nsecs + 500) / 1000);
	gboolean whole = FALSE;
	guint decimals = self->interval_decimals;

	if (duration == 0) {
		table.n_rows = 1;
		return table;
	}
	if (self->interval > duration) {
		table.interval = duration;
		whole = TRUE;
	}
	if (table.interval == duration) {
		guint magnitude = engine_io_magnitude(duration / ENGINE_IO_US_PER_SECOND, 5);
		decimals = magnitude >= 2 ? 1 : magnitude == 1 ? 3 : 6;
	}
	guint64 unit = ENGINE_IO_US_PER_SECOND;
	for (guint i = 0; i < decimals; i++)
		unit /= 10;
	if (duration % unit > 5 * (unit / 10)) {
		duration += 5 * (unit / 10);
		duration = duration / unit * unit;
	}
	if (whole)
		table.interval = duration;
	table.duration = duration;
	table.n_rows = duration / table.interval + (duration % table.interval > 0 ? 1 : 0);
	return table;
}

/* tshark prints seconds.microseconds; as a number that is the microseconds over 1e6. */
static void
engine_io_write_microseconds(JsonWriter *writer, guint64 microseconds)
{
	json_writer_double_rounded(writer, (double)microseconds / 1e6, 6);
}

static void
engine_io_write_value(JsonWriter *writer, const EngineIoColumn *column, const EngineIoItem *item,
		      guint64 row_length)
{
	enum ftenum ftype = column->ftype;
	gboolean is_signed = engine_io_is_signed32(ftype) || ftype == FT_INT64;

	json_writer_begin_object(writer);
	if (column->function == ENGINE_IO_FRAMES_AND_BYTES) {
		json_writer_key(writer, "bytes");
		json_writer_uint(writer, item->counter);
		json_writer_key(writer, "frames");
		json_writer_uint(writer, item->frames);
		json_writer_end_object(writer);
		return;
	}
	json_writer_key(writer, "value");
	switch (column->function) {
	case ENGINE_IO_COUNT:
		json_writer_uint(writer, item->counter);
		break;
	case ENGINE_IO_SUM:
	case ENGINE_IO_MIN:
	case ENGINE_IO_MAX:
		if (ftype == FT_FLOAT)
			json_writer_double_rounded(writer, item->float_counter, 6);
		else if (ftype == FT_DOUBLE)
			json_writer_double_rounded(writer, item->double_counter, 6);
		else if (ftype == FT_RELATIVE_TIME)
			engine_io_write_microseconds(writer, (item->counter + 500) / 1000);
		else if (is_signed)
			json_writer_int(writer, (gint64)item->counter);
		else
			json_writer_uint(writer, item->counter);
		break;
	case ENGINE_IO_AVG: {
		guint32 num = item->num == 0 ? 1 : item->num;
		if (ftype == FT_FLOAT)
			json_writer_double_rounded(writer, item->float_counter / num, 6);
		else if (ftype == FT_DOUBLE)
			json_writer_double_rounded(writer, item->double_counter / num, 6);
		else if (ftype == FT_RELATIVE_TIME)
			engine_io_write_microseconds(writer, (item->counter / num + 500) / 1000);
		else if (is_signed)
			json_writer_int(writer, (gint64)(item->counter / num));
		else
			json_writer_uint(writer, item->counter / num);
		break;
	}
	case ENGINE_IO_LOAD:
		/* The busy share of the row, to the microsecond as tshark truncates it. */
		json_writer_double_rounded(writer,
					   (double)(item->counter / row_length) +
						   (double)((item->counter % row_length) * ENGINE_IO_US_PER_SECOND / row_length) / 1e6,
					   6);
		break;
	default:
		json_writer_int(writer, 0);
		break;
	}
	json_writer_end_object(writer);
}

/* Hands what writer holds to file once it is large (always: whatever it holds); without a file
 * the answer stays whole in writer. */
static gboolean
engine_io_flush(JsonWriter *writer, EngineAnswerFile *file, gboolean always, GError **error)
{
	if (file == NULL || (!always && json_writer_get_length(writer) < ENGINE_IO_FLUSH_BYTES))
		return TRUE;
	g_autoptr(GBytes) bytes = json_writer_take(writer);
	gsize length = 0;
	const void *data = g_bytes_get_data(bytes, &length);
	return engine_answer_file_write(file, data, length, error);
}

/* The answer body, {"data": {"columns", "interval", "rows"}}, into writer (and file). */
static gboolean
engine_io_write_body(EngineIo *self, const char *const *columns, guint n_columns, const char *interval,
		     EngineIoTable table, JsonWriter *writer, EngineAnswerFile *file, GError **error)
{
	static const EngineIoItem empty = {0};

	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	json_writer_key(writer, "columns");
	json_writer_begin_array(writer);
	for (guint i = 0; i < MAX(n_columns, 1); i++)
		json_writer_string(writer, n_columns > 0 ? columns[i] : "");
	json_writer_end_array(writer);
	json_writer_key(writer, "interval");
	json_writer_double(writer, g_ascii_strtod(interval, NULL));
	json_writer_key(writer, "rows");
	json_writer_begin_array(writer);
	for (guint64 row = 0; row < table.n_rows; row++) {
		guint64 start = row * table.interval;
		gboolean last = row == table.n_rows - 1;
		/* The last row ends at the (rounded) duration; a zero duration's one row is an
		 * interval long. */
		guint64 length = table.duration == 0 ? self->interval : last ? table.duration - start : table.interval;
		json_writer_begin_object(writer);
		json_writer_key(writer, "start");
		engine_io_write_microseconds(writer, start);
		json_writer_key(writer, "values");
		json_writer_begin_array(writer);
		for (guint i = 0; i < self->columns->len; i++) {
			EngineIoColumn *column = g_ptr_array_index(self->columns, i);
			const EngineIoItem *item = row < column->items->len ? engine_io_item(column, (guint)row) : &empty;
			engine_io_write_value(writer, column, item, length == 0 ? 1 : length);
		}
		json_writer_end_array(writer);
		json_writer_end_object(writer);
		if (!engine_io_flush(writer, file, FALSE, error))
			return FALSE;
	}
	json_writer_end_array(writer);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
	return engine_io_flush(writer, file, TRUE, error);
}

static gboolean
engine_io_write(EngineIo *self, const EngineIoRequest *request, nstime_t elapsed, guint64 *rows, GError **error)
{
	EngineIoTable table = engine_io_table(self, elapsed);
	g_autoptr(EngineAnswerFile) file = NULL;
	g_autoptr(JsonWriter) writer = json_writer_new();

	if (table.n_rows > ENGINE_IO_MAX_ROWS) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "interval: %s seconds gives %" G_GUINT64_FORMAT " intervals over this capture, more than %d",
			    request->interval, table.n_rows, ENGINE_IO_MAX_ROWS);
		return FALSE;
	}
	file = engine_answer_file_open(request->output, error);
	if (file == NULL ||
	    !engine_io_write_body(self, request->columns, request->n_columns, request->interval, table, writer, file,
				  error) ||
	    !engine_answer_file_commit(file, error))
		return FALSE;
	*rows = table.n_rows;
	return TRUE;
}

gboolean
engine_io_run(Engine *engine, const EngineIoRequest *request, EngineProgressFunc progress,
	      gpointer progress_data, guint64 *rows, GError **error)
{
	g_auto(EngineIo) io = {0};
	gint64 elapsed_ns = 0;
	EngineLoop loop = {
	    .frame = engine_io_frame_cb,
	    .user_data = &io,
	    .progress = {progress, progress_data, 0.0, 1.0},
	};

	*rows = 0;
	if (!engine_io_prepare(&io, request, error) ||
	    !engine_run_passes(engine, request->capture, request->passes, &loop, TRUE, FALSE, &elapsed_ns, error))
		return FALSE;
	if (io.too_many_rows) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "interval: %s seconds gives more than %d intervals over this capture", request->interval,
			    ENGINE_IO_MAX_ROWS);
		return FALSE;
	}
	nstime_t elapsed = {(time_t)(elapsed_ns / 1000000000), (int)(elapsed_ns % 1000000000)};
	return engine_io_write(&io, request, elapsed, rows, error);
}

/* ---- the summary pass's all-frames series ---- */

static const char *const engine_io_auto_intervals[] = WORKER_IO_AUTO_INTERVALS;
#define ENGINE_IO_N_AUTO G_N_ELEMENTS(engine_io_auto_intervals)

/* Rows kept of an automatic interval: the last one is used however many rows it gives. */
static guint64
engine_io_series_max_rows(gsize interval_index)
{
	return interval_index == ENGINE_IO_N_AUTO - 1 ? ENGINE_IO_MAX_ROWS : WORKER_IO_AUTO_ROWS + 1;
}

struct EngineIoSeries {
	/* One all-frames column per automatic interval; an interval that passed its rows
	 * (engine_io_series_max_rows) stops counting (too_many_rows). */
	EngineIo io[ENGINE_IO_N_AUTO];
	gboolean seen_first;
	nstime_t first;   /* the time reference: the first frame's time, as in a pass */
	nstime_t elapsed; /* the latest time relative to it (the pass's elapsed time) */
};

EngineIoSeries *
engine_io_series_new(void)
{
	EngineIoSeries *self = g_new0(EngineIoSeries, 1);
	for (gsize i = 0; i < ENGINE_IO_N_AUTO; i++) {
		EngineIo *io = &self->io[i];
		gboolean parsed = engine_io_parse_interval(io, engine_io_auto_intervals[i], NULL);
		g_assert(parsed);
		io->columns = g_ptr_array_new_with_free_func((GDestroyNotify)engine_io_column_free);
		g_ptr_array_add(io->columns, engine_io_parse_column(io, "", NULL));
	}
	return self;
}

void
engine_io_series_free(EngineIoSeries *self)
{
	if (self == NULL)
		return;
	for (gsize i = 0; i < ENGINE_IO_N_AUTO; i++)
		engine_io_clear(&self->io[i]);
	g_free(self);
}

void
engine_io_series_add(EngineIoSeries *self, const frame_data *fdata)
{
	nstime_t relative;

	/* As frame_data_set_before_dissect() and the tap's pinfo->rel_ts reckon it. */
	if (!self->seen_first) {
		self->first = fdata->abs_ts;
		self->seen_first = TRUE;
	}
	nstime_delta(&relative, &fdata->abs_ts, &self->first);
	if ((gint32)self->elapsed.secs < relative.secs ||
	    ((gint32)self->elapsed.secs == relative.secs && self->elapsed.nsecs < relative.nsecs))
		self->elapsed = relative;
	for (gsize i = 0; i < ENGINE_IO_N_AUTO; i++) {
		EngineIo *io = &self->io[i];
		EngineIoColumn *column = g_ptr_array_index(io->columns, 0);
		if (io->too_many_rows)
			continue;
		if (engine_io_count_frame(column, &relative, fdata->pkt_len, engine_io_series_max_rows(i)) == NULL)
			g_array_set_size(column->items, 0); /* never written: its memory goes now */
	}
}

gboolean
engine_io_series_write(EngineIoSeries *self, EngineOutput *output, GError **error)
{
	for (gsize i = 0; i < ENGINE_IO_N_AUTO; i++) {
		EngineIo *io = &self->io[i];
		EngineIoTable table = engine_io_table(io, self->elapsed);
		g_autoptr(JsonWriter) writer = json_writer_new();
		g_autofree char *name = NULL;

		if (io->too_many_rows || table.n_rows > engine_io_series_max_rows(i))
			continue;
		if (!engine_io_write_body(io, NULL, 0, engine_io_auto_intervals[i], table, writer, NULL, error))
			return FALSE;
		name = g_strdup_printf("%s/%s.json", WORKER_RESULT_IO_FOLDER, engine_io_auto_intervals[i]);
		gsize length = json_writer_get_length(writer);
		g_autofree char *text = json_writer_steal_string(writer);
		if (!engine_output_write(output, name, text, length, error))
			return FALSE;
	}
	return TRUE;
}
