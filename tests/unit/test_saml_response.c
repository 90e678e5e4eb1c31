/*
 * The SAML response verifier (src/domain/saml_response.c, saml_xmlsec.c,
 * saml_assertion.c) over responses built and signed at test time
 * (saml_resp_test.h, saml_sign.c): what a good IdP sends is accepted with
 * the identity read exactly; a bad signature, algorithm, transform or
 * reference, bad base64 and every content rule refuse with the check that
 * failed.  The structure and wrapping cases are in test_saml_wrapping.c.
 */
#include "saml_resp_test.h"


/* ---- accepted ------------------------------------------------------------------- */

static void
check_identity(void)
{
	size_t n = 0;
	const char *const *v;

	CU_ASSERT_STRING_EQUAL(ID.name_id, "alice@example.test");
	CU_ASSERT_STRING_EQUAL(ID.name_id_format, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
	CU_ASSERT_STRING_EQUAL(ID.issuer, IDP);
	CU_ASSERT_STRING_EQUAL(ID.assertion_id, "_a1");
	CU_ASSERT_STRING_EQUAL(ID.session_index, "_s1");
	CU_ASSERT_EQUAL(ID.expires_at, T0 + 300);	/* the bearer's 00:05, before Conditions' 00:10 */
	v = saml_identity_values(&ID, "groups", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(v[0], "staff");
	CU_ASSERT_STRING_EQUAL(v[1], "admins");
	v = saml_identity_values(&ID, "email", &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0], "alice@example.test");
	CU_ASSERT_PTR_NULL(saml_identity_values(&ID, "missing", &n));
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_accept_assertion_signed(void)
{
	spec s = spec_good();

	accepted(make(&s, SIGN_ASSERTION, NULL), NULL);
	check_identity();
	CU_ASSERT_PTR_NOT_NULL(sso_report_find(&R, "saml.signature"));
}

static void
test_accept_response_signed(void)
{
	spec s = spec_good();

	accepted(make(&s, SIGN_RESPONSE, NULL), NULL);
	check_identity();
}

static void
test_accept_both_signed(void)
{
	spec s = spec_good();

	accepted(make(&s, SIGN_BOTH, NULL), NULL);
	check_identity();
}

/* Conditions end first: expires_at is the earlier of the two. */
static void
test_accept_expiry_is_earliest(void)
{
	spec s = spec_good();

	s.cond_nooa = "2026-11-23T00:03:00Z";
	accepted(make(&s, SIGN_ASSERTION, NULL), NULL);
	CU_ASSERT_EQUAL(ID.expires_at, T0 + 180);
}

/* The second of two configured certificates verifies (a rollover). */
static void
test_accept_second_certificate(void)
{
	spec s = spec_good();
	const char *certs[2] = { saml_sign_other_cert(), saml_sign_cert() };
	saml_expect x = expect_good();

	x.certs_b64 = certs;
	x.ncerts = 2;
	accepted(make(&s, SIGN_ASSERTION, NULL), &x);
}

/* Unsigned Response without Destination: the signed Recipient binds it (documented choice). */
static void
test_accept_no_destination_when_assertion_signed(void)
{
	spec s = spec_good();

	s.destination = NULL;
	accepted(make(&s, SIGN_ASSERTION, NULL), NULL);
}

static void
test_accept_not_before_within_skew(void)
{
	spec s = spec_good();

	s.cond_nb = "2026-11-23T00:01:30Z";	/* 90 s ahead of our clock, within the 120 s skew */
	accepted(make(&s, SIGN_ASSERTION, NULL), NULL);
}

static void
test_accept_unwrapped_base64(void)
{
	spec s = spec_good();
	saml_expect x = expect_good();
	char *xml = make(&s, SIGN_ASSERTION, NULL);
	char *b64 = saml_sign_b64(xml, strlen(xml), 0);

	arena_reset(A);
	sso_report_init(&R, "saml");
	CU_ASSERT_TRUE(saml_response_read(A, b64, strlen(b64), &x, &R, &ID));
	free(b64);
	free(xml);
}

/* ---- signature ------------------------------------------------------------------ */

static void
test_refuse_unsigned(void)
{
	spec s = spec_good();

	refused_by(make(&s, SIGN_NONE, NULL), "saml.signature", NULL);
}


static void
test_refuse_signature_removed(void)
{
	spec s = spec_good();

	refused_by(cut(make(&s, SIGN_ASSERTION, NULL), "<ds:Signature", "</ds:Signature>"), "saml.signature", NULL);
}

static void
test_refuse_value_tampered(void)
{
	spec s = spec_good();
	char *xml = make(&s, SIGN_ASSERTION, NULL);
	char *v = strstr(xml, "<ds:SignatureValue>");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	v += strlen("<ds:SignatureValue>") + 10;
	*v = *v == 'A' ? 'B' : 'A';
	refused_by(xml, "saml.signature", NULL);
}

static void
test_refuse_content_changed(void)
{
	spec s = spec_good();

	refused_by(replace(make(&s, SIGN_ASSERTION, NULL), "alice@example.test</saml:NameID>", EVIL "</saml:NameID>"),
		   "saml.signature", NULL);
}

static void
test_refuse_response_content_changed(void)
{
	spec s = spec_good();

	refused_by(replace(make(&s, SIGN_RESPONSE, NULL), ">staff<", ">root<"), "saml.signature", NULL);
}

static void
test_refuse_other_key_cert_in_keyinfo(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .other_key = 1, .keyinfo_cert = 1 };
	char *xml = make(&s, SIGN_ASSERTION, &o);

	char head[41];

	memcpy(head, saml_sign_other_cert(), 40);	/* xmlsec wraps the base64 at 64 columns */
	head[40] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, head));
	refused_by(xml, "saml.signature", NULL);
}

static void
test_refuse_other_key_keyvalue(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .other_key = 1, .keyinfo_keyvalue = 1 };
	char *xml = make(&s, SIGN_ASSERTION, &o);

	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "RSAKeyValue"));
	refused_by(xml, "saml.signature", NULL);
}

/* A bad Response signature is not excused by a good Assertion signature. */
static void
test_refuse_both_one_bad(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .other_key = 1 };
	char *x = make(&s, SIGN_ASSERTION, NULL), *y = saml_sign(x, "_r1", &o);

	free(x);
	refused_by(y, "saml.signature", NULL);
}

static void
test_refuse_no_certificate(void)
{
	spec s = spec_good();
	saml_expect x = expect_good();

	x.ncerts = 0;
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.signature", &x);
}

static void
test_refuse_rsa_sha1(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .sha1 = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.algorithm", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "SHA-1"));
}

static void
test_refuse_exc_c14n_with_comments(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .ref_comments = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.transform", NULL);
}

static void
test_refuse_signedinfo_c14n_with_comments(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .si_comments = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.transform", NULL);
}

static void
test_refuse_xpath_transform(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .xpath = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.transform", NULL);
}

static void
test_refuse_xslt_transform(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .xslt = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.transform", NULL);
}

static void
test_refuse_empty_uri(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .uri = "" };

	refused_by(make(&s, SIGN_RESPONSE, &o), "saml.reference", NULL);
}

/* The signature in the Assertion covers the Response: it is not the Assertion's. */
static void
test_refuse_uri_of_other_element(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .uri = "#_r1" };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.reference", NULL);
}

static void
test_refuse_external_uri(void)
{
	spec s = spec_good();
	char *xml = replace(make(&s, SIGN_ASSERTION, NULL), "URI=\"#_a1\"", "URI=\"http://127.0.0.1:9/x#_a1\"");

	refused_by(xml, "saml.reference", NULL);
}

static void
test_refuse_two_references(void)
{
	spec s = spec_good();
	saml_sign_opts o = { .two_refs = 1 };

	refused_by(make(&s, SIGN_ASSERTION, &o), "saml.reference", NULL);
}

/* A RetrievalMethod pointing elsewhere is never read: the key is the configured one. */
static void
test_retrieval_method_ignored(void)
{
	spec s = spec_good();
	char *xml = replace(make(&s, SIGN_ASSERTION, NULL), "</ds:SignatureValue>",
			    "</ds:SignatureValue><ds:KeyInfo><ds:RetrievalMethod URI=\"http://127.0.0.1:9/key\" "
			    "Type=\"http://www.w3.org/2000/09/xmldsig#X509Data\"/></ds:KeyInfo>");

	accepted(xml, NULL);
}

/* ---- decoding ------------------------------------------------------------------- */

static void
test_refuse_oversized(void)
{
	saml_expect x = expect_good();
	size_t n = LIMIT_SAML_RESPONSE_B64 + 4;
	char *b64 = malloc(n);

	memset(b64, 'A', n);
	arena_reset(A);
	sso_report_init(&R, "saml");
	CU_ASSERT_FALSE(saml_response_read(A, b64, n, &x, &R, &ID));
	CU_ASSERT_STRING_EQUAL(sso_report_failed(&R, SSO_ERROR)->key, "saml.size");
	free(b64);
}

static void
refused_b64(const char *b64, const char *key)
{
	saml_expect x = expect_good();

	arena_reset(A);
	sso_report_init(&R, "saml");
	CU_ASSERT_FALSE(saml_response_read(A, b64, strlen(b64), &x, &R, &ID));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sso_report_failed(&R, SSO_ERROR));
	CU_ASSERT_STRING_EQUAL(sso_report_failed(&R, SSO_ERROR)->key, key);
}

static void
test_refuse_bad_base64(void)
{
	refused_b64("PHNhbWxwOlJlc3BvbnNlLz4=!", "saml.base64");	/* a stray character */
	refused_b64("PHNhbWxw OlJlc3BvbnNlLz4=", "saml.base64");	/* a space */
	refused_b64("PHNhbWxwOlJlc3BvbnNlLz4", "saml.base64");		/* missing padding */
	refused_b64("PHNhbWxwOlJlc3BvbnNlLz5=", "saml.base64");	/* non-zero padding bits */
	refused_b64("PHNhbWxw-lJlc3BvbnNlLz4=", "saml.base64");	/* URL-safe alphabet */
	refused_b64("PHNh=bWxw", "saml.base64");			/* data after padding */
	refused_b64("", "saml.base64");
	refused_b64("PHNhbWxwOlJlc3BvbnNlLz4=", "saml.xml");		/* "<samlp:Response/>": no namespace */
}

/* ---- content -------------------------------------------------------------------- */

static void
refused_spec(const spec *s, int where, const char *key)
{
	refused_by(make(s, where, NULL), key, NULL);
}

static void
test_refuse_status(void)
{
	spec s = spec_good();

	s.status = "urn:oasis:names:tc:SAML:2.0:status:Responder";
	refused_spec(&s, SIGN_ASSERTION, "saml.status");
	CU_ASSERT_PTR_NOT_NULL(strstr(sso_report_failed(&R, SSO_ERROR)->message, "Responder"));
}

static void
test_refuse_issuer(void)
{
	spec s = spec_good();

	s.issuer = "https://other-idp.example.test/saml";
	refused_spec(&s, SIGN_ASSERTION, "saml.issuer");
	s = spec_good();
	s.resp_issuer = "https://other-idp.example.test/saml";
	refused_spec(&s, SIGN_ASSERTION, "saml.issuer");
}

static void
test_refuse_destination(void)
{
	spec s = spec_good();

	s.destination = "https://onramp.example.test/api/v1/sso/saml/other/acs";
	refused_spec(&s, SIGN_ASSERTION, "saml.destination");
	s.destination = NULL;	/* a signed Response must name it */
	refused_spec(&s, SIGN_RESPONSE, "saml.destination");
}

static void
test_refuse_recipient(void)
{
	spec s = spec_good();

	s.recipient = "https://onramp.example.test/api/v1/sso/saml/other/acs";
	refused_spec(&s, SIGN_ASSERTION, "saml.recipient");
}

static void
test_refuse_expired_subject_confirmation(void)
{
	spec s = spec_good();
	saml_expect x = expect_good();

	x.now = T0 + 300 + SAML_CLOCK_SKEW_S;	/* the bearer's NotOnOrAfter + skew */
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.bearer", &x);
	x.now--;
	accepted(make(&s, SIGN_ASSERTION, NULL), &x);
}

static void
test_refuse_expired_conditions(void)
{
	spec s = spec_good();

	s.cond_nooa = "2026-11-22T23:58:00Z";	/* 120 s ago: just outside the skew */
	refused_spec(&s, SIGN_ASSERTION, "saml.conditions");
}

static void
test_refuse_not_before_future(void)
{
	spec s = spec_good();

	s.cond_nb = "2026-11-23T00:02:01Z";	/* 121 s ahead */
	refused_spec(&s, SIGN_ASSERTION, "saml.conditions");
}

static void
test_refuse_unknown_condition(void)
{
	spec s = spec_good();

	s.cond_extra = "<saml:Condition xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"x:y\"/>";
	refused_spec(&s, SIGN_ASSERTION, "saml.conditions");
}

static void
test_refuse_audience_missing(void)
{
	spec s = spec_good();

	s.audience_xml = "";
	refused_spec(&s, SIGN_ASSERTION, "saml.audience");
}

static void
test_refuse_audience_wrong(void)
{
	spec s = spec_good();

	s.audience_xml = "<saml:AudienceRestriction><saml:Audience>https://other-sp.example.test</saml:Audience>"
			 "</saml:AudienceRestriction>";
	refused_spec(&s, SIGN_ASSERTION, "saml.audience");
	/* every restriction must name us: a second one that does is not enough */
	s.audience_xml = "<saml:AudienceRestriction><saml:Audience>https://other-sp.example.test</saml:Audience>"
			 "</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>" SP
			 "</saml:Audience></saml:AudienceRestriction>";
	refused_spec(&s, SIGN_ASSERTION, "saml.audience");
}

static void
test_refuse_unsolicited(void)
{
	spec s = spec_good();
	saml_expect x = expect_good();

	s.irt = NULL;
	s.resp_irt = NULL;
	refused_spec(&s, SIGN_ASSERTION, "saml.unsolicited");
	s = spec_good();
	x.request_id = NULL;	/* no pending request at all */
	refused_by(make(&s, SIGN_ASSERTION, NULL), "saml.unsolicited", &x);
}

static void
test_refuse_wrong_in_response_to(void)
{
	spec s = spec_good();

	s.irt = "_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	refused_spec(&s, SIGN_ASSERTION, "saml.in_response_to");
	s = spec_good();
	s.resp_irt = "_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	refused_spec(&s, SIGN_ASSERTION, "saml.in_response_to");
}

static void
test_refuse_name_id_comment(void)
{
	spec s = spec_good();

	s.name_id = "admin@example.test<!---->.evil.test";
	refused_spec(&s, SIGN_ASSERTION, "saml.name_id");
	s.name_id = "admin@example.test<?x y?>.evil.test";
	refused_spec(&s, SIGN_ASSERTION, "saml.name_id");
	s.name_id = "<![CDATA[admin@example.test]]>";
	refused_spec(&s, SIGN_ASSERTION, "saml.name_id");
}

static void
test_refuse_attribute_comment(void)
{
	spec s = spec_good();

	s.attr_extra = "<saml:Attribute Name=\"role\"><saml:AttributeValue>admin<!---->s</saml:AttributeValue>"
		       "</saml:Attribute>";
	refused_spec(&s, SIGN_ASSERTION, "saml.attribute");
}

static void
write_seed(const char *dir, const char *name, char *xml)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.xml", dir, name);
	if (xml != NULL && (f = fopen(path, "w")) != NULL) {
		fputs(xml, f);
		fclose(f);
	}
	free(xml);
}

/*
 * SAML_FUZZ_SEEDS=dir: write the fuzzer's seeds (tests/fuzz/corpus/saml_response) signed with this
 * run's key and print its certificate for tests/fuzz/fuzz_saml_response.c; the key is not kept.
 */
static void
write_seeds(const char *dir)
{
	spec s = spec_good();
	saml_sign_opts sha1 = { .sha1 = 1 }, ki = { .keyinfo_cert = 1 };

	write_seed(dir, "assertion_signed", sign_spec(&s, SIGN_ASSERTION, NULL));
	write_seed(dir, "response_signed", sign_spec(&s, SIGN_RESPONSE, NULL));
	write_seed(dir, "both_signed", sign_spec(&s, SIGN_BOTH, NULL));
	write_seed(dir, "keyinfo_cert", sign_spec(&s, SIGN_ASSERTION, &ki));
	write_seed(dir, "rsa_sha1", sign_spec(&s, SIGN_ASSERTION, &sha1));
	write_seed(dir, "unsigned", sign_spec(&s, SIGN_NONE, NULL));
	s.name_id = "admin@example.test<!---->.evil.test";
	write_seed(dir, "name_id_comment", sign_spec(&s, SIGN_ASSERTION, NULL));
	printf("certificate of the seeds: %s\n", saml_sign_cert());
}

static int
suite_init(void)
{
	if (srt_init() != 0)
		return 1;
	if (getenv("SAML_FUZZ_SEEDS") != NULL)
		write_seeds(getenv("SAML_FUZZ_SEEDS"));
	return 0;
}


/* ---- suite ---------------------------------------------------------------------- */


static const unit_test tests[] = {
	{ "accept: assertion signed", test_accept_assertion_signed },
	{ "accept: response signed, assertion not", test_accept_response_signed },
	{ "accept: both signed", test_accept_both_signed },
	{ "accept: expires_at is the earliest NotOnOrAfter", test_accept_expiry_is_earliest },
	{ "accept: the second configured certificate", test_accept_second_certificate },
	{ "accept: no Destination on an unsigned Response", test_accept_no_destination_when_assertion_signed },
	{ "accept: NotBefore within the skew", test_accept_not_before_within_skew },
	{ "accept: base64 without line breaks", test_accept_unwrapped_base64 },
	{ "accept: RetrievalMethod in KeyInfo is not read", test_retrieval_method_ignored },
	{ "refuse: unsigned", test_refuse_unsigned },
	{ "refuse: signature removed", test_refuse_signature_removed },
	{ "refuse: signature value tampered", test_refuse_value_tampered },
	{ "refuse: assertion changed after signing", test_refuse_content_changed },
	{ "refuse: response changed after signing", test_refuse_response_content_changed },
	{ "refuse: other key, its certificate in KeyInfo", test_refuse_other_key_cert_in_keyinfo },
	{ "refuse: other key, RSAKeyValue in KeyInfo", test_refuse_other_key_keyvalue },
	{ "refuse: good assertion signature, bad response signature", test_refuse_both_one_bad },
	{ "refuse: no configured certificate", test_refuse_no_certificate },
	{ "refuse: RSA-SHA1", test_refuse_rsa_sha1 },
	{ "refuse: exc-c14n with comments (Reference)", test_refuse_exc_c14n_with_comments },
	{ "refuse: exc-c14n with comments (SignedInfo)", test_refuse_signedinfo_c14n_with_comments },
	{ "refuse: XPath transform", test_refuse_xpath_transform },
	{ "refuse: XSLT transform", test_refuse_xslt_transform },
	{ "refuse: empty Reference URI", test_refuse_empty_uri },
	{ "refuse: Reference URI of another element", test_refuse_uri_of_other_element },
	{ "refuse: external Reference URI", test_refuse_external_uri },
	{ "refuse: two References", test_refuse_two_references },
	{ "refuse: oversized", test_refuse_oversized },
	{ "refuse: bad base64", test_refuse_bad_base64 },
	{ "refuse: Status not Success", test_refuse_status },
	{ "refuse: issuer wrong", test_refuse_issuer },
	{ "refuse: destination wrong or missing", test_refuse_destination },
	{ "refuse: recipient wrong", test_refuse_recipient },
	{ "refuse: expired SubjectConfirmation (skew edge)", test_refuse_expired_subject_confirmation },
	{ "refuse: expired Conditions", test_refuse_expired_conditions },
	{ "refuse: NotBefore in the future", test_refuse_not_before_future },
	{ "refuse: unknown Condition", test_refuse_unknown_condition },
	{ "refuse: audience missing", test_refuse_audience_missing },
	{ "refuse: audience wrong", test_refuse_audience_wrong },
	{ "refuse: unsolicited", test_refuse_unsolicited },
	{ "refuse: wrong InResponseTo", test_refuse_wrong_in_response_to },
	{ "refuse: NameID comment injection", test_refuse_name_id_comment },
	{ "refuse: AttributeValue comment injection", test_refuse_attribute_comment },
	{ NULL, NULL }
};

UNIT_MAIN_SUITE("saml_response", tests, suite_init, srt_clean)
