/*
 * Checklist rules (see include/onramp/checklist.h).  Each item has one rule
 * turning facts into a state; an operator's blocker on the item overrides
 * every state but done and not required, because a finished item cannot be
 * blocked after the fact.  Texts are fixed sentences: no value a customer
 * typed ever reaches them.
 */
#include <string.h>

#include "onramp/checklist.h"
#include "onramp/choices.h"

struct item_text {
	const char *key;
	const char *title;
	const char *done_when;
};

static const struct item_text ITEMS[ITEM_COUNT] = {
	{ "contacts", "Company details and contacts", "contacts_confirmed" },
	{ "admin_signin", "A customer admin has signed in", "admin_signed_in" },
	{ "members", "First members invited", "members_invited" },
	{ "sso", "Single sign-on", "sso_settled" },
	{ "billing", "Billing or trial approved", "billing_approved" },
	{ "workspace_target", "Workspace target ready", "workspace_target_ready" },
	{ "provider_setup", "AI provider set up", "provider_ready" },
};

static const char *const STATES[] = {
	"todo", "in_progress", "submitted", "in_review", "done", "blocked", "not_required"
};

bool
checklist_contacts_complete(const checklist_contacts *c)
{
	return c->legal_name && c->support_name && c->support_email && c->billing_name && c->billing_email &&
	       c->technical_name && c->technical_email;
}

static item_state
contacts_state(const checklist_facts *f, const char **hint)
{
	*hint = "Confirm your company's names and the support, billing and technical contacts.";
	if (f->details_saved && f->contacts_complete)
		return STATE_DONE;
	return f->details_saved ? STATE_IN_PROGRESS : STATE_TODO;
}

static item_state
admin_state(const checklist_facts *f, const char **hint)
{
	*hint = "At least one customer admin signs in to the console.";
	if (f->admins_signed_in > 0)
		return STATE_DONE;
	return STATE_TODO;
}

static item_state
members_state(const checklist_facts *f, const char **hint)
{
	*hint = "Invite the first members of your organisation.";
	return f->members > 0 || f->invites_pending > 0 ? STATE_DONE : STATE_TODO;
}

/* States of a reviewed thing: draft -> pending review -> approved. */
static item_state
review_to_state(review_state r)
{
	switch (r) {
	case REVIEW_NONE: return STATE_TODO;
	case REVIEW_DRAFT: return STATE_IN_PROGRESS;
	case REVIEW_PENDING: return STATE_IN_REVIEW;
	case REVIEW_APPROVED: return STATE_DONE;
	case REVIEW_CHANGES_REQUESTED: return STATE_IN_PROGRESS;
	case REVIEW_REJECTED: return STATE_IN_PROGRESS;
	}
	return STATE_TODO;
}

/*
 * An approved (or live) configuration keeps the item done while the draft
 * is edited again: the approval is not thrown away by a save, it stays in
 * use until a newer version is approved and activated (sso_note says so).
 */
static item_state
sso_state(const checklist_facts *f, const char **hint)
{
	*hint = "Submit your identity provider's details, or mark single sign-on as not required.";
	if (f->sso_live_since)
		return STATE_DONE;
	if (f->sso_not_required)
		return STATE_NOT_REQUIRED;
	if (f->sso_approved)
		return STATE_DONE;
	return review_to_state(f->sso);
}

static const char *
sso_note(const checklist_facts *f)
{
	if ((f->sso_approved || f->sso_live_since) && f->sso != REVIEW_APPROVED)
		return "Changes to single sign-on need a new review; the approved configuration stays in use until the "
		       "new version is approved and activated.";
	if (f->sso_live_since)
		return "Single sign-on is live.";
	return NULL;
}

static item_state
billing_state_of(const checklist_facts *f, const char **hint)
{
	*hint = "Billing or a trial is approved by us; nothing to do unless we ask.";
	switch (f->billing) {
	case BILLING_NONE: return STATE_TODO;
	case BILLING_TRIAL_REQUESTED: return STATE_IN_REVIEW;
	case BILLING_TRIAL_APPROVED:
	case BILLING_VERIFIED: return STATE_DONE;
	case BILLING_PREPAID: return f->prepaid_balance_cents > 0 ? STATE_DONE : STATE_BLOCKED;
	}
	return STATE_TODO;
}

static item_state
target_state(const checklist_facts *f, const char **hint)
{
	*hint = "We prepare and review the workspace target; it turns done when it is ready.";
	if (f->workspace_target == REVIEW_APPROVED)
		return f->target_ready ? STATE_DONE : STATE_IN_REVIEW;
	return review_to_state(f->workspace_target);
}

static item_state
provider_state(const checklist_facts *f, const char **hint)
{
	*hint = "Needed only for managed AI or your own provider account; we review the setup.";
	if (!f->provider_required)
		return STATE_NOT_REQUIRED;
	if (f->provider == REVIEW_APPROVED)
		return f->provider_ready ? STATE_DONE : STATE_IN_REVIEW;
	return review_to_state(f->provider);
}

/* A built-in blocker for states the facts alone make hopeless. */
static const checklist_blocker PREPAID_EMPTY = {
	ITEM_BILLING, BLOCKER_PREPAID_BALANCE,
	"The prepaid balance is used up. Top it up, then we can continue.", false
};

static const checklist_blocker *
find_blocker(const checklist_facts *f, checklist_item item)
{
	size_t i;

	for (i = 0; i < f->nblockers && i < CHECKLIST_MAX_BLOCKERS; i++)
		if (f->blockers[i].item == item)
			return &f->blockers[i];
	return NULL;
}

void
checklist_derive(const checklist_facts *f, checklist *out)
{
	typedef item_state (*rule)(const checklist_facts *, const char **);
	static const rule rules[ITEM_COUNT] = {
		contacts_state, admin_state, members_state, sso_state, billing_state_of, target_state,
		provider_state
	};
	int i;

	memset(out, 0, sizeof(*out));
	out->ready = true;
	for (i = 0; i < ITEM_COUNT; i++) {
		checklist_entry *e = &out->entries[i];
		const checklist_blocker *b = find_blocker(f, (checklist_item)i);

		e->item = (checklist_item)i;
		e->state = rules[i](f, &e->hint);
		if (e->state == STATE_BLOCKED && i == ITEM_BILLING)
			e->blocker = &PREPAID_EMPTY;
		if (b && e->state != STATE_DONE && e->state != STATE_NOT_REQUIRED) {
			e->state = STATE_BLOCKED;
			e->blocker = b;
		}
		if (i == ITEM_SSO && e->state == STATE_DONE) {
			e->note = sso_note(f);
			e->live_since = f->sso_live_since;
		}
		if (i == ITEM_SSO && e->state == STATE_DONE && !f->sso_not_required && f->sso_cert_not_after &&
		    f->sso_cert_not_after - f->now < CHECKLIST_CERT_WARN_S)
			e->warning = f->sso_cert_not_after <= f->now
				? "Your identity provider's signing certificate has expired: sign-in stops working. "
				  "Submit the new metadata."
				: "Your identity provider's signing certificate expires within 30 days. Submit the new "
				  "metadata before it does.";
		if (!checklist_entry_met(e))
			out->ready = false;
	}
}

bool
checklist_entry_met(const checklist_entry *e)
{
	return e->state == STATE_DONE || e->state == STATE_NOT_REQUIRED;
}

const char *
checklist_item_key(checklist_item i)
{
	return (unsigned)i < ITEM_COUNT ? ITEMS[i].key : "unknown";
}

const char *
checklist_item_title(checklist_item i)
{
	return (unsigned)i < ITEM_COUNT ? ITEMS[i].title : "Unknown";
}

const char *
checklist_done_when_key(checklist_item i)
{
	return (unsigned)i < ITEM_COUNT ? ITEMS[i].done_when : "unknown";
}

bool
checklist_item_parse(const char *s, checklist_item *out)
{
	int i;

	for (i = 0; i < ITEM_COUNT; i++)
		if (strcmp(ITEMS[i].key, s) == 0) {
			*out = (checklist_item)i;
			return true;
		}
	return false;
}

const char *
checklist_state_name(item_state s)
{
	return (unsigned)s < sizeof(STATES) / sizeof(STATES[0]) ? STATES[s] : "todo";
}

const char *
checklist_category_name(blocker_category c)
{
	return (unsigned)c < BLOCKER_CATEGORY_COUNT ? choices_blocker_categories[c] : "other";
}

bool
checklist_category_parse(const char *s, blocker_category *out)
{
	int i = choices_index(choices_blocker_categories, s);

	if (i < 0)
		return false;
	*out = (blocker_category)i;
	return true;
}

const char *
checklist_billing_name(billing_state b)
{
	return (unsigned)b <= BILLING_PREPAID ? choices_billing_states[b] : "none";
}

bool
checklist_billing_parse(const char *s, billing_state *out)
{
	int i = choices_index(choices_billing_states, s);

	if (i < 0)
		return false;
	*out = (billing_state)i;
	return true;
}

const char *
checklist_gate_message(const checklist_entry *e)
{
	if (e->blocker && e->blocker->message)
		return e->blocker->message;
	switch (e->state) {
	case STATE_IN_REVIEW:
	case STATE_SUBMITTED:
		return "Waiting for our review.";
	case STATE_IN_PROGRESS:
		return "Started but not finished.";
	case STATE_TODO:
		return "Not done yet.";
	case STATE_BLOCKED:
		return "Blocked.";
	case STATE_DONE:
	case STATE_NOT_REQUIRED:
		break;
	}
	return "";
}

/* While nobody reviews it, the customer moves an item on, except what we prepare ourselves. */
static bool
cleared_by_you(const checklist_entry *e)
{
	if (e->blocker)
		return e->blocker->category == BLOCKER_PREPAID_BALANCE;
	if (e->state == STATE_SUBMITTED || e->state == STATE_IN_REVIEW || e->state == STATE_BLOCKED)
		return false;
	return e->item != ITEM_BILLING && e->item != ITEM_WORKSPACE_TARGET;
}

const char *
checklist_gate_owner(const checklist_entry *e)
{
	return cleared_by_you(e) ? "you" : "operator";
}

const char *
checklist_gate_next(const checklist_entry *e)
{
	if (e->blocker && e->blocker->retryable)
		return "Trying again may help once this is resolved.";
	if (e->blocker)
		return cleared_by_you(e) ? "Retrying will not help until you resolve this."
					 : "Retrying will not help until an operator clears this blocker.";
	if (e->state == STATE_SUBMITTED || e->state == STATE_IN_REVIEW)
		return "Retrying will not help until our review is finished; there is nothing for you to do meanwhile.";
	if (e->state == STATE_BLOCKED)
		return "Retrying will not help until an operator clears this.";
	return cleared_by_you(e) ? "Retrying will not help until you finish this item."
				 : "Retrying will not help until we finish this on our side.";
}
