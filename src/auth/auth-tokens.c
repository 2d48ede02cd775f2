/* auth-tokens.c: token creation, verification and revocation on the tokens table.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "auth"

#include "auth/auth-tokens.h"

#include <string.h>

#include "secrets.h"
#include "sharkapi-error.h"
#include "store/store-db.h"

static const char *const auth_permission_names[] = {
	"upload", "info", "download", "delete", "annotate", "analysis", "admin",
};

void
auth_token_free(AuthToken *token)
{
	if (token == NULL)
		return;
	g_free(token->name);
	g_free(token->created_at);
	g_free(token);
}

const char *
auth_permission_name(AuthPermission permission)
{
	for (guint i = 0; i < G_N_ELEMENTS(auth_permission_names); i++) {
		if (permission == (1u << i))
			return auth_permission_names[i];
	}
	return "unknown";
}

gboolean
auth_permissions_parse(const char *list, guint *permissions, GError **error)
{
	*permissions = 0;
	if (list == NULL || *list == '\0') {
		*permissions = AUTH_PERMISSION_ALL;
		return TRUE;
	}
	g_auto(GStrv) names = g_strsplit(list, ",", -1);
	for (guint n = 0; names[n] != NULL; n++) {
		const char *name = g_strstrip(names[n]);
		gboolean known = FALSE;
		if (*name == '\0')
			continue;
		for (guint i = 0; i < G_N_ELEMENTS(auth_permission_names); i++) {
			if (g_ascii_strcasecmp(name, auth_permission_names[i]) == 0) {
				*permissions |= 1u << i;
				known = TRUE;
			}
		}
		if (!known) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "unknown permission '%s' (valid: upload, info, download, delete, "
				    "annotate, analysis, admin)",
				    name);
			return FALSE;
		}
	}
	return TRUE;
}

char *
auth_permissions_to_string(guint permissions)
{
	g_autoptr(GString) out = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(auth_permission_names); i++) {
		if ((permissions & (1u << i)) == 0)
			continue;
		if (out->len > 0)
			g_string_append_c(out, ',');
		g_string_append(out, auth_permission_names[i]);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *
auth_token_hash(const char *token)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

static gboolean
auth_token_is_well_formed(const char *token)
{
	if (token == NULL || strlen(token) != AUTH_TOKEN_LENGTH)
		return FALSE;
	for (const char *p = token; *p != '\0'; p++) {
		if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
			return FALSE;
	}
	return TRUE;
}

char *
auth_token_create(StoreSql *db, const char *name, guint permissions, GError **error)
{
	g_autofree char *token = secrets_random_hex(AUTH_TOKEN_LENGTH / 2, error);
	if (token == NULL)
		return NULL;

	g_autofree char *hash = auth_token_hash(token);
	g_autofree char *hash_prefix = g_strndup(hash, 16);
	g_autofree char *now = store_db_now_iso8601();
	g_autofree char *permission_list = auth_permissions_to_string(permissions);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		db,
		"INSERT INTO tokens (name, hash_prefix, hash, permissions, created_at) VALUES (?,?,?,?,?)",
		error);
	if (stmt == NULL)
		return NULL;
	store_sql_bind_text(stmt, 1, name);
	store_sql_bind_text(stmt, 2, hash_prefix);
	store_sql_bind_text(stmt, 3, hash);
	store_sql_bind_text(stmt, 4, permission_list);
	store_sql_bind_text(stmt, 5, now);
	if (!store_sql_run(stmt, "storing the token", error))
		return NULL;
	return g_steal_pointer(&token);
}

/* A stored permission list that does not parse (written by hand, or by a newer version) fails
 * the token rather than granting a guess. */
static AuthToken *
auth_token_from_row(StoreSqlStatement *stmt, GError **error)
{
	g_autoptr(AuthToken) token = g_new0(AuthToken, 1);
	token->id = store_sql_column_int64(stmt, 0);
	token->name = g_strdup(store_sql_column_text(stmt, 1));
	g_autoptr(GError) parse_error = NULL;
	if (!auth_permissions_parse(store_sql_column_text(stmt, 2), &token->permissions, &parse_error)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "token %" G_GINT64_FORMAT " (%s): stored permissions: %s",
			    token->id, token->name, parse_error->message);
		return NULL;
	}
	token->created_at = g_strdup(store_sql_column_text(stmt, 3));
	token->revoked = store_sql_column_int64(stmt, 4) != 0;
	return g_steal_pointer(&token);
}

AuthToken *
auth_token_verify(StoreSql *db, const char *presented, GError **error)
{
	if (!auth_token_is_well_formed(presented)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAUTHORIZED,
			    presented == NULL || *presented == '\0' ? "missing API token"
								    : "unknown API token");
		return NULL;
	}
	static const char sql[] =
		"SELECT id, name, permissions, created_at, revoked, hash FROM tokens WHERE hash_prefix = ?";
	g_autofree char *hash = auth_token_hash(presented);
	g_autofree char *hash_prefix = g_strndup(hash, 16);
	AuthToken *token = NULL;
	StoreSqlStatement *stmt = store_sql_borrow(db, sql, error);
	if (stmt == NULL)
		return NULL;
	store_sql_bind_text(stmt, 1, hash_prefix);
	StoreSqlStep step = STORE_SQL_DONE;
	gboolean found = FALSE;
	while (!found && (step = store_sql_step(stmt, error)) == STORE_SQL_ROW) {
		const char *stored_hash = store_sql_column_text(stmt, 5);
		found = secrets_equal(stored_hash, hash) && store_sql_column_int64(stmt, 4) == 0;
	}
	if (found)
		token = auth_token_from_row(stmt, error);
	else if (step == STORE_SQL_ERROR)
		g_prefix_error(error, "checking the token: ");
	else
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAUTHORIZED, "unknown API token");
	store_sql_give_back(db, sql, stmt);
	return token;
}

gboolean
auth_token_require(const AuthToken *token, AuthPermission permission, GError **error)
{
	if ((token->permissions & (permission | AUTH_PERMISSION_ADMIN)) != 0)
		return TRUE;
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_FORBIDDEN,
		    "this API token lacks the '%s' permission", auth_permission_name(permission));
	return FALSE;
}

GPtrArray *
auth_token_list(StoreSql *db, GError **error)
{
	g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func((GDestroyNotify)auth_token_free);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		db, "SELECT id, name, permissions, created_at, revoked FROM tokens ORDER BY id", error);
	if (stmt == NULL)
		return NULL;
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW) {
		AuthToken *token = auth_token_from_row(stmt, error);
		if (token == NULL)
			return NULL;
		g_ptr_array_add(tokens, token);
	}
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "listing tokens: ");
		return NULL;
	}
	return g_steal_pointer(&tokens);
}

gboolean
auth_token_revoke(StoreSql *db, const char *id_or_name, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		db, "UPDATE tokens SET revoked = 1 WHERE (CAST(id AS TEXT) = ?1 OR name = ?1) AND revoked = 0",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id_or_name);
	if (!store_sql_run(stmt, "revoking the token", error))
		return FALSE;
	if (store_sql_changes(stmt) == 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "no active token '%s'", id_or_name);
		return FALSE;
	}
	return TRUE;
}
