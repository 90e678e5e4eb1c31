/*
 * The store of the SSO draft: the customer's non-secret IdP details, the
 * validation report of one version of them, and the review state.  Lists
 * (domains, groups, test users) are JSON arrays as text.
 */
#ifndef ONRAMP_SSO_STORE_H
#define ONRAMP_SSO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/db.h"
#include "onramp/sso_config.h"
#include "onramp/status.h"

/** The SSO draft of a customer (strings NULL when unset). */
typedef struct sso_draft {
	const char *protocol;		/* oidc, saml, not_required, or NULL */
	const char *review;		/* none, draft, pending, approved, changes_requested, rejected */
	int64_t version;
	int64_t updated_at;
	const char *discovery_url;
	const char *metadata_url;
	const char *metadata_xml;
	const char *entity_choice;
	const char *email_domains;	/* JSON array text */
	const char *claim_username;
	const char *claim_email;
	const char *claim_groups;
	const char *client_id;		/* OIDC client id (not secret) */
	const char *admin_groups;	/* JSON array text */
	const char *member_groups;	/* JSON array text */
	const char *test_users;		/* JSON array text */
	const char *report;		/* JSON text of the last validation, or NULL */
	bool report_ok;
	int64_t validated_version;	/* the draft version the report is about (0 = none) */
	int64_t validated_at;
	int64_t cert_not_after;		/* earliest validated signing certificate expiry (0 = none) */
	/* Read-only here (approval and activation write them): */
	bool require_sso;		/* password sign-in refused for members while live */
	int64_t approved_version;	/* 0 = nothing approved */
	int64_t approved_at;
	int64_t live_version;		/* 0 = SSO not live */
	int64_t live_activated_at;
} sso_draft;

/** Load the draft (defaults with version 0 when never saved). */
or_status store_sso_draft_get(db *d, arena *a, int64_t customer_id, sso_draft *out);
/**
 * Replace the draft's details when the version is still expected
 * (OR_ERR_VERSION otherwise).  The review becomes "none" for not_required,
 * else "draft": an edit always needs a new validation and review.
 */
or_status store_sso_draft_save(db *d, int64_t customer_id, const sso_draft *in, int64_t expected_version);
/**
 * Drop the pasted metadata XML of version, which validation refused for a
 * secret it holds (one pasted before PUT /sso scanned XML as validation
 * does): an edit, so the version moves on (*version is the new one) and the
 * review becomes "draft".  OR_ERR_VERSION when the draft changed meanwhile.
 */
or_status store_sso_metadata_purge(db *d, int64_t customer_id, int64_t *version);
/**
 * Store a validation report for version (OR_ERR_VERSION when the draft
 * changed meanwhile), with what it resolved (the sso_config JSON form, NULL
 * unless ok) as the version's validated_idp.
 */
or_status store_sso_report_save(db *d, int64_t customer_id, int64_t version, const char *report_json, bool ok,
				int64_t cert_not_after, const char *resolved_json);
/** Mark the validated draft pending review (OR_ERR_CONFLICT unless version was validated ok). */
or_status store_sso_submit(db *d, int64_t customer_id, int64_t version);

/* ---- sealed secrets (src/store/sso_secrets.c): blobs from seal_seal, never a value ---- */

/** The purpose (sso_secrets.purpose, and the seal's associated data) of the OIDC client secret. */
#define SSO_SECRET_OIDC_CLIENT "oidc_client_secret"
/** Insert or replace the sealed secret of purpose; set_at = now, set_by = the actor's label. */
or_status store_sso_secret_set(db *d, arena *a, int64_t customer_id, const char *purpose, const char *key_id,
			       const unsigned char *sealed, size_t n, int64_t now, const char *set_by);
/** Remove the sealed secret of purpose; *removed tells whether there was one. */
or_status store_sso_secret_delete(db *d, int64_t customer_id, const char *purpose, bool *removed);
/** Whether the OIDC client secret is set, since when and by whom (set_by in the arena). */
or_status store_sso_secret_status(db *d, arena *ar, int64_t customer_id, bool *set, int64_t *set_at,
				  const char **set_by);
/** The sealed blob of purpose (arena); OR_ERR_NOT_FOUND when none. */
or_status store_sso_secret_load(db *d, arena *ar, int64_t customer_id, const char *purpose, unsigned char **sealed,
				size_t *n);
/* ---- approved and live configurations (issue 13) ------------------------------------ */

/** The live config of a customer (OR_ERR_NOT_FOUND when none). */
or_status store_sso_live_get(db *d, arena *a, int64_t customer_id, sso_config *out);
/** The customer whose live SSO the email domain starts, case-insensitive (OR_ERR_NOT_FOUND when none). */
or_status store_sso_live_by_domain(db *d, const char *domain, int64_t *customer_id);
/**
 * The draft's validated version as a config (OR_ERR_CONFLICT when the
 * current version is not validated ok; the test sign-in uses it).
 */
or_status store_sso_validated_get(db *d, arena *a, int64_t customer_id, sso_config *out);
/** Set require_sso (no version bump: it is not part of the reviewed draft). */
or_status store_sso_require_set(db *d, int64_t customer_id, bool require);
/**
 * Whether password sign-in of this customer's members is refused: require_sso
 * is set and SSO is live (both false when no row).
 */
or_status store_sso_required(db *d, int64_t customer_id, bool *required);
/**
 * How many forgot-password mails without a link (template: "password_reset_sso",
 * "password_reset_account_state") went to to_addr of the customer since (UNIX seconds).
 */
or_status store_sso_hint_mails(db *d, int64_t customer_id, const char *tmpl, const char *to_addr, int64_t since,
			       long *n);
/** Whether a test sign-in of version passed (src/store/sso_tests.c). */
or_status store_sso_test_passed(db *d, int64_t customer_id, int64_t version, bool *passed);

#endif
