/*
 * Unit tests for the certificate reader (src/domain/x509info.c): certificates
 * made at test time (testcert.c) with known key sizes, dates and digests;
 * base64 as metadata writes it (wrapped, indented, unpadded); garbage,
 * truncation and trailing bytes refused; the OIW sha1WithRSA certificate of
 * the Sustainsys corpus file; weak-digest names.
 */
#include <stdlib.h>
#include <string.h>

#include "onramp/limits.h"
#include "onramp/x509info.h"
#include "testcert.h"
#include "unit.h"

#define T2020 1577836800	/* 2020-01-01T00:00:00Z */
#define T2026 1795392000	/* 2026-11-23T00:00:00Z */
#define T2030 1893456000	/* 2030-01-01T00:00:00Z */

/* The Sustainsys StubIdp signing certificate (corpus, public): RSA 1024, OIW 1.3.14.3.2.29. */
static const char SUSTAINSYS[] =
	"MIICFTCCAYKgAwIBAgIQzfcJCkM1YahDtRGYsLphrDAJBgUrDgMCHQUAMCExHzAdBgNVBAMTFnN0dWJpZHAuc3VzdGFp\n"
	"bnN5cy5jb20wHhcNMTcxMjE0MTE1NDUwWhcNMzkxMjMxMjM1OTU5WjAhMR8wHQYDVQQDExZzdHViaWRwLnN1c3RhaW5z\n"
	"eXMuY29tMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDSSq8EX46J1yprfaBdh4pWII+/E7ypHM1NjG7mCwFwbkjq\n"
	"2tpSBuoASrQftbjIKqjVzxtxETw802VJu5CJR4d3Zdy5jD8NRTesfaQDazX7iiqisfnxmIdDhtJS0lXeBlj4MipoUW6l\n"
	"8Qsjx7ltZSwdfFLyh+bMqIrwOhMWGs82vQIDAQABo1YwVDBSBgNVHQEESzBJgBCBBNba7KNF5wnXqmYcejn6oSMwITEf\n"
	"MB0GA1UEAxMWc3R1YmlkcC5zdXN0YWluc3lzLmNvbYIQzfcJCkM1YahDtRGYsLphrDAJBgUrDgMCHQUAA4GBAHonBGah\n"
	"lldp7kcN5HGGnvogT8a0nNpM7GMdKhtzpLO3Uk3HyT3AAIKWiSoEv2n1BTalJ/CY/+te/JZPVGhWVzoi5JYytpj5gM0O\n"
	"7RH0a3/yUE8S8YLV2h0a2gsdoMvTRTnTm9CnXezCKqhjYjwsmOZtiCIYuFqX71d/pg5uoJfs\n";

/* One arena for the whole run (reachable until exit, like the CUnit registry). */
static arena *
ar(void)
{
	static arena *a;

	if (a == NULL)
		a = arena_new(LIMIT_ARENA_BYTES);
	return a;
}

#define A ar()

static void
test_generated_rsa2048(void)
{
	testcert_spec spec = { 2048, T2020, T2030, "SHA256", "idp.example.com" };
	char *b64 = testcert_base64(&spec);
	sso_cert c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b64);
	CU_ASSERT_EQUAL(x509info_from_base64(A, b64, strlen(b64), &c), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.subject, "CN=idp.example.com");
	CU_ASSERT_STRING_EQUAL(c.issuer, "CN=idp.example.com");
	CU_ASSERT_STRING_EQUAL(c.use, "");
	CU_ASSERT_EQUAL(c.not_before, T2020);
	CU_ASSERT_EQUAL(c.not_after, T2030);
	CU_ASSERT_STRING_EQUAL(c.key_type, "RSA");
	CU_ASSERT_EQUAL(c.key_bits, 2048);
	CU_ASSERT_STRING_EQUAL(c.sig_alg, "sha256WithRSAEncryption");
	CU_ASSERT_EQUAL(strlen(c.sha256), 95);
	CU_ASSERT_EQUAL(c.sha256[2], ':');
	CU_ASSERT_FALSE(x509info_weak_digest(c.sig_alg));
	free(b64);
}

static void
test_generated_weak_and_expired(void)
{
	testcert_spec spec = { 1024, T2020 - 86400, T2020, "SHA1", "old.example.com" };
	testcert_spec md5 = { 1024, T2020, T2030, "MD5", "md5.example.com" };
	testcert_spec ec = { 0, T2020, T2030, "SHA256", "ec.example.com" };
	char *b64 = testcert_base64(&spec), *b64m = testcert_base64(&md5), *b64e = testcert_base64(&ec);
	sso_cert c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b64);
	CU_ASSERT_EQUAL(x509info_from_base64(A, b64, strlen(b64), &c), OR_OK);
	CU_ASSERT_EQUAL(c.key_bits, 1024);
	CU_ASSERT_EQUAL(c.not_after, T2020);
	CU_ASSERT_TRUE(c.not_after < T2026);
	CU_ASSERT_STRING_EQUAL(c.sig_alg, "sha1WithRSAEncryption");
	CU_ASSERT_TRUE(x509info_weak_digest(c.sig_alg));
	if (b64m != NULL) {	/* some OpenSSL builds refuse to sign with MD5 */
		CU_ASSERT_EQUAL(x509info_from_base64(A, b64m, strlen(b64m), &c), OR_OK);
		CU_ASSERT_STRING_EQUAL(c.sig_alg, "md5WithRSAEncryption");
		CU_ASSERT_TRUE(x509info_weak_digest(c.sig_alg));
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(b64e);
	CU_ASSERT_EQUAL(x509info_from_base64(A, b64e, strlen(b64e), &c), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.key_type, "EC");
	CU_ASSERT_EQUAL(c.key_bits, 256);
	CU_ASSERT_STRING_EQUAL(c.sig_alg, "ecdsa-with-SHA256");
	free(b64);
	free(b64m);
	free(b64e);
}

static void
test_oiw_sha1_corpus_cert(void)
{
	sso_cert c;

	CU_ASSERT_EQUAL_FATAL(x509info_from_base64(A, SUSTAINSYS, strlen(SUSTAINSYS), &c), OR_OK);
	CU_ASSERT_STRING_EQUAL(c.subject, "CN=stubidp.sustainsys.com");
	CU_ASSERT_EQUAL(c.key_bits, 1024);
	CU_ASSERT_STRING_EQUAL(c.sig_alg, "sha1WithRSA");
	CU_ASSERT_TRUE(x509info_weak_digest(c.sig_alg));
	CU_ASSERT_EQUAL(c.not_after, 2208988799);	/* 2039-12-31T23:59:59Z */
	CU_ASSERT_STRING_EQUAL(c.sha256, "B2:1E:9C:59:CC:3D:B0:2C:3E:8E:0A:C6:BF:E1:AD:F9:"
				       "5C:67:92:64:B4:35:DB:24:5E:19:1D:69:E9:68:18:5D");
}

static void
test_base64_forms(void)
{
	testcert_spec spec = { 2048, T2020, T2030, "SHA256", "pad.example.com" };
	char *b64 = testcert_base64(&spec), *flat, *tabbed;
	size_t i, n = 0, m = 0, len;
	sso_cert c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b64);
	len = strlen(b64);
	flat = malloc(len + 1);
	tabbed = malloc(len * 2 + 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(flat);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tabbed);
	tabbed[m++] = '\n';
	for (i = 0; i < len; i++) {
		if (b64[i] == ' ' || b64[i] == '\n')
			continue;
		flat[n++] = b64[i];
		tabbed[m++] = b64[i];
		if (n % 76 == 0) {
			tabbed[m++] = '\r';
			tabbed[m++] = '\n';
			tabbed[m++] = '\t';
		}
	}
	flat[n] = '\0';
	tabbed[m++] = '\n';
	tabbed[m] = '\0';
	CU_ASSERT_EQUAL(x509info_from_base64(A, tabbed, m, &c), OR_OK);
	while (n > 0 && flat[n - 1] == '=')
		flat[--n] = '\0';	/* unpadded */
	CU_ASSERT_EQUAL(x509info_from_base64(A, flat, n, &c), OR_OK);
	CU_ASSERT_EQUAL(c.key_bits, 2048);
	CU_ASSERT_EQUAL(x509info_from_base64(A, flat, n - 8, &c), OR_ERR_INVALID);	/* truncated */
	flat[10] = '*';
	CU_ASSERT_EQUAL(x509info_from_base64(A, flat, n, &c), OR_ERR_INVALID);
	free(b64);
	free(flat);
	free(tabbed);
}

static void
test_garbage(void)
{
	sso_cert c;
	size_t len = 0;
	testcert_spec spec = { 2048, T2020, T2030, "SHA256", "trail.example.com" };
	unsigned char *der = testcert_der(&spec, &len), *more;

	CU_ASSERT_EQUAL(x509info_from_base64(A, "", 0, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_base64(A, " \n\t ", 4, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_base64(A, "QUJD", 4, &c), OR_ERR_INVALID);	/* "ABC" */
	CU_ASSERT_EQUAL(x509info_from_base64(A, "QUJD=", 5, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_base64(A, "QU=JD", 5, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_base64(A, "Q", 1, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_base64(A, NULL, 0, &c), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(x509info_from_der(A, NULL, 0, &c), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	CU_ASSERT_EQUAL(x509info_from_der(A, der, len, &c), OR_OK);
	CU_ASSERT_EQUAL(x509info_from_der(A, der, len - 1, &c), OR_ERR_INVALID);
	more = malloc(len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	memcpy(more, der, len);
	more[len] = 0;
	CU_ASSERT_EQUAL(x509info_from_der(A, more, len + 1, &c), OR_ERR_INVALID);	/* trailing byte */
	CU_ASSERT_EQUAL(x509info_from_der(A, more, LIMIT_X509_DER_BYTES + 1, &c), OR_ERR_LIMIT);
	free(der);
	free(more);
}

static void
test_weak_digest_names(void)
{
	CU_ASSERT_TRUE(x509info_weak_digest("sha1WithRSAEncryption"));
	CU_ASSERT_TRUE(x509info_weak_digest("md5WithRSAEncryption"));
	CU_ASSERT_TRUE(x509info_weak_digest("ecdsa-with-SHA1"));
	CU_ASSERT_TRUE(x509info_weak_digest("dsaWithSHA1"));
	CU_ASSERT_FALSE(x509info_weak_digest("sha256WithRSAEncryption"));
	CU_ASSERT_FALSE(x509info_weak_digest("ecdsa-with-SHA384"));
	CU_ASSERT_FALSE(x509info_weak_digest("ED25519"));
	CU_ASSERT_FALSE(x509info_weak_digest("unknown"));
	CU_ASSERT_FALSE(x509info_weak_digest(NULL));
}

static const unit_test tests[] = {
	{ "generated RSA 2048 certificate", test_generated_rsa2048 },
	{ "1024-bit, SHA-1, MD5, expired, EC", test_generated_weak_and_expired },
	{ "OIW sha1WithRSA corpus certificate", test_oiw_sha1_corpus_cert },
	{ "wrapped, indented, unpadded base64", test_base64_forms },
	{ "garbage, truncation, trailing bytes", test_garbage },
	{ "weak digest names", test_weak_digest_names },
	{ NULL, NULL }
};

UNIT_MAIN("x509info", tests)
