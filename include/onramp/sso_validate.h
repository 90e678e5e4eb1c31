/*
 * Validating an SSO draft: fetch what it points at (src/net/fetch.c), run
 * the pure checkers, and describe the outcome as the report JSON that
 * GET /sso and GET /sso/validations/{id} show.  This does outbound I/O and
 * so runs only in onramp-fetcher, never in a request worker.
 */
#ifndef ONRAMP_SSO_VALIDATE_H
#define ONRAMP_SSO_VALIDATE_H

#include <stdint.h>
#include <json-c/json.h>

#include "onramp/arena.h"
#include "onramp/config.h"
#include "onramp/fetch.h"
#include "onramp/sso_report.h"
#include "onramp/sso_store.h"

/**
 * Fetch and check draft d (protocol saml or oidc) into r, judging expiry at
 * now (or cfg's sso_clock); resolved gets the draft with what validation
 * resolved (endpoints, algorithms, token auth), stored when r is ok.
 */
void sso_validate_run(const config *cfg, arena *a, const sso_draft *d, int64_t now, sso_report *r,
		      sso_config *resolved);
/** The report as stored and shown: {ok, checks, counts, summary, validated_at}; the caller puts it. */
json_object *sso_validate_report_json(const sso_report *r, int64_t validated_at);
/** The earliest expiry among the report's signing certificates (0 when none). */
int64_t sso_validate_earliest_cert(const sso_report *r);

/** Append checks as [{key, ok, severity, message}] to arr (validation reports and test sign-ins); returns arr. */
json_object *sso_checks_json(json_object *arr, const sso_check *checks, size_t n);
/** {errors, warnings, notes, passed} of the rows, counted by sso_checks_count (the rows' own severities). */
json_object *sso_counts_json(const sso_check *checks, size_t n);
/** The fetch policy of every IdP fetch (validation and sign-in): allowlist, CA, overrides, limits. */
fetch_policy sso_fetch_policy(const config *cfg);

#endif
