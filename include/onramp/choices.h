/*
 * The closed lists of values the API accepts, defined once: handlers check
 * input against them, the store binds them, the filter language parses them
 * and docs/api.md lists them from here.  Each list is NULL-terminated; where
 * a bit mask stands for a set of values (the filter), value i is bit 1 << i.
 */
#ifndef ONRAMP_CHOICES_H
#define ONRAMP_CHOICES_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/str.h"

/** A user's status as the API reports and filters it (API.md "Statuses and seats"). */
extern const char *const choices_user_statuses[];
/** A customer user's role. */
extern const char *const choices_roles[];
/** How a user signed in. */
extern const char *const choices_login_types[];
/** An operator's role (enum operator_role, in order). */
extern const char *const choices_operator_roles[];
/** A single sign-on protocol of the draft. */
extern const char *const choices_sso_protocols[];
/** A banner's severity. */
extern const char *const choices_banner_severities[];
/** An operator's decision on a review. */
extern const char *const choices_review_decisions[];
/** Who provides the AI models: the customer's choice on its account. */
extern const char *const choices_ai_providers[];
/** The provider setup mode an operator records. */
extern const char *const choices_provider_modes[];

/** A billing state an operator records (enum billing_state, in order). */
extern const char *const choices_billing_states[];
/** A checklist blocker's category (enum blocker_category, in order). */
extern const char *const choices_blocker_categories[];

/** True when v is one of list (exact bytes). */
bool choices_has(const char *const *list, const char *v);
/** The index of v in list (exact bytes), or -1. */
int choices_index(const char *const *list, const char *v);
/** "Choose a, b or c." for the field error of a value outside list (cut to fit n bytes). */
void choices_sentence(const char *const *list, char *out, size_t n);
/** The bit (1 << index) of v in list ignoring ASCII case, or 0 when it is not there. */
unsigned choices_bit(const char *const *list, or_str v);

#endif
