/* store-sql-postgres.c: the PostgreSQL backend of store-sql.h (libpq).
 * `?` placeholders become `$n`; a statement runs with PQexecParams in text mode at its first
 * step and its rows are then stepped through the result. Integers travel as decimal text, so
 * the server infers every parameter's type from its use, as SQLite's loose typing expects.
 *
 * Failure: connecting gives up after a few seconds, keep-alives notice a silent peer, and every
 * statement has a time limit, so no call hangs. A connection found broken is reset by the next
 * call (at most once a second, so an outage costs each request a failed attempt, not a wait);
 * meanwhile calls fail with SHARKAPI_ERROR_UNAVAILABLE (503 with Retry-After). The outage is
 * logged once when it starts and once when it ends. A transaction whose connection broke is
 * never continued on a new one: its statements fail until the caller rolls back.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sharkapi-error.h"
#include "store/store-sql-backend.h"

/* Seconds libpq may spend connecting; milliseconds a statement may run. */
#define STORE_SQL_POSTGRES_CONNECT_TIMEOUT "2" /* libpq's least */
#define STORE_SQL_POSTGRES_STATEMENT_TIMEOUT_MS 15000
/* Microseconds after a failed connection attempt before the next (an outage costs each request
 * at most one attempt a second, not one each). */
#define STORE_SQL_POSTGRES_RETRY_US G_USEC_PER_SEC

typedef struct {
	StoreSql parent;
	GMutex lock; /* one libpq call at a time: a PGconn is not thread-safe */
	char *conninfo;
	PGconn *conn;
	gboolean down;          /* an outage was logged and has not ended */
	gboolean ended_by_server; /* the server's FATAL notice came: the connection is done */
	gboolean in_transaction;
	gboolean transaction_lost; /* the connection broke inside the transaction */
	gint64 last_failure_us; /* of the last failed connection attempt; 0 after a success */
} StoreSqlPostgres;

typedef struct {
	StoreSqlStatement parent;
	char *text;    /* with $n placeholders */
	int n_params;
	char **values; /* n_params entries, NULL for SQL NULL */
	PGresult *result;
	int row;
	gint64 changes;
} StoreSqlPostgresStatement;

static StoreSqlPostgres *
store_sql_postgres(StoreSql *self)
{
	return (StoreSqlPostgres *)self;
}

static StoreSqlPostgresStatement *
store_sql_postgres_statement(StoreSqlStatement *stmt)
{
	return (StoreSqlPostgresStatement *)stmt;
}

/* libpq's notices ("relation already exists, skipping") are not warnings of ours. A FATAL one
 * arrives when the server ends an idle connection (a restart, pg_terminate_backend) before it
 * closes the socket: user_data (may be NULL) then marks the connection done. */
static void
store_sql_postgres_notice_cb(void *user_data, const char *message)
{
	gboolean *ended = user_data;
	if (ended != NULL && g_str_has_prefix(message, "FATAL"))
		*ended = TRUE;
	g_debug("postgresql: %s", message);
}

static void
store_sql_postgres_adopt(StoreSqlPostgres *self, PGconn *conn)
{
	if (self->conn != NULL)
		PQfinish(self->conn);
	self->conn = conn;
	self->ended_by_server = FALSE;
	PQsetNoticeProcessor(conn, store_sql_postgres_notice_cb, &self->ended_by_server);
}

/* Session settings, after every (re)connection. */
static gboolean
store_sql_postgres_setup(PGconn *conn, char **reason)
{
	PQsetNoticeProcessor(conn, store_sql_postgres_notice_cb, NULL);
	g_autofree char *settings = g_strdup_printf("SET statement_timeout = %d; SET lock_timeout = %d; "
						    "SET client_min_messages = warning",
						    STORE_SQL_POSTGRES_STATEMENT_TIMEOUT_MS,
						    STORE_SQL_POSTGRES_STATEMENT_TIMEOUT_MS);
	PGresult *result = PQexec(conn, settings);
	gboolean ok = PQresultStatus(result) == PGRES_COMMAND_OK;
	if (!ok)
		*reason = g_strdup(PQerrorMessage(conn));
	PQclear(result);
	return ok;
}

static PGconn *
store_sql_postgres_connect(const char *conninfo, char **reason)
{
	/* Ours first: the operator's URL, expanded in place of dbname, overrides any of them. */
	const char *const keywords[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
					"keepalives_count", "tcp_user_timeout", "application_name", "dbname", NULL};
	const char *const values[] = {STORE_SQL_POSTGRES_CONNECT_TIMEOUT, "1", "5", "2", "3", "10000", "sharkapi",
				      conninfo, NULL};
	PGconn *conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL) {
		*reason = g_strdup("out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK || !store_sql_postgres_setup(conn, reason)) {
		if (*reason == NULL)
			*reason = g_strdup(PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGconn *
store_sql_postgres_new_connection(StoreSql *base, char **reason)
{
	g_return_val_if_fail(store_sql_backend(base) == STORE_SQL_POSTGRES, NULL);
	return store_sql_postgres_connect(store_sql_postgres(base)->conninfo, reason);
}

static void
store_sql_postgres_set_unavailable(StoreSqlPostgres *self, GError **error, const char *reason)
{
	g_autofree char *trimmed = g_strstrip(g_strdup(reason != NULL ? reason : "connection lost"));
	if (!self->down) {
		g_warning("PostgreSQL is unavailable: %s; answering 503 until it is back", trimmed);
		self->down = TRUE;
	}
	/* The reason is the operator's (logged above), not the client's: it names hosts and paths. */
	g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
			    "the metadata database is unavailable; try again later");
}

/* FALSE when the server has closed the connection since its last use (a restart, a fast
 * shutdown): libpq notices only when it reads, so read what is waiting, without blocking, and
 * the next statement goes to a new connection instead of failing on the old one. */
static gboolean
store_sql_postgres_is_alive(StoreSqlPostgres *self)
{
	PGconn *conn = self->conn;
	struct pollfd waiting = {.fd = PQsocket(conn), .events = POLLIN};
	if (waiting.fd < 0)
		return FALSE;
	/* A terminated backend sends its FATAL message, then closes: the close is a second read. */
	for (int reads = 0; reads < 4 && PQstatus(conn) == CONNECTION_OK && poll(&waiting, 1, 0) > 0; reads++) {
		if (!PQconsumeInput(conn))
			break;
	}
	/* Parses what was read: a FATAL notice read before the close marks the connection done. */
	if (PQstatus(conn) == CONNECTION_OK)
		(void)PQisBusy(conn);
	return PQstatus(conn) == CONNECTION_OK && !self->ended_by_server;
}

/* With the lock held: a working connection, or FALSE with an UNAVAILABLE error. */
static gboolean
store_sql_postgres_ensure(StoreSqlPostgres *self, GError **error)
{
	if (self->transaction_lost) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
			    "the metadata database connection was lost inside a transaction; try again later");
		return FALSE;
	}
	if (self->conn != NULL && store_sql_postgres_is_alive(self))
		return TRUE;
	if (self->in_transaction) {
		self->transaction_lost = TRUE;
		store_sql_postgres_set_unavailable(self, error, "connection lost inside a transaction");
		return FALSE;
	}
	gint64 now = g_get_monotonic_time();
	if (self->last_failure_us != 0 && now - self->last_failure_us < STORE_SQL_POSTGRES_RETRY_US) {
		store_sql_postgres_set_unavailable(self, error, "reconnecting");
		return FALSE;
	}
	g_autofree char *reason = NULL;
	PGconn *conn = store_sql_postgres_connect(self->conninfo, &reason);
	if (conn == NULL) {
		self->last_failure_us = g_get_monotonic_time();
		store_sql_postgres_set_unavailable(self, error, reason);
		return FALSE;
	}
	self->last_failure_us = 0;
	store_sql_postgres_adopt(self, conn);
	if (self->down)
		g_message("PostgreSQL is back: reconnected");
	self->down = FALSE;
	return TRUE;
}

/* SQLSTATE classes that mean "try again later" rather than "this request is wrong". */
static SharkapiErrorCode
store_sql_postgres_error_code(const char *sqlstate)
{
	if (sqlstate == NULL)
		return SHARKAPI_ERROR_UNAVAILABLE;
	if (g_str_equal(sqlstate, "53100"))
		return SHARKAPI_ERROR_NO_SPACE; /* disk full */
	if (g_str_has_prefix(sqlstate, "08") || g_str_has_prefix(sqlstate, "53") ||
	    g_str_has_prefix(sqlstate, "57") || g_str_has_prefix(sqlstate, "40") ||
	    g_str_equal(sqlstate, "55P03")) /* connection, resources, shutdown/cancel, rollback, lock */
		return SHARKAPI_ERROR_UNAVAILABLE;
	return SHARKAPI_ERROR_INTERNAL;
}

/* With the lock held: turns a failed result into an error; a broken connection is an outage. */
static void
store_sql_postgres_set_error(StoreSqlPostgres *self, PGresult *result, GError **error)
{
	const char *message = result != NULL ? PQresultErrorMessage(result) : PQerrorMessage(self->conn);
	if (message == NULL || *message == '\0')
		message = PQerrorMessage(self->conn);
	if (PQstatus(self->conn) != CONNECTION_OK) {
		if (self->in_transaction)
			self->transaction_lost = TRUE;
		store_sql_postgres_set_unavailable(self, error, message);
		return;
	}
	const char *sqlstate = result != NULL ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
	g_autofree char *trimmed = g_strstrip(g_strdup(message));
	g_set_error_literal(error, SHARKAPI_ERROR, store_sql_postgres_error_code(sqlstate), trimmed);
}

/* Runs one command or query under the lock; NULL with error set on failure. */
static PGresult *
store_sql_postgres_run(StoreSqlPostgres *self, const char *text, int n_params, const char *const *values,
		       GError **error)
{
	g_mutex_lock(&self->lock);
	PGresult *result = NULL;
	if (store_sql_postgres_ensure(self, error)) {
		result = n_params < 0 ? PQexec(self->conn, text)
				      : PQexecParams(self->conn, text, n_params, NULL, values, NULL, NULL, 0);
		ExecStatusType status = PQresultStatus(result);
		if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
			store_sql_postgres_set_error(self, result, error);
			PQclear(result);
			result = NULL;
		}
	}
	g_mutex_unlock(&self->lock);
	return result;
}

static void
store_sql_postgres_close(StoreSql *base)
{
	StoreSqlPostgres *self = store_sql_postgres(base);
	if (self->conn != NULL)
		PQfinish(self->conn);
	g_mutex_clear(&self->lock);
	g_free(self->conninfo);
	g_free(self);
}

/* "? ?3 '?'" -> "$1 $3 '?'": placeholders outside quotes and comments. Returns the count. */
static int
store_sql_postgres_translate(const char *text, GString *out)
{
	int next = 0, highest = 0;
	char quote = 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			g_string_append_c(out, *p);
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			g_string_append_c(out, *p);
			continue;
		}
		if (*p != '?') {
			g_string_append_c(out, *p);
			continue;
		}
		int number;
		if (g_ascii_isdigit(p[1])) {
			char *end = NULL;
			number = (int)strtol(p + 1, &end, 10);
			p = end - 1;
		} else {
			number = ++next;
		}
		highest = MAX(highest, number);
		g_string_append_printf(out, "$%d", number);
	}
	return highest;
}

static StoreSqlStatement *
store_sql_postgres_prepare(StoreSql *self, const char *text, GError **error)
{
	StoreSqlPostgresStatement *stmt = g_new0(StoreSqlPostgresStatement, 1);
	GString *translated = g_string_new(NULL);
	stmt->parent.connection = self;
	stmt->n_params = store_sql_postgres_translate(text, translated);
	stmt->text = g_string_free(translated, FALSE);
	stmt->values = g_new0(char *, stmt->n_params + 1);
	stmt->row = -1;
	return &stmt->parent;
}

static void
store_sql_postgres_reset(StoreSqlStatement *base)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	if (stmt->result != NULL)
		PQclear(stmt->result);
	stmt->result = NULL;
	stmt->row = -1;
}

static void
store_sql_postgres_clear_bindings(StoreSqlStatement *base)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	for (int i = 0; i < stmt->n_params; i++)
		g_clear_pointer(&stmt->values[i], g_free);
}

static void
store_sql_postgres_finalize(StoreSqlStatement *base)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	store_sql_postgres_reset(base);
	store_sql_postgres_clear_bindings(base);
	g_free(stmt->values);
	g_free(stmt->text);
	g_free(stmt);
}

static void
store_sql_postgres_bind(StoreSqlStatement *base, int index, char *value)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	if (index < 1 || index > stmt->n_params) {
		g_free(value);
		g_return_if_reached();
	}
	g_free(stmt->values[index - 1]);
	stmt->values[index - 1] = value;
}

static void
store_sql_postgres_bind_text(StoreSqlStatement *stmt, int index, const char *value)
{
	store_sql_postgres_bind(stmt, index, g_strdup(value));
}

static void
store_sql_postgres_bind_int64(StoreSqlStatement *stmt, int index, gint64 value)
{
	store_sql_postgres_bind(stmt, index, g_strdup_printf("%" G_GINT64_FORMAT, value));
}

static void
store_sql_postgres_bind_null(StoreSqlStatement *stmt, int index)
{
	store_sql_postgres_bind(stmt, index, NULL);
}

static StoreSqlStep
store_sql_postgres_step(StoreSqlStatement *base, GError **error)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	if (stmt->result == NULL) {
		stmt->result = store_sql_postgres_run(store_sql_postgres(base->connection), stmt->text, stmt->n_params,
						      (const char *const *)stmt->values, error);
		if (stmt->result == NULL)
			return STORE_SQL_ERROR;
		const char *affected = PQcmdTuples(stmt->result);
		stmt->changes = affected != NULL && *affected != '\0' ? g_ascii_strtoll(affected, NULL, 10) : 0;
		stmt->row = -1;
	}
	if (stmt->row + 1 < PQntuples(stmt->result)) {
		stmt->row++;
		return STORE_SQL_ROW;
	}
	stmt->row = PQntuples(stmt->result);
	return STORE_SQL_DONE;
}

static gboolean
store_sql_postgres_has_row(StoreSqlPostgresStatement *stmt, int column)
{
	return stmt->result != NULL && stmt->row >= 0 && stmt->row < PQntuples(stmt->result) && column >= 0 &&
	       column < PQnfields(stmt->result);
}

static gboolean
store_sql_postgres_column_is_null(StoreSqlStatement *base, int column)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	return !store_sql_postgres_has_row(stmt, column) || PQgetisnull(stmt->result, stmt->row, column);
}

static const char *
store_sql_postgres_column_text(StoreSqlStatement *base, int column)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	if (store_sql_postgres_column_is_null(base, column))
		return NULL;
	return PQgetvalue(stmt->result, stmt->row, column);
}

static gint64
store_sql_postgres_column_int64(StoreSqlStatement *base, int column)
{
	const char *text = store_sql_postgres_column_text(base, column);
	if (text == NULL)
		return 0;
	/* A SUM() comes back as numeric ("12" or "12.0"); a boolean as "t" or "f". */
	if (text[0] == 't' && text[1] == '\0')
		return 1;
	return g_ascii_strtoll(text, NULL, 10);
}

static int
store_sql_postgres_column_count(StoreSqlStatement *base)
{
	StoreSqlPostgresStatement *stmt = store_sql_postgres_statement(base);
	return stmt->result != NULL ? PQnfields(stmt->result) : 0;
}

static gint64
store_sql_postgres_changes(StoreSqlStatement *base)
{
	return store_sql_postgres_statement(base)->changes;
}

static gint64
store_sql_postgres_last_insert_id(StoreSql *base, GError **error)
{
	PGresult *result = store_sql_postgres_run(store_sql_postgres(base), "SELECT lastval()", 0, NULL, error);
	if (result == NULL)
		return 0;
	gint64 id = PQntuples(result) > 0 ? g_ascii_strtoll(PQgetvalue(result, 0, 0), NULL, 10) : 0;
	PQclear(result);
	return id;
}

static gboolean
store_sql_postgres_exec(StoreSql *base, const char *text, GError **error)
{
	PGresult *result = store_sql_postgres_run(store_sql_postgres(base), text, -1, NULL, error);
	if (result == NULL) {
		g_prefix_error(error, "database: ");
		return FALSE;
	}
	PQclear(result);
	return TRUE;
}

static gboolean
store_sql_postgres_begin(StoreSql *base, GError **error)
{
	StoreSqlPostgres *self = store_sql_postgres(base);
	if (!store_sql_postgres_exec(base, "BEGIN", error))
		return FALSE;
	g_mutex_lock(&self->lock);
	self->in_transaction = TRUE;
	g_mutex_unlock(&self->lock);
	return TRUE;
}

static void
store_sql_postgres_end_transaction(StoreSqlPostgres *self)
{
	g_mutex_lock(&self->lock);
	self->in_transaction = FALSE;
	self->transaction_lost = FALSE;
	g_mutex_unlock(&self->lock);
}

static gboolean
store_sql_postgres_commit(StoreSql *base, GError **error)
{
	StoreSqlPostgres *self = store_sql_postgres(base);
	gboolean ok = store_sql_postgres_exec(base, "COMMIT", error);
	/* A failed COMMIT has ended the transaction too (or its connection is gone). */
	store_sql_postgres_end_transaction(self);
	return ok;
}

static gboolean
store_sql_postgres_rollback(StoreSql *base, GError **error)
{
	StoreSqlPostgres *self = store_sql_postgres(base);
	gboolean lost = FALSE;
	g_mutex_lock(&self->lock);
	lost = self->transaction_lost || self->conn == NULL || PQstatus(self->conn) != CONNECTION_OK;
	g_mutex_unlock(&self->lock);
	store_sql_postgres_end_transaction(self);
	/* The server rolled back a transaction whose connection broke; the next call reconnects. */
	if (lost)
		return TRUE;
	return store_sql_postgres_exec(base, "ROLLBACK", error);
}

static const StoreSqlOps store_sql_postgres_ops = {
	.close = store_sql_postgres_close,
	.prepare = store_sql_postgres_prepare,
	.finalize = store_sql_postgres_finalize,
	.bind_text = store_sql_postgres_bind_text,
	.bind_int64 = store_sql_postgres_bind_int64,
	.bind_null = store_sql_postgres_bind_null,
	.reset = store_sql_postgres_reset,
	.clear_bindings = store_sql_postgres_clear_bindings,
	.step = store_sql_postgres_step,
	.column_text = store_sql_postgres_column_text,
	.column_int64 = store_sql_postgres_column_int64,
	.column_is_null = store_sql_postgres_column_is_null,
	.column_count = store_sql_postgres_column_count,
	.changes = store_sql_postgres_changes,
	.last_insert_id = store_sql_postgres_last_insert_id,
	.exec = store_sql_postgres_exec,
	.begin = store_sql_postgres_begin,
	.commit = store_sql_postgres_commit,
	.rollback = store_sql_postgres_rollback,
};

StoreSql *
store_sql_open_postgres(const char *conninfo, GError **error)
{
	g_autofree char *reason = NULL;
	PGconn *conn = store_sql_postgres_connect(conninfo, &reason);
	if (conn == NULL) {
		g_autofree char *trimmed = g_strstrip(g_strdup(reason));
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE, "connecting to PostgreSQL: %s", trimmed);
		return NULL;
	}
	StoreSqlPostgres *self = g_new0(StoreSqlPostgres, 1);
	self->parent.ops = &store_sql_postgres_ops;
	self->parent.backend = STORE_SQL_POSTGRES;
	g_mutex_init(&self->lock);
	self->conninfo = g_strdup(conninfo);
	store_sql_postgres_adopt(self, conn);
	return &self->parent;
}
