/* auth-tokens.h: API tokens and their permissions.
 * A token is 32 lowercase hex characters shown once, at creation; only its SHA-256 is stored.
 * Lookups go by a prefix of the hash and finish with a constant-time comparison of the whole
 * hash. Every check reads the database, so tokens created or revoked by the CLI while the server
 * runs take effect at once. Must not know about HTTP: routes map the errors to 401/403.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include "store/store-sql.h"

G_BEGIN_DECLS

typedef enum {
	AUTH_PERMISSION_UPLOAD = 1 << 0,
	AUTH_PERMISSION_INFO = 1 << 1,
	AUTH_PERMISSION_DOWNLOAD = 1 << 2,
	AUTH_PERMISSION_DELETE = 1 << 3,
	AUTH_PERMISSION_ANNOTATE = 1 << 4,
	AUTH_PERMISSION_ANALYSIS = 1 << 5,
	AUTH_PERMISSION_ADMIN = 1 << 6,
} AuthPermission;

#define AUTH_PERMISSION_ALL 0x7f
#define AUTH_TOKEN_LENGTH 32

typedef struct {
	gint64 id;
	char *name;
	guint permissions;
	char *created_at;
	gboolean revoked;
} AuthToken;

void auth_token_free(AuthToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AuthToken, auth_token_free)

/* "upload,info" -> flags; unknown names are an error naming them. NULL or "" means all. */
gboolean auth_permissions_parse(const char *list, guint *permissions, GError **error);
/* flags -> "upload,info,..." */
char *auth_permissions_to_string(guint permissions);
/* The name of one permission flag, for 403 messages. */
const char *auth_permission_name(AuthPermission permission);

/* Creates a token; returns the clear text, which is never stored. */
char *auth_token_create(StoreSql *db, const char *name, guint permissions, GError **error);
/* Looks a presented token up; NULL with SHARKAPI_ERROR_UNAUTHORIZED when unknown or revoked. */
AuthToken *auth_token_verify(StoreSql *db, const char *presented, GError **error);
/* Fails with SHARKAPI_ERROR_FORBIDDEN naming the permission when the token lacks it. */
gboolean auth_token_require(const AuthToken *token, AuthPermission permission, GError **error);
/* All tokens, newest last (GPtrArray of AuthToken). */
GPtrArray *auth_token_list(StoreSql *db, GError **error);
/* Revokes by id or by name. */
gboolean auth_token_revoke(StoreSql *db, const char *id_or_name, GError **error);

G_END_DECLS
