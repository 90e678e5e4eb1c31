/* Unit tests for mail texts and RFC 5322 composition (src/domain/mailtext.c). */
#include <string.h>

#include "onramp/arena.h"
#include "onramp/mailtext.h"
#include "onramp/str.h"
#include "unit.h"

static void
test_reset_mail_carries_the_link(void)
{
	arena *a = arena_new(1 << 20);
	mailtext mt;

	CU_ASSERT_EQUAL(mailtext_password_reset(a, "https://console.example", "TOKEN123", 30, &mt), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "https://console.example/reset-password#token=TOKEN123"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "30 minutes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "href=\"https://console.example/reset-password#token=TOKEN123\""));
	arena_free(a);
}

static void
test_sso_setup_link_mail(void)
{
	arena *a = arena_new(1 << 20);
	mailtext mt;

	CU_ASSERT_EQUAL(mailtext_sso_setup_link(a, "https://console.example", "TOKEN123", "Acme & <Sons>", "ann", 72, &mt),
			OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "https://console.example/sso-setup.html#token=TOKEN123"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "ann of Acme & <Sons>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "72 hours"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "href=\"https://console.example/sso-setup.html#token=TOKEN123\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "Acme &amp; &lt;Sons&gt;"));
	CU_ASSERT_PTR_NULL(strstr(mt.html, "<Sons>"));
	/* A stored name with a line break never reaches the subject header. */
	CU_ASSERT_EQUAL(mailtext_sso_setup_link(a, "https://c.example", "T", "Acme\r\nBcc: x@example.com", NULL, 1, &mt),
			OR_OK);
	CU_ASSERT_PTR_NULL(strpbrk(mt.subject, "\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "An admin of your organisation"));
	arena_free(a);
}

static void
test_support_mail_escapes_and_fills_gaps(void)
{
	arena *a = arena_new(1 << 20);
	mailtext_support r = { 42, "Acme & <Sons>", "dana", "Billing or trial approved",
			       "We could not verify the billing contact.", "workspace.create_refused",
			       "2026-11-23T10:00:00Z", "<script>alert(1)</script>" };
	mailtext mt;

	CU_ASSERT_EQUAL(mailtext_support_request(a, &r, &mt), OR_OK);
	CU_ASSERT_STRING_EQUAL(mt.subject, "Support request #42 from Acme & <Sons>");
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "Checklist item: Billing or trial approved"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "Last action: workspace.create_refused at 2026-11-23T10:00:00Z"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "Acme &amp; &lt;Sons&gt;"));
	CU_ASSERT_PTR_NULL(strstr(mt.html, "<script>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "&lt;script&gt;"));
	/* Missing parts read as a dash, never "(null)". */
	memset(&r, 0, sizeof(r));
	r.customer_name = "Acme\r\nBcc: victim@example.com";
	CU_ASSERT_EQUAL(mailtext_support_request(a, &r, &mt), OR_OK);
	CU_ASSERT_PTR_NULL(strstr(mt.text, "(null)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "Checklist item: -"));
	/* A stored name with a line break never reaches the subject header. */
	CU_ASSERT_PTR_NULL(strpbrk(mt.subject, "\r\n"));
	arena_free(a);
}

static void
test_compose_refuses_header_injection(void)
{
	or_buf b;

	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(mailtext_compose("onramp <no-reply@x.test>", "a@x.test", "Hi\r\nBcc: b@x.test", "t", "<p>t</p>",
					 1700000000, NULL, "x.test", &b),
			OR_ERR_INVALID);
	b.len = 0;
	CU_ASSERT_EQUAL(mailtext_compose("onramp <no-reply@x.test>", "a@x.test", "Hello", "line1\nline2", "<p>t</p>",
					 1700000000, NULL, "x.test", &b),
			OR_OK);
	CU_ASSERT_PTR_NOT_NULL(memmem(b.data, b.len, "line1\r\nline2", 12));
	CU_ASSERT_PTR_NOT_NULL(memmem(b.data, b.len, "Subject: Hello\r\n", 16));
	buf_free(&b);
}

/* The mailer's resend of an outbox row carries the same Message-ID, so a receiver tells duplicates. */
static void
test_compose_stable_message_id(void)
{
	const char *want = "Message-ID: <outbox-42.0123456789abcdef0123456789abcdef@x.test>\r\n";
	or_buf a, b;

	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	CU_ASSERT_EQUAL(mailtext_compose("o <n@x.test>", "a@x.test", "Hi", "t", "<p>t</p>", 1700000000,
					 "outbox-42.0123456789abcdef0123456789abcdef", "x.test", &a), OR_OK);
	CU_ASSERT_EQUAL(mailtext_compose("o <n@x.test>", "a@x.test", "Hi", "t", "<p>t</p>", 1700000100,
					 "outbox-42.0123456789abcdef0123456789abcdef", "x.test", &b), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(memmem(a.data, a.len, want, strlen(want)));
	CU_ASSERT_PTR_NOT_NULL(memmem(b.data, b.len, want, strlen(want)));
	b.len = 0;
	CU_ASSERT_EQUAL(mailtext_compose("o <n@x.test>", "a@x.test", "Hi", "t", "<p>t</p>", 1700000000,
					 "x\r\nBcc: b@x.test", "x.test", &b), OR_ERR_INVALID);
	buf_free(&a);
	buf_free(&b);
}

static void
test_address_extraction(void)
{
	char out[64];

	CU_ASSERT_EQUAL(mailtext_address("onramp <no-reply@x.test>", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "no-reply@x.test");
	CU_ASSERT_EQUAL(mailtext_address("plain@x.test", out, sizeof(out)), OR_OK);
	CU_ASSERT_STRING_EQUAL(out, "plain@x.test");
}

static void
test_account_state_mail_has_no_link(void)
{
	arena *a = arena_new(1 << 20);
	mailtext mt;

	CU_ASSERT_EQUAL(mailtext_account_state(a, "https://console.example", "suspended", "Ada <Boss>", "ada@x.example",
					       &mt), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.subject, "suspended"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "is suspended"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "admin, Ada <Boss> (ada@x.example), to have it reactivated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.html, "Ada &lt;Boss&gt; (ada@x.example)"));
	CU_ASSERT_PTR_NULL(strstr(mt.text, "token"));
	CU_ASSERT_PTR_NULL(strstr(mt.html, "href"));
	CU_ASSERT_EQUAL(mailtext_account_state(a, "https://console.example", "deactivated", NULL, NULL, &mt), OR_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "has been removed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mt.text, "Contact your organisation's admin if you need it back."));
	arena_free(a);
}

/* The customer reads a sentence for an audit code, and never the code, even for one the table lacks. */
static void
test_action_sentences(void)
{
	CU_ASSERT_STRING_EQUAL(mailtext_action_sentence("workspace.create_refused"),
			       "Creating a workspace was refused: setup is not finished.");
	CU_ASSERT_STRING_EQUAL(mailtext_action_sentence("account.update"), "Your company details were saved.");
	CU_ASSERT_STRING_EQUAL(mailtext_action_sentence("garden.watered"), "Something changed in your account setup.");
	CU_ASSERT_PTR_NULL(strstr(mailtext_action_sentence("garden.watered"), "garden"));
	CU_ASSERT_STRING_EQUAL(mailtext_action_sentence(NULL), "Something changed in your account setup.");
	/* A prefix of a known code is not that code. */
	CU_ASSERT_STRING_EQUAL(mailtext_action_sentence("account"), "Something changed in your account setup.");
}

static const unit_test tests[] = {
	{ "reset mail carries the link", test_reset_mail_carries_the_link },
	{ "setup link mail carries the link, escaped", test_sso_setup_link_mail },
	{ "support mail escapes and fills gaps", test_support_mail_escapes_and_fills_gaps },
	{ "compose refuses header injection", test_compose_refuses_header_injection },
	{ "compose keeps a given Message-ID", test_compose_stable_message_id },
	{ "address extraction", test_address_extraction },
	{ "account state mail has no link", test_account_state_mail_has_no_link },
	{ "action codes read as sentences", test_action_sentences },
	{ NULL, NULL }
};

UNIT_MAIN("mailtext", tests)
