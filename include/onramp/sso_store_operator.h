/*
 * Operator-only parts of the SSO store (src/store/sso_live.c): the approval
 * snapshot, activation and deactivation, and the go-live facts of the
 * operator's customer view.  Customer handlers never include this
 * (tests/check-headers.sh).
 */
#ifndef ONRAMP_SSO_STORE_OPERATOR_H
#define ONRAMP_SSO_STORE_OPERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "onramp/sso_store.h"

/** Where a customer's SSO stands beyond the draft (strings in the arena). */
typedef struct sso_golive {
	int64_t approved_version;	/* 0 = nothing approved */
	int64_t approved_at;
	int64_t live_version;		/* 0 = not live */
	int64_t activated_at;
	const char *activated_by;	/* operator username, "" when unknown */
	bool require_sso;
} sso_golive;

/**
 * Inside the approval's transaction: snapshot the draft's validated config
 * as the approved one (approved_config, approved_version, approved_at).
 * *snapshot is false when the current version has no validated config (a
 * report from before issue 13): the approval lands, nothing can go live.
 */
or_status store_sso_approve(db *d, int64_t customer_id, bool *snapshot);
/** Lock the customer's SSO row and load the approved snapshot (OR_ERR_NOT_FOUND when none). */
or_status store_sso_approved_lock(db *d, arena *a, int64_t customer_id, sso_config *out);
/**
 * Make the approved snapshot live, replacing any live version and its
 * domains, inside the caller's transaction.  OR_ERR_CONFLICT with *clash
 * naming the domain when another customer's live SSO holds one of them.
 */
or_status store_sso_activate(db *d, const sso_config *approved, int64_t operator_id, int64_t now, const char **clash);
/** Turn SSO sign-in off: delete the live config and its domains (*was_live: there was one). */
or_status store_sso_deactivate(db *d, int64_t customer_id, bool *was_live);
/** The go-live facts of a customer (OR_ERR_NOT_FOUND for no such customer). */
or_status store_sso_golive_state(db *d, arena *a, int64_t customer_id, sso_golive *out);

#endif
