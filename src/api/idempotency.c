/*
 * Idempotency-Key on creating POSTs (routes flagged ROUTE_IDEMPOTENT).  The
 * pipeline calls idem_begin before the handler and idem_finish after it.
 * idem_begin looks the caller's key up: the same request within
 * LIMIT_IDEM_TTL_S gets the stored answer again (Idempotent-Replayed: true),
 * another request under the key gets 422; otherwise the request is armed.
 * On an armed request api_commit leaves the transaction open, and
 * idem_finish inserts the key's row with the final answer and commits both
 * together: a change and its answer are durable together, so a client whose
 * answer was lost (a worker killed after the commit) gets it on its retry.
 * Two requests with one key at once: the later insert waits on the unique
 * key for the first transaction, finds the key taken, rolls its own work
 * back and replays the first answer.  Answers are sealed under the app's
 * secret key, since some carry a one-time link, a temporary password or a
 * cookie; the key's value is never logged.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "onramp/api.h"
#include "onramp/idem_store.h"
#include "onramp/idemkey.h"
#include "onramp/limits.h"
#include "onramp/log.h"

/* What idem_begin armed a request with (request arena). */
struct idem_state {
	int realm;
	int64_t principal_id;
	const char *key;
	char hash[SECRET_HASH_HEX + 1];
	size_t first_header;	/* headers before this one were set before the handler (not stored) */
	bool deferred;		/* api_commit left the transaction open for idem_finish */
};

/* The seal's associated data: the answer opens only for this principal and request. */
static void
answer_aad(const struct idem_state *s, char *out, size_t outsz)
{
	snprintf(out, outsz, "idempotency:%d:%lld:%s", s->realm, (long long)s->principal_id, s->hash);
}

/* Give the stored answer again (a 500 when it does not open: the secret key changed). */
static void
replay(app *a, http_request *req, http_response *resp, const struct idem_state *s, const idem_row *row)
{
	unsigned char plain[LIMIT_IDEM_ANSWER + 1];
	char aad[128];
	size_t n = 0, i;
	json_object *doc = NULL, *h, *b;

	answer_aad(s, aad, sizeof(aad));
	if (secret_open(a->secret_key, aad, row->answer, plain, LIMIT_IDEM_ANSWER, &n) == OR_OK) {
		plain[n] = '\0';
		doc = json_tokener_parse((const char *)plain);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	if (!json_object_object_get_ex(doc, "h", &h) || !json_object_object_get_ex(doc, "b", &b)) {
		json_object_put(doc);
		resp->detail = "idempotency answer does not open";
		http_error(resp, 500, "internal", "The stored answer for this Idempotency-Key cannot be read.");
		return;
	}
	http_json(resp, row->status, json_object_get(b));
	for (i = 0; i < json_object_array_length(h); i++) {
		json_object *pair = json_object_array_get_idx(h, i);

		(void)http_header_add(req, resp, json_object_get_string(json_object_array_get_idx(pair, 0)),
				      json_object_get_string(json_object_array_get_idx(pair, 1)));
	}
	(void)http_header_add(req, resp, "Idempotent-Replayed", "true");
	json_object_put(doc);
}

/* The stored row decides: replay the same request, refuse another one under the key. */
static void
answer_from(app *a, http_request *req, http_response *resp, const struct idem_state *s, const idem_row *row)
{
	if (!secret_equal(row->request_hash, s->hash, SECRET_HASH_HEX)) {
		(void)http_field_error_add(req, resp, "Idempotency-Key", "idempotency_key_reused",
					   "This key was used for a different request.");
		http_error(resp, 422, "idempotency_key_reused",
			   "This Idempotency-Key was already used for a different request: use a new key.");
		return;
	}
	replay(a, req, resp, s, row);
}

/* The live row of the key: OR_ERR_NOT_FOUND when none or expired. */
static or_status
live_row(app *a, http_request *req, const struct idem_state *s, idem_row *row)
{
	or_status st = store_idem_get(a->db, req->arena, s->realm, s->principal_id, s->key, row);

	if (st == OR_OK && row->created_at <= api_now(req) - LIMIT_IDEM_TTL_S)
		st = OR_ERR_NOT_FOUND;
	return st;
}

bool
idem_begin(app *a, const route *r, http_request *req, http_response *resp)
{
	principal *p = req->principal;
	struct idem_state *s;
	idem_row row;
	or_status st;

	if (!(r->flags & ROUTE_IDEMPOTENT) || req->idem_key[0] == '\0' || p == NULL)
		return true;
	if (!idemkey_valid(req->idem_key)) {
		(void)http_field_error_add(req, resp, "Idempotency-Key", "invalid",
					   "Use 1 to 255 printable ASCII characters without spaces.");
		http_error(resp, 400, "bad_request", "The Idempotency-Key header is not valid.");
		return false;
	}
	if (!a->has_secret_key) {
		http_unavailable(req, resp, a->cfg->db_retry_after_s,
				 "Idempotency keys are not available: the server has no secret key.");
		return false;
	}
	if ((s = arena_alloc(req->arena, sizeof(*s))) == NULL) {
		app_fail(a, req, resp, OR_ERR_NOMEM, "idempotency state");
		return false;
	}
	memset(s, 0, sizeof(*s));
	s->realm = (int)p->sess.realm;
	s->principal_id = p->sess.principal_id;
	s->key = req->idem_key;
	s->first_header = resp->nheaders;
	if ((st = idemkey_request_hash(a->secret_key, req->method, req->path, req->query, req->body, s->hash)) == OR_OK)
		st = live_row(a, req, s, &row);
	if (st == OR_OK) {
		answer_from(a, req, resp, s, &row);
		return false;
	}
	if (st != OR_ERR_NOT_FOUND) {
		api_fail_db(a, req, resp, st);
		return false;
	}
	req->idem = s;
	return true;
}

bool
idem_defer_commit(http_request *req)
{
	if (req->idem == NULL)
		return false;
	req->idem->deferred = true;
	return true;
}

/* The handler's answer as a sealed document {h: [[name, value]...], b: body}; OR_ERR_LIMIT when too large. */
static or_status
seal_answer(app *a, http_request *req, http_response *resp, const struct idem_state *s, const char **out)
{
	json_object *doc = json_object_new_object(), *h = json_object_new_array();
	char aad[128], *sealed;
	const char *text;
	size_t i, n, cap;
	or_status st = OR_ERR_LIMIT;

	for (i = s->first_header; i < resp->nheaders; i++) {
		json_object *pair = json_object_new_array();

		json_object_array_add(pair, json_object_new_string(resp->header_names[i]));
		json_object_array_add(pair, json_object_new_string(resp->header_values[i]));
		json_object_array_add(h, pair);
	}
	json_object_object_add(doc, "h", h);
	json_object_object_add(doc, "b", json_object_get(resp->json));
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	n = strlen(text);
	cap = (n + SECRET_GCM_NONCE_BYTES + SECRET_GCM_TAG_BYTES) * 4 / 3 + 4;
	answer_aad(s, aad, sizeof(aad));
	if (n <= LIMIT_IDEM_ANSWER && (sealed = arena_alloc(req->arena, cap)) != NULL &&
	    (st = secret_seal(a->secret_key, aad, (const unsigned char *)text, n, sealed, cap)) == OR_OK)
		*out = sealed;
	OPENSSL_cleanse((void *)(uintptr_t)text, n);
	json_object_put(doc);
	return st;
}

/* After a rollback: a request with the same key may have won meanwhile; its answer replaces this one. */
static void
prefer_winner(app *a, http_request *req, http_response *resp, const struct idem_state *s)
{
	idem_row row;

	if (live_row(a, req, s, &row) != OR_OK)
		return;
	http_response_cleanup(resp);
	http_response_init(resp);
	answer_from(a, req, resp, s, &row);
}

/* The armed request's work is done and answered: store the answer with it and commit both. */
static void
commit_with_answer(app *a, http_request *req, http_response *resp, const struct idem_state *s)
{
	idem_row row;
	or_status st;

	memset(&row, 0, sizeof(row));
	memcpy(row.request_hash, s->hash, sizeof(row.request_hash));
	row.status = resp->status;
	row.created_at = api_now(req);
	st = seal_answer(a, req, resp, s, &row.answer);
	if (st == OR_OK)
		st = store_idem_put(a->db, s->realm, s->principal_id, s->key, &row, api_now(req) - LIMIT_IDEM_TTL_S);
	if (st == OR_ERR_CONFLICT) {
		db_rollback(a->db);
		prefer_winner(a, req, resp, s);
		return;
	}
	if (st == OR_ERR_LIMIT) {
		/* An answer that cannot be kept must not leave a change a retry would repeat: refuse both. */
		log_event(LOG_WARN, "idempotency_answer_too_large", "request %s", req->request_id);
		st = OR_ERR_INTERNAL;
	}
	if (st == OR_OK)
		st = db_commit(a->db);
	if (st == OR_OK)
		return;
	db_rollback(a->db);
	http_response_cleanup(resp);
	http_response_init(resp);
	api_fail_db(a, req, resp, st);
}

void
idem_finish(app *a, http_request *req, http_response *resp)
{
	struct idem_state *s = req->idem;

	if (s == NULL)
		return;
	req->idem = NULL;
	if (!s->deferred) {
		/* Nothing was committed: no answer is kept, but a concurrent twin may have won. */
		if (resp->status >= 400 && !db_in_transaction(a->db))
			prefer_winner(a, req, resp, s);
		return;
	}
	if (resp->status >= 400 || resp->error_code != NULL) {
		/* The handler failed after its commit was deferred: keep neither the change nor an answer. */
		db_rollback(a->db);
		return;
	}
	commit_with_answer(a, req, resp, s);
}
