/*
 * A seam for the integration tests, answered only by a test_mode stack (404
 * everywhere else, like an unknown path): POST /api/v1/test/sso-admissions
 * runs sso_admit with a configuration and a verified identity given in the
 * body, as the sign-in callback would after verifying an ID token, and
 * answers the admission and the rules' verdict without starting a session.
 * It lets test_sso_admit.py exercise who gets in, with which role, without
 * an IdP; the real callback calls the same sso_admit.
 */
#include <string.h>

#include "onramp/api.h"
#include "onramp/sso_rules.h"
#include "handlers.h"

/* A JSON array of strings into an arena array; *n its length (0 when absent). */
static const char **
strings(http_request *req, json_object *o, const char *key, size_t *n)
{
	json_object *arr;
	const char **out;
	size_t i;

	*n = 0;
	if (!json_object_object_get_ex(o, key, &arr) || !json_object_is_type(arr, json_type_array))
		return NULL;
	*n = json_object_array_length(arr);
	out = arena_calloc(req->arena, *n + 1, sizeof(char *));
	for (i = 0; out && i < *n; i++)
		out[i] = arena_strdup(req->arena, json_object_get_string(json_object_array_get_idx(arr, i)));
	return out;
}

static const char *
string(http_request *req, json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return arena_strdup(req->arena, json_object_get_string(v));
}

static void
read_config(http_request *req, json_object *o, sso_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->protocol = "oidc";
	cfg->idp.issuer = string(req, o, "issuer");
	cfg->email_domains = strings(req, o, "email_domains", &cfg->ndomains);
	cfg->admin_groups = strings(req, o, "admin_groups", &cfg->nadmin);
	cfg->member_groups = strings(req, o, "member_groups", &cfg->nmember);
	cfg->test_users = strings(req, o, "test_users", &cfg->ntest);
}

static void
read_identity(http_request *req, json_object *o, oidc_identity *id)
{
	json_object *v;

	memset(id, 0, sizeof(*id));
	id->sub = string(req, o, "sub");
	id->email = string(req, o, "email");
	id->username = string(req, o, "username");
	id->issuer = string(req, o, "issuer");
	id->email_verified = -1;
	if (json_object_object_get_ex(o, "email_verified", &v) && json_object_is_type(v, json_type_boolean))
		id->email_verified = json_object_get_boolean(v) ? 1 : 0;
	id->groups = strings(req, o, "groups", &id->ngroups);
	id->has_groups = id->groups != NULL;
}

/* Admitted: commit and answer the user; refused: roll back and answer the refusal. */
static void
answer(app *a, http_request *req, http_response *resp, or_status st, const sso_admission *ad, json_object *verdict)
{
	json_object *o;

	if (st == OR_OK && !ad->ok) {
		db_rollback(a->db);
		http_error(resp, ad->status, ad->code, ad->message);
		resp->error_members = json_object_new_object();
		json_object_object_add(resp->error_members, "verdict", verdict);
		return;
	}
	if (!api_commit(a, req, resp, st)) {
		json_object_put(verdict);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", output_user(&ad->u, api_now(req), false));
	json_object_object_add(o, "verdict", verdict);
	http_json(resp, 200, o);
}

void
api_test_sso_admit(app *a, http_request *req, http_response *resp)
{
	static const char *const allowed[] = { "customer_id", "config", "identity", "invite_token", NULL };
	json_object *cj = NULL, *ij = NULL;
	sso_config cfg;
	oidc_identity id;
	sso_verdict v;
	sso_admission ad;
	bool has_id;
	or_status st;

	if (!a->cfg->test_mode) {
		http_error(resp, 404, "not_found", "Not found.");
		return;
	}
	if (!input_allowed(req, resp, allowed))
		return;
	(void)json_object_object_get_ex(req->json, "config", &cj);
	(void)json_object_object_get_ex(req->json, "identity", &ij);
	read_config(req, cj, &cfg);
	read_identity(req, ij, &id);
	cfg.customer_id = input_int(req, resp, "customer_id", true, 1, INT64_MAX, &has_id);
	if (!input_ok(resp))
		return;
	sso_rules_evaluate(req->arena, &cfg, &id, &v);
	if ((st = db_begin(a->db)) == OR_OK)
		st = sso_admit(a, req, &cfg, &id, string(req, req->json, "invite_token"), "oidc", &ad);
	answer(a, req, resp, st, &ad, api_sso_verdict_json(&v));
}
