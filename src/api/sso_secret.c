/*
 * The write-only OIDC client secret: PUT and DELETE /api/v1/sso/secret, its
 * status in GET /sso, and sso_secret_open() for the token request.  The value
 * is sealed (src/domain/seal.c) under the keyring of secret_keyring_file
 * before it reaches the store, bound to the customer and purpose; nothing
 * here ever writes it to a response, a log line or an audit row.  The route
 * carries ROUTE_SECRET_BODY, so the body is wiped after the request and no
 * error names or logs what it held.  The secret scanner does not look at this
 * field: this endpoint is the approved way to hand a secret over.
 *
 * The keyring is loaded at worker start and reloaded when the file changes
 * (onrampctl secrets rotate-key renames a new file into place), so a rotation
 * needs no restart: every worker picks up the new key before its next use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "onramp/api.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/seal.h"
#include "handlers.h"

/* The worker's keyring and the identity of the file it came from. */
struct sso_keys {
	seal_keyring ring;
	struct stat file;	/* the file ring came from */
	struct stat refused;	/* a changed file that was refused: logged once, not read again */
	bool loaded;
};

#define OPEN_MAX (LIMIT_SSO_CLIENT_SECRET_BYTES + SEAL_OVERHEAD)

static bool
same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino && x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
	       x->st_ctim.tv_sec == y->st_ctim.tv_sec && x->st_ctim.tv_nsec == y->st_ctim.tv_nsec;
}

/* (Re)load when the file is not the one loaded; keep the old ring when the new file is refused. */
static bool
reload(app *a, struct sso_keys *k, char *err, size_t errsz)
{
	seal_keyring fresh;
	struct stat sb;

	if (stat(a->cfg->secret_keyring_file, &sb) != 0) {
		snprintf(err, errsz, "key file %s: cannot be read", a->cfg->secret_keyring_file);
		return k->loaded;
	}
	if (k->loaded && (same_file(&sb, &k->file) || same_file(&sb, &k->refused)))
		return true;
	if (seal_keyring_load(&fresh, a->cfg->secret_keyring_file, err, errsz) != OR_OK) {
		if (k->loaded) {
			log_event(LOG_ERROR, "secret_keyring", "%s; keeping the keys loaded before", err);
			k->refused = sb;
		}
		return k->loaded;
	}
	seal_keyring_wipe(&k->ring);
	k->ring = fresh;
	k->file = sb;
	k->loaded = true;
	seal_keyring_wipe(&fresh);
	return true;
}

bool
sso_secret_init(app *a, char *err, size_t errsz)
{
	snprintf(err, errsz, "secret_keyring_file is not set");
	if (a->cfg->secret_keyring_file[0] == '\0')
		return false;
	if (a->sso_keys == NULL && (a->sso_keys = calloc(1, sizeof(*a->sso_keys))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return false;
	}
	return reload(a, a->sso_keys, err, errsz);
}

void
sso_secret_cleanup(app *a)
{
	if (a->sso_keys == NULL)
		return;
	OPENSSL_cleanse(a->sso_keys, sizeof(*a->sso_keys));
	free(a->sso_keys);
	a->sso_keys = NULL;
}

/* The current keyring, or NULL (then the endpoints answer 503). */
static const seal_keyring *
keyring(app *a)
{
	char err[CONFIG_PATH_MAX + 128];
	bool was = a->sso_keys && a->sso_keys->loaded;

	if (a->cfg->secret_keyring_file[0] == '\0' || !sso_secret_init(a, err, sizeof(err)))
		return NULL;
	if (!was)
		log_event(LOG_INFO, "secret_keyring", "loaded %s", a->cfg->secret_keyring_file);
	return &a->sso_keys->ring;
}

static void
no_keyring(app *a, http_request *req, http_response *resp)
{
	http_unavailable(req, resp, a->cfg->db_retry_after_s,
			 "Client secrets cannot be stored or used right now; the operators have been told.");
}

/* Text without control characters (C0, DEL, C1): the body is already strict UTF-8. */
static bool
printable(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

/* The one member, checked; its bytes stay in the parsed body (wiped after the request). */
static const char *
secret_member(http_request *req, http_response *resp, size_t *n)
{
	static const char *const allowed[] = { "client_secret", NULL };
	json_object *v = NULL;
	const char *msg = NULL, *code = "invalid";

	if (!input_allowed(req, resp, allowed))
		return NULL;
	if (!json_object_object_get_ex(req->json, "client_secret", &v) || v == NULL)
		code = "required", msg = "Enter the client secret your identity provider issued.";
	else if (!json_object_is_type(v, json_type_string))
		code = "invalid_type", msg = "Expected a string.";
	else if ((*n = (size_t)json_object_get_string_len(v)) == 0)
		code = "required", msg = "Enter the client secret your identity provider issued.";
	else if (*n > LIMIT_SSO_CLIENT_SECRET_BYTES)
		code = "too_long", msg = "At most 512 bytes.";
	else if (!printable((const unsigned char *)json_object_get_string(v), *n))
		msg = "Contains control characters (line breaks, tabs): paste the secret alone.";
	if (msg == NULL)
		return json_object_get_string(v);
	(void)http_field_error_add(req, resp, "client_secret", code, msg);
	(void)input_ok(resp);
	return NULL;
}

void
api_sso_secret_put(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req);
	const seal_keyring *kr = keyring(a);
	unsigned char blob[OPEN_MAX];
	const char *v;
	size_t n = 0, bn = 0;
	or_status st;

	if (kr == NULL) {
		no_keyring(a, req, resp);
		return;
	}
	if ((v = secret_member(req, resp, &n)) == NULL)
		return;
	st = seal_seal(kr, SSO_SECRET_OIDC_CLIENT, cid, (const unsigned char *)v, n, blob, sizeof(blob), &bn);
	if (st == OR_OK)
		st = db_begin(a->db);
	if (st == OR_OK)
		st = store_sso_secret_set(a->db, req->arena, cid, SSO_SECRET_OIDC_CLIENT, kr->keys[0].id, blob, bn,
					  api_now(req), api_actor_label(req));
	/* The audit row says that it was set, by whom: no value, hash or length. */
	if (st == OR_OK)
		st = api_audit(a, req, "sso.secret_set", cid, "sso_secret", 0, NULL, NULL);
	OPENSSL_cleanse(blob, sizeof(blob));
	if (api_commit(a, req, resp, st))
		resp->status = 204;
}

void
api_sso_secret_delete(app *a, http_request *req, http_response *resp)
{
	int64_t cid = api_customer_id(req);
	bool removed = false;
	or_status st = db_begin(a->db);

	/* Idempotent: removing a secret that is not there is the state asked for. */
	if (st == OR_OK)
		st = store_sso_secret_delete(a->db, cid, SSO_SECRET_OIDC_CLIENT, &removed);
	if (st == OR_OK && removed)
		st = api_audit(a, req, "sso.secret_removed", cid, "sso_secret", 0, NULL, NULL);
	if (api_commit(a, req, resp, st))
		resp->status = 204;
}

json_object *
api_sso_secret_json(app *a, arena *ar, int64_t customer_id, or_status *st)
{
	bool set = false;
	int64_t set_at = 0;
	const char *set_by = NULL;
	json_object *o;

	if ((*st = store_sso_secret_status(a->db, ar, customer_id, &set, &set_at, &set_by)) != OR_OK)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "set", json_object_new_boolean(set));
	json_object_object_add(o, "set_at", output_time(set_at));
	json_object_object_add(o, "set_by", output_str(set_by));
	return o;
}

or_status
sso_secret_open(app *a, int64_t customer_id, unsigned char *out, size_t cap, size_t *len)
{
	arena *ar = arena_new(4 * OPEN_MAX);
	const seal_keyring *kr = keyring(a);
	unsigned char *blob = NULL;
	size_t n = 0;
	or_status st;

	*len = 0;
	if (ar == NULL)
		return OR_ERR_NOMEM;
	st = kr ? store_sso_secret_load(a->db, ar, customer_id, SSO_SECRET_OIDC_CLIENT, &blob, &n) : OR_ERR_IO;
	if (st == OR_OK)
		st = seal_open(kr, SSO_SECRET_OIDC_CLIENT, customer_id, blob, n, out, cap, len);
	if (st == OR_ERR_NOT_FOUND && blob != NULL) {
		/* Sealed under a key this worker has not seen or that was dropped: say which, never what. */
		log_event(LOG_WARN, "secret_unopenable", "customer %lld: the client secret's key is not in %s",
			  (long long)customer_id, a->cfg->secret_keyring_file);
		st = OR_ERR_INVALID;
	}
	if (blob)
		OPENSSL_cleanse(blob, n);
	arena_free(ar);
	return st;
}
