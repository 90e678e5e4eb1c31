/* Unit tests for the derived onboarding checklist (src/domain/checklist.c). */
#include <string.h>

#include "onramp/checklist.h"
#include "unit.h"

/* A customer that has finished everything. */
static checklist_facts
finished(void)
{
	checklist_facts f;

	memset(&f, 0, sizeof(f));
	f.details_saved = true;
	f.contacts_complete = true;
	f.admins_can_sign_in = 1;
	f.admins_signed_in = 1;
	f.members = 2;
	f.sso = REVIEW_APPROVED;
	f.billing = BILLING_VERIFIED;
	f.workspace_target = REVIEW_APPROVED;
	f.target_ready = true;
	return f;
}

static void
test_new_customer_is_all_todo(void)
{
	checklist_facts f;
	checklist c;
	int i;

	memset(&f, 0, sizeof(f));
	checklist_derive(&f, &c);
	CU_ASSERT_FALSE(c.ready);
	for (i = 0; i < ITEM_PROVIDER_SETUP; i++)
		CU_ASSERT_EQUAL(c.entries[i].state, STATE_TODO);
	CU_ASSERT_EQUAL(c.entries[ITEM_PROVIDER_SETUP].state, STATE_NOT_REQUIRED);
}

static void
test_finished_customer_is_ready(void)
{
	checklist_facts f = finished();
	checklist c;
	int i;

	checklist_derive(&f, &c);
	CU_ASSERT_TRUE(c.ready);
	for (i = 0; i < ITEM_COUNT; i++)
		CU_ASSERT_TRUE(checklist_entry_met(&c.entries[i]));
}

static void
test_each_rule(void)
{
	checklist_facts f = finished();
	checklist c;

	f.contacts_complete = false;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_CONTACTS].state, STATE_IN_PROGRESS);
	CU_ASSERT_FALSE(c.ready);

	f = finished();
	f.admins_signed_in = 0;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_ADMIN_SIGNIN].state, STATE_TODO);

	f = finished();
	f.members = 0;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_MEMBERS].state, STATE_TODO);

	f = finished();
	f.sso = REVIEW_PENDING;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_IN_REVIEW);
	f.sso = REVIEW_DRAFT;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_IN_PROGRESS);
	f.sso = REVIEW_NONE;
	f.sso_not_required = true;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_NOT_REQUIRED);
	CU_ASSERT_TRUE(c.ready);

	f = finished();
	f.billing = BILLING_TRIAL_REQUESTED;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_BILLING].state, STATE_IN_REVIEW);
	f.billing = BILLING_TRIAL_APPROVED;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_BILLING].state, STATE_DONE);

	f = finished();
	f.target_ready = false;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_WORKSPACE_TARGET].state, STATE_IN_REVIEW);

	f = finished();
	f.provider_required = true;
	f.provider = REVIEW_PENDING;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_PROVIDER_SETUP].state, STATE_IN_REVIEW);
	CU_ASSERT_FALSE(c.ready);
	f.provider = REVIEW_APPROVED;
	checklist_derive(&f, &c);
	/* Approved but not yet set up: still with us. */
	CU_ASSERT_EQUAL(c.entries[ITEM_PROVIDER_SETUP].state, STATE_IN_REVIEW);
	CU_ASSERT_FALSE(c.ready);
	f.provider_ready = true;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_PROVIDER_SETUP].state, STATE_DONE);
	CU_ASSERT_TRUE(c.ready);
}

static void
test_empty_prepaid_balance_blocks(void)
{
	checklist_facts f = finished();
	checklist c;

	f.billing = BILLING_PREPAID;
	f.prepaid_balance_cents = 0;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_BILLING].state, STATE_BLOCKED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.entries[ITEM_BILLING].blocker);
	CU_ASSERT_EQUAL(c.entries[ITEM_BILLING].blocker->category, BLOCKER_PREPAID_BALANCE);
	CU_ASSERT_FALSE(c.entries[ITEM_BILLING].blocker->retryable);
	f.prepaid_balance_cents = 5000;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_BILLING].state, STATE_DONE);
}

static void
test_operator_blockers(void)
{
	checklist_facts f = finished();
	checklist c;

	f.target_ready = false;
	f.blockers[0] = (checklist_blocker){ ITEM_WORKSPACE_TARGET, BLOCKER_TEMPLATE_AVAILABILITY,
					     "The template for your region is not published yet.", false };
	f.blockers[1] = (checklist_blocker){ ITEM_CONTACTS, BLOCKER_OTHER, "Never shown: contacts are done.", true };
	f.nblockers = 2;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_WORKSPACE_TARGET].state, STATE_BLOCKED);
	CU_ASSERT_STRING_EQUAL(checklist_gate_message(&c.entries[ITEM_WORKSPACE_TARGET]),
			       "The template for your region is not published yet.");
	/* A finished item stays finished. */
	CU_ASSERT_EQUAL(c.entries[ITEM_CONTACTS].state, STATE_DONE);
	CU_ASSERT_PTR_NULL(c.entries[ITEM_CONTACTS].blocker);
	CU_ASSERT_FALSE(c.ready);
}

static void
test_names(void)
{
	checklist_item it;
	blocker_category cat;
	billing_state b;

	CU_ASSERT_STRING_EQUAL(checklist_item_key(ITEM_WORKSPACE_TARGET), "workspace_target");
	CU_ASSERT_TRUE(checklist_item_parse("provider_setup", &it));
	CU_ASSERT_EQUAL(it, ITEM_PROVIDER_SETUP);
	CU_ASSERT_FALSE(checklist_item_parse("nope", &it));
	CU_ASSERT_STRING_EQUAL(checklist_state_name(STATE_NOT_REQUIRED), "not_required");
	CU_ASSERT_TRUE(checklist_category_parse("target_readiness", &cat));
	CU_ASSERT_EQUAL(cat, BLOCKER_TARGET_READINESS);
	CU_ASSERT_FALSE(checklist_category_parse("weather", &cat));
	CU_ASSERT_TRUE(checklist_billing_parse("trial_approved", &b));
	CU_ASSERT_EQUAL(b, BILLING_TRIAL_APPROVED);
	CU_ASSERT_STRING_EQUAL(checklist_done_when_key(ITEM_CONTACTS), "contacts_confirmed");
}

static void
test_contacts_rule(void)
{
	checklist_contacts all = { true, true, true, true, true, true, true };
	bool *each[] = { &all.legal_name, &all.support_name, &all.support_email, &all.billing_name,
			 &all.billing_email, &all.technical_name, &all.technical_email };
	size_t i;

	CU_ASSERT_TRUE(checklist_contacts_complete(&all));
	/* Every one of them is needed; phones are not part of the rule. */
	for (i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		*each[i] = false;
		CU_ASSERT_FALSE(checklist_contacts_complete(&all));
		*each[i] = true;
	}
}

/* Issue 13: a draft saved after approval no longer throws the approval away. */
static void
test_sso_approval_survives_a_new_draft(void)
{
	checklist_facts f = finished();
	checklist c;

	f.sso = REVIEW_DRAFT;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_IN_PROGRESS);
	CU_ASSERT_PTR_NULL(c.entries[ITEM_SSO].note);
	f.sso_approved = true;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_DONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.entries[ITEM_SSO].note);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.entries[ITEM_SSO].note, "need a new review"));
	CU_ASSERT_TRUE(c.ready);
	/* A pending review of the new version: still done, still the note. */
	f.sso = REVIEW_PENDING;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_DONE);
	CU_ASSERT_PTR_NOT_NULL(c.entries[ITEM_SSO].note);
	/* Approved again: nothing pending, no note. */
	f.sso = REVIEW_APPROVED;
	checklist_derive(&f, &c);
	CU_ASSERT_PTR_NULL(c.entries[ITEM_SSO].note);
}

static void
test_sso_live(void)
{
	checklist_facts f = finished();
	checklist c;

	f.sso_approved = true;
	f.sso_live_since = 1764000000;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_DONE);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].live_since, 1764000000);
	CU_ASSERT_STRING_EQUAL(c.entries[ITEM_SSO].note, "Single sign-on is live.");
	/* Live SSO stays done even if the draft now says not required: sign-in still uses it. */
	f.sso_not_required = true;
	f.sso = REVIEW_NONE;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_DONE);
	f.sso_live_since = 0;
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].state, STATE_NOT_REQUIRED);
	CU_ASSERT_EQUAL(c.entries[ITEM_SSO].live_since, 0);
}

/* Issue 16: each gate says who clears it and that retrying will not help, unless marked retryable. */
static void
test_gate_owner_and_retry(void)
{
	checklist_facts f;
	checklist c;
	const checklist_entry *e;

	memset(&f, 0, sizeof(f));
	f.sso = REVIEW_PENDING;
	checklist_derive(&f, &c);
	e = &c.entries[ITEM_CONTACTS];			/* the customer's own item */
	CU_ASSERT_STRING_EQUAL(checklist_gate_owner(e), "you");
	CU_ASSERT_STRING_EQUAL(checklist_gate_next(e), "Retrying will not help until you finish this item.");
	e = &c.entries[ITEM_SSO];			/* waiting for our review */
	CU_ASSERT_EQUAL(e->state, STATE_IN_REVIEW);
	CU_ASSERT_STRING_EQUAL(checklist_gate_owner(e), "operator");
	CU_ASSERT_PTR_NOT_NULL(strstr(checklist_gate_next(e), "our review"));
	e = &c.entries[ITEM_WORKSPACE_TARGET];		/* what we prepare */
	CU_ASSERT_STRING_EQUAL(checklist_gate_owner(e), "operator");
	f = finished();
	f.blockers[0] = (checklist_blocker){ ITEM_WORKSPACE_TARGET, BLOCKER_TEMPLATE_AVAILABILITY, "No template.", false };
	f.blockers[1] = (checklist_blocker){ ITEM_SSO, BLOCKER_SSO, "Check again later.", true };
	f.nblockers = 2;
	f.sso = REVIEW_PENDING;
	f.target_ready = false;				/* blockers stop unfinished items only */
	checklist_derive(&f, &c);
	CU_ASSERT_EQUAL(c.entries[ITEM_WORKSPACE_TARGET].state, STATE_BLOCKED);
	CU_ASSERT_STRING_EQUAL(checklist_gate_owner(&c.entries[ITEM_WORKSPACE_TARGET]), "operator");
	CU_ASSERT_STRING_EQUAL(checklist_gate_next(&c.entries[ITEM_WORKSPACE_TARGET]),
			       "Retrying will not help until an operator clears this blocker.");
	CU_ASSERT_STRING_EQUAL(checklist_gate_next(&c.entries[ITEM_SSO]), "Trying again may help once this is resolved.");
	f = finished();
	f.billing = BILLING_PREPAID;			/* a used-up balance: the customer tops it up */
	checklist_derive(&f, &c);
	CU_ASSERT_STRING_EQUAL(checklist_gate_owner(&c.entries[ITEM_BILLING]), "you");
	CU_ASSERT_STRING_EQUAL(checklist_gate_next(&c.entries[ITEM_BILLING]), "Retrying will not help until you resolve this.");
}

static const unit_test tests[] = {
	{ "a new customer starts with everything to do", test_new_customer_is_all_todo },
	{ "a finished customer is ready", test_finished_customer_is_ready },
	{ "each item's rule", test_each_rule },
	{ "an empty prepaid balance blocks billing", test_empty_prepaid_balance_blocks },
	{ "operator blockers override unfinished items only", test_operator_blockers },
	{ "names", test_names },
	{ "the contacts rule needs each name and email", test_contacts_rule },
	{ "an SSO approval survives a new draft", test_sso_approval_survives_a_new_draft },
	{ "live SSO is done with live since", test_sso_live },
	{ "a gate says who clears it and whether retrying helps", test_gate_owner_and_retry },
	{ NULL, NULL }
};
UNIT_MAIN("checklist", tests)
