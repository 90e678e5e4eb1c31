/*
 * Unit tests for the SAML metadata checker (src/domain/saml_meta.c,
 * saml_entity.c): every SAML file of the shared corpus gets the verdict
 * ../shared/corpus/SOURCES.md gives at its date, with the named failing check
 * and the measured certificate facts; hand-written documents cover each rule,
 * the namespace games (prefix bound to the wrong URI, default namespace,
 * unbound names) and the choice among several identity providers.  The
 * hostile documents (entities, DOCTYPE, size, secrets) are in
 * test_saml_safety.c.
 *
 * The corpus is read through corpus.h: $ONRAMP_CORPUS_DIR, else CORPUS_DIR
 * (the build passes $(abs_top_srcdir)/tests/corpus, a byte-exact copy of
 * ../shared/corpus), else /work/shared/corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "onramp/limits.h"
#include "onramp/saml_meta.h"
#include "saml_test.h"
#include "unit.h"

/* ---- the corpus ---------------------------------------------------------------- */

_Static_assert(NOW == CORPUS_NOW, "the hand-written cases and the corpus share one pinned date");

typedef struct verdict {
	const char *file;
	bool ok;
	const char *key;	/* the failing check SOURCES.md names (NULL for accept) */
	const char *says;	/* a value its message must name */
	const char *entity;	/* expected entity_id (NULL: none chosen) */
	size_t ncerts;
	const char *sha256;	/* of the first signing certificate */
	int bits;
	bool is_signed;
} verdict;

static const verdict CORPUS[] = {
	{ "saml/okta_trial-1022863_idp-metadata.xml", true, NULL, NULL,
	  "http://www.okta.com/exkdoocxa1VmjpXmX697", 1,
	  "21:D5:E6:FF:D3:60:7D:88:BD:8E:EE:5F:97:9F:CB:E9:C3:A3:08:BF:E8:E4:42:A4:41:36:AB:60:B9:21:6B:CF", 2048, false },
	{ "saml/google-workspace_C029op2ga_idp-metadata.xml", true, NULL, NULL,
	  "https://accounts.google.com/o/saml2?idpid=C029op2ga", 1,
	  "85:EF:56:F2:38:25:54:3D:9F:12:FF:E4:B5:6A:D7:6D:60:70:DC:A8:54:3D:3E:41:36:A4:2F:A2:A9:EA:2A:D7", 2048, false },
	{ "saml/entra-id_federationmetadata_bom-signed_expired.xml", false, "saml.cert_expired", "2026-11-16T20:41:29Z",
	  "https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/", 1,
	  "20:76:D8:86:41:0A:00:A7:5A:CD:B8:AE:DB:93:D3:87:7B:4F:AD:BD:8E:A9:72:F6:37:30:77:91:7B:2E:50:49", 2048, true },
	{ "saml/pingone_idp-metadata_expired.xml", false, "saml.cert_expired", "2024-11-17T16:17:59Z",
	  "https://auth.pingone.com/3030059e-440b-4ad0-9217-44326f1757f6", 1,
	  "D8:E5:94:BE:AE:EB:4A:14:25:80:2D:E0:B9:DB:81:D8:08:88:73:3D:C2:80:AB:F8:30:0B:99:16:A8:29:24:FB", 2048, false },
	{ "saml/keycloak_master-realm_http-localhost.xml", false, "saml.sso_location_https",
	  "http://localhost:8085/realms/master/protocol/saml", "http://localhost:8085/realms/master", 1,
	  "9F:8A:E3:AD:F4:41:1E:73:BD:5F:2F:49:FB:1C:D8:89:2A:88:AA:DB:3B:FE:F2:8A:1B:58:2A:19:AD:AD:0E:51", 2048, false },
	{ "saml/adfs_msidlab11_signed_expired.xml", false, "saml.cert_expired", "2018-01-23T21:28:39Z",
	  "http://fs.msidlab11.com/adfs/services/trust", 1,
	  "A8:A9:86:37:D4:51:36:76:8C:F8:12:76:CB:CC:CD:58:DB:BF:FB:2E:8C:75:77:1F:01:CB:16:DC:4D:2E:42:35", 2048, true },
	{ "saml/onelogin_app-383123_expired-sha1.xml", false, "saml.cert_expired", "2018-06-05T17:16:20Z",
	  "https://app.onelogin.com/saml/metadata/383123", 1,
	  "46:E3:68:F4:ED:61:43:2B:EC:36:E3:99:E9:03:4B:99:E5:B3:58:EF:A9:A9:00:FC:2D:C8:7C:14:C6:60:E3:8F", 2048, false },
	{ "saml/testshib_entities-idp-plus-sp.xml", true, NULL, NULL, "https://idp.testshib.org/idp/shibboleth", 1,
	  "ED:03:FF:38:DF:C7:EA:48:52:3E:27:10:EC:64:5F:ED:ED:DB:55:68:8C:16:2C:B3:7B:48:5C:52:3E:A5:C0:22", 2048, false },
	{ "saml/samltest-id_two-signing-certs.xml", true, NULL, NULL, "https://samltest.id/saml/idp", 2,
	  "E5:E0:E6:57:8A:27:B5:3A:2C:A0:51:82:FB:0A:D2:3C:97:F3:33:49:74:69:C8:70:8B:3A:CA:61:BE:5F:A7:9E", 2048, false },
	{ "saml/sustainsys-stubidp_rsa1024.xml", false, "saml.key_size", "1024-bit",
	  "https://stubidp.sustainsys.com/Metadata", 1,
	  "B2:1E:9C:59:CC:3D:B0:2C:3E:8E:0A:C6:BF:E1:AD:F9:5C:67:92:64:B4:35:DB:24:5E:19:1D:69:E9:68:18:5D", 1024, false },
	{ "saml/sambi-federation_aggregate_signed.xml", false, "saml.valid_until", "2014-11-06T10:45:03Z", NULL, 0,
	  NULL, 0, true },
	{ "saml/invalid/microsoft-online_sp-only_signed.xml", false, "saml.idp_present",
	  "service-provider metadata, the wrong file", NULL, 0, NULL, 0, true },
	{ "saml/invalid/jackson_xml-decl-after-comment.xml", false, "saml.well_formed",
	  "XML declaration allowed only at the start", NULL, 0, NULL, 0, false },
	{ "saml/invalid/simplesamlphp_entities-sp-only.xml", false, "saml.idp_present", "no identity provider entity",
	  NULL, 0, NULL, 0, false },
	{ NULL, false, NULL, NULL, NULL, 0, NULL, 0, false }
};

static const char *
corpus_dir(void)
{
	const char *env = getenv("ONRAMP_CORPUS_DIR");

	return env != NULL && env[0] != '\0' ? env : CORPUS_DIR;
}

static char *
corpus_file(const char *name, size_t *len)
{
	char *data = corpus_read(name, len);

	if (data == NULL)
		printf("\n  cannot read %s/%s (set ONRAMP_CORPUS_DIR)\n", corpus_dir(), name);
	return data;
}

static void
check_verdict(const verdict *v, const sso_report *r)
{
	const sso_check *c = v->key != NULL ? st_failed(r, v->key) : NULL;

	CU_ASSERT_EQUAL(r->ok, v->ok);
	if (v->ok) {
		CU_ASSERT_PTR_NULL(sso_report_failed(r, SSO_ERROR));
		CU_ASSERT_PTR_NULL(sso_report_failed(r, SSO_WARNING));
	} else {
		CU_ASSERT_PTR_NOT_NULL(c);
		CU_ASSERT_TRUE(c != NULL && strstr(c->message, v->says) != NULL);
	}
	CU_ASSERT_TRUE(v->entity == NULL ? r->entity_id == NULL
					 : r->entity_id != NULL && strcmp(r->entity_id, v->entity) == 0);
	CU_ASSERT_EQUAL(r->ncerts, v->ncerts);
	if (v->sha256 != NULL && r->ncerts > 0) {
		CU_ASSERT_STRING_EQUAL(r->certs[0].sha256, v->sha256);
		CU_ASSERT_EQUAL(r->certs[0].key_bits, v->bits);
	}
	CU_ASSERT_EQUAL(r->is_signed, v->is_signed);
	CU_ASSERT_STRING_EQUAL(r->protocol, "saml");
}

static void
test_corpus_verdicts(void)
{
	const verdict *v;
	sso_report r;
	size_t len;
	char *xml;
	unsigned failed_before;

	for (v = CORPUS; v->file != NULL; v++) {
		xml = corpus_file(v->file, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
		failed_before = CU_get_number_of_failures();
		st_check(xml, len, NOW, NULL, &r);
		check_verdict(v, &r);
		/* no false alarm from the XML secret scan that PUT /sso runs */
		CU_ASSERT_EQUAL(saml_metadata_secret(NULL, xml, len), SECRET_NONE);
		if (CU_get_number_of_failures() != failed_before)
			st_dump(v->file, &r);
		free(xml);
	}
}

/* Every SAML file in the corpus has a row above, so a new file cannot go unjudged. */
static void
test_corpus_complete(void)
{
	static const char *const dirs[] = { "saml", "saml/invalid", NULL };
	char path[4096], name[4096];
	const verdict *v;
	struct dirent *e;
	size_t i, seen = 0;
	DIR *d;

	for (i = 0; dirs[i] != NULL; i++) {
		CU_ASSERT_FATAL(snprintf(path, sizeof(path), "%s/%s", corpus_dir(), dirs[i]) < (int)sizeof(path));
		d = opendir(path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		while ((e = readdir(d)) != NULL) {
			if (strstr(e->d_name, ".xml") == NULL)
				continue;
			snprintf(name, sizeof(name), "%s/%s", dirs[i], e->d_name);
			for (v = CORPUS; v->file != NULL && strcmp(v->file, name) != 0; v++)
				;
			if (v->file == NULL)
				printf("\n  corpus file without a verdict: %s\n", name);
			CU_ASSERT_PTR_NOT_NULL(v->file);
			seen++;
		}
		closedir(d);
	}
	CU_ASSERT_EQUAL(seen, sizeof(CORPUS) / sizeof(CORPUS[0]) - 1);
}

static bool
known_saml(const char *file)
{
	const verdict *v;

	for (v = CORPUS; v->file != NULL; v++)
		if (strcmp(v->file, file) == 0)
			return true;
	return false;
}

/* SOURCES.md still parses into one SAML row per verdict above, so the corpus test cannot pass over nothing. */
static void
test_corpus_rows(void)
{
	corpus_check_rows("saml/", CORPUS_ROWS_SAML, known_saml, sizeof(CORPUS) / sizeof(CORPUS[0]) - 1);
}

/* The "flips on" column: Google warns from 2028-06-19 and is refused from 2028-07-19. */
static void
test_corpus_flips(void)
{
	size_t len;
	char *xml = corpus_file("saml/google-workspace_C029op2ga_idp-metadata.xml", &len);
	sso_report r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	st_check(xml, len, 1845072000 /* 2028-06-20 */, NULL, &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.cert_expiring"));
	st_check(xml, len, 1847721600 /* 2028-07-20 */, NULL, &r);
	CU_ASSERT_FALSE(r.ok);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.cert_expired"));
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.valid_until"));
	free(xml);
}

/* Sambi: 8 IdPs listed; choosing one checks that one (1024-bit key, MD5 certificate). */
static void
test_corpus_aggregate_choice(void)
{
	static const char pick[] =
		"https://callback-prod.inloggning.se/simplesaml/saml2/idp/meta_e46fe1da26959ddb5319d64f5c85a7a0";
	size_t len;
	char *xml = corpus_file("saml/sambi-federation_aggregate_signed.xml", &len);
	sso_report r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	st_check(xml, len, NOW, NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_choice"));
	CU_ASSERT_EQUAL(r.nentities, 8);
	CU_ASSERT_STRING_EQUAL(r.entities[0], "https://idp.maggie.bif.ost.se:9445/idp/saml");
	st_check(xml, len, NOW, pick, &r);
	CU_ASSERT_PTR_NULL(st_failed(&r, "saml.entity_choice"));
	CU_ASSERT_STRING_EQUAL(r.entity_id, pick);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.key_size"));
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.cert_sig_alg"));
	CU_ASSERT_TRUE(r.ncerts == 1 && strcmp(r.certs[0].sig_alg, "md5WithRSAEncryption") == 0);
	free(xml);
}

/* ---- hand-written documents ------------------------------------------------------ */

static void
test_good_document(void)
{
	sso_report r;

	CU_ASSERT_EQUAL(st_check_doc(GOOD_IDP, NULL, &r), OR_OK);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_PTR_NULL(sso_report_failed(&r, SSO_WARNING));
	CU_ASSERT_STRING_EQUAL(r.entity_id, "https://idp.example.com/saml");
	CU_ASSERT_EQUAL_FATAL(r.nendpoints, 1);
	CU_ASSERT_STRING_EQUAL(r.endpoints[0].kind, "sso:HTTP-Redirect");
	CU_ASSERT_STRING_EQUAL(r.endpoints[0].url, "https://idp.example.com/sso");
	CU_ASSERT_EQUAL_FATAL(r.ncerts, 1);
	CU_ASSERT_STRING_EQUAL(r.certs[0].use, "signing");
	CU_ASSERT_STRING_EQUAL(r.certs[0].subject, "CN=idp.example.com");
	CU_ASSERT_STRING_EQUAL(r.certs[0].key_type, "RSA");
	CU_ASSERT_EQUAL(r.certs[0].key_bits, 2048);
	CU_ASSERT_EQUAL_FATAL(r.nnameid, 1);
	CU_ASSERT_STRING_EQUAL(r.nameid_formats[0], "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
	CU_ASSERT_FALSE(r.is_signed);
	CU_ASSERT_EQUAL(r.nentities, 0);
}

static void
test_endpoint_rules(void)
{
	sso_report r;
	const sso_check *c;

	st_check_doc(IDP("", KEY_SIGNING("{CERT}"), SSO("HTTP-POST", "http://idp.example.com/sso")), NULL, &r);
	c = st_failed(&r, "saml.sso_location_https");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "\"http://idp.example.com/sso\"") != NULL);
	CU_ASSERT_FALSE(r.ok);
	st_check_doc(IDP("", KEY_SIGNING("{CERT}"), SSO("SOAP", "https://idp.example.com/soap")), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.sso_service"));
	st_check_doc(IDP("", KEY_SIGNING("{CERT}"), ""), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.sso_service"));
	CU_ASSERT_FALSE(r.ok);
	st_check_doc(IDP("", KEY_SIGNING("{CERT}"), SSO("HTTP-Redirect", "https:///nohost")), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.sso_location_https"));
	st_check_doc(IDP("", KEY_SIGNING("{CERT}"),
			 "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"/>"),
		     NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.sso_location_https"));
	/* an http entityID is an identifier, not an endpoint */
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"http://www.okta.com/exk1\">" IDP_BODY "</md:EntityDescriptor>",
		     NULL, &r);
	CU_ASSERT_TRUE(r.ok);
}

static void
test_valid_until(void)
{
	sso_report r;
	const sso_check *c;

	st_check_doc(IDP(" validUntil=\"2026-11-22T23:59:59Z\"", KEY_SIGNING("{CERT}"), SSO_OK), NULL, &r);
	c = st_failed(&r, "saml.valid_until");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "2026-11-22T23:59:59Z") != NULL);
	CU_ASSERT_FALSE(r.ok);
	st_check_doc(IDP(" validUntil=\"2026-11-24T00:00:00.123Z\"", KEY_SIGNING("{CERT}"), SSO_OK), NULL, &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_TRUE(st_passed(&r, "saml.valid_until"));
	st_check_doc(IDP(" validUntil=\"2026-11-23T01:00:00+02:00\"", KEY_SIGNING("{CERT}"), SSO_OK), NULL, &r);
	CU_ASSERT_FALSE(r.ok);	/* 2026-11-22T23:00Z */
	st_check_doc(IDP(" validUntil=\"2026-11-22T23:00:00-02:00\"", KEY_SIGNING("{CERT}"), SSO_OK), NULL, &r);
	CU_ASSERT_TRUE(r.ok);	/* 2026-11-23T01:00Z */
	st_check_doc(IDP(" validUntil=\"next week\"", KEY_SIGNING("{CERT}"), SSO_OK), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.valid_until"));
	st_check_doc(IDP_ROLE_ATTR(" validUntil=\"2020-01-01T00:00:00Z\""), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.valid_until"));
}

static void
test_certificate_rules(void)
{
	sso_report r;
	const sso_check *c;

	st_check_doc(IDP("", KEY_SIGNING("{CERT_EXPIRED}"), SSO_OK), NULL, &r);
	c = st_failed(&r, "saml.cert_expired");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "2025-01-01T00:00:00Z") != NULL);
	CU_ASSERT_FALSE(r.ok);
	st_check_doc(IDP("", KEY_SIGNING("{CERT_SOON}"), SSO_OK), NULL, &r);
	c = st_failed(&r, "saml.cert_expiring");
	CU_ASSERT_TRUE(c != NULL && c->severity == SSO_WARNING && strstr(c->message, "2026-12-10") != NULL);
	CU_ASSERT_TRUE(r.ok);
	st_check_doc(IDP("", KEY_SIGNING("{CERT_1024}"), SSO_OK), NULL, &r);
	c = st_failed(&r, "saml.key_size");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "1024-bit RSA") != NULL);
	CU_ASSERT_FALSE(r.ok);
	st_check_doc(IDP("", KEY_SIGNING("{CERT_SHA1}"), SSO_OK), NULL, &r);
	c = st_failed(&r, "saml.cert_sig_alg");
	CU_ASSERT_TRUE(c != NULL && c->severity == SSO_WARNING);
	CU_ASSERT_TRUE(r.ok);
	st_check_doc(IDP("", KEY_NOUSE("{CERT}") KEY_SIGNING("{CERT}") KEY_ENC("{CERT_1024}"), SSO_OK), NULL, &r);
	CU_ASSERT_EQUAL(r.ncerts, 1);	/* the same certificate twice; encryption key ignored */
	CU_ASSERT_TRUE(r.ok);
	st_check_doc(IDP("", KEY_ENC("{CERT}"), SSO_OK), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.signing_cert"));
	st_check_doc(IDP("", KEY_SIGNING("bm90IGEgY2VydGlmaWNhdGU="), SSO_OK), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.cert_parse"));
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.signing_cert"));
	/* a WS-Federation RoleDescriptor's key is not a SAML signing key */
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\">"
		     "<md:RoleDescriptor>" KEY_SIGNING("{CERT}") "</md:RoleDescriptor>"
		     "<md:IDPSSODescriptor protocolSupportEnumeration=\"" PROTO "\">" SSO_OK
		     "</md:IDPSSODescriptor></md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.signing_cert"));
	CU_ASSERT_EQUAL(r.ncerts, 0);
}

static void
test_namespaces(void)
{
	sso_report r;
	const sso_check *c;

	/* default namespace, ds declared on KeyInfo */
	st_check_doc("<EntityDescriptor xmlns=\"" MD_NS "\" entityID=\"https://idp.example.com/saml\">"
		     "<IDPSSODescriptor protocolSupportEnumeration=\"" PROTO "\"><KeyDescriptor>"
		     "<KeyInfo xmlns=\"" DS_NS "\"><X509Data><X509Certificate>{CERT}</X509Certificate></X509Data>"
		     "</KeyInfo></KeyDescriptor><SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:"
		     "HTTP-POST\" Location=\"https://idp.example.com/sso\"/></IDPSSODescriptor></EntityDescriptor>",
		     NULL, &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_TRUE(r.ncerts == 1 && strcmp(r.certs[0].use, "") == 0);
	/* the right local names under the wrong namespace URI */
	st_check_doc("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadataX\" xmlns:ds=\"" DS_NS
		     "\" entityID=\"https://idp.example.com/saml\">" IDP_BODY "</md:EntityDescriptor>", NULL, &r);
	c = st_failed(&r, "saml.is_metadata");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "metadataX") != NULL);
	st_check_doc("<EntityDescriptor entityID=\"x\"><IDPSSODescriptor/></EntityDescriptor>", NULL, &r);
	c = st_failed(&r, "saml.is_metadata");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "without a namespace") != NULL);
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\">"
		     "<x:IDPSSODescriptor xmlns:x=\"urn:example:not-saml\" protocolSupportEnumeration=\"" PROTO "\">"
		     "</x:IDPSSODescriptor></md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.idp_present"));
	/* ds: bound to a URI without the final '#' */
	st_check_doc("<md:EntityDescriptor xmlns:md=\"" MD_NS "\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig\" "
		     "entityID=\"https://idp.example.com/saml\">" IDP_BODY "</md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.signing_cert"));
	/* a signature only counts in the xmldsig namespace */
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\">"
		     "<Signature xmlns=\"" DS_NS "\"><SignedInfo/></Signature>" IDP_BODY "</md:EntityDescriptor>",
		     NULL, &r);
	CU_ASSERT_TRUE(r.is_signed && st_passed(&r, "saml.signed"));
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com/saml\">"
		     "<md:Signature/>" IDP_BODY "</md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_FALSE(r.is_signed);
	st_check_doc("<html><body/></html>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.is_metadata"));
}

static void
test_roles(void)
{
	sso_report r;
	const sso_check *c;

	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://sp.example.com\">"
		     "<md:SPSSODescriptor protocolSupportEnumeration=\"" PROTO "\"/></md:EntityDescriptor>", NULL, &r);
	c = st_failed(&r, "saml.idp_present");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "service-provider metadata, the wrong file") != NULL);
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"https://idp.example.com\">"
		     "<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:1.1:protocol\"/>"
		     "</md:EntityDescriptor>", NULL, &r);
	c = st_failed(&r, "saml.idp_present");
	CU_ASSERT_TRUE(c != NULL && strstr(c->message, "SAML 2.0") != NULL);
	st_check_doc("<md:EntityDescriptor " NS_DECL "/>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.idp_present"));
	st_check_doc("<md:EntityDescriptor " NS_DECL ">" IDP_BODY "</md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_id"));
	/* entityID is data, never a format string */
	st_check_doc("<md:EntityDescriptor " NS_DECL " entityID=\"%s%n%x\">" IDP_BODY "</md:EntityDescriptor>", NULL, &r);
	CU_ASSERT_TRUE(r.ok && strcmp(r.entity_id, "%s%n%x") == 0);
}

static void
test_several_idps(void)
{
	sso_report r;

	st_check_doc(ENTITIES(ENTITY("https://a.example.com/idp") ENTITY("https://b.example.com/idp") SP_ENTITY), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_choice"));
	CU_ASSERT_FALSE(r.ok);
	CU_ASSERT_EQUAL_FATAL(r.nentities, 2);
	CU_ASSERT_STRING_EQUAL(r.entities[1], "https://b.example.com/idp");
	st_check_doc(ENTITIES(ENTITY("https://a.example.com/idp") ENTITY("https://b.example.com/idp") SP_ENTITY),
		     "https://b.example.com/idp", &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_STRING_EQUAL(r.entity_id, "https://b.example.com/idp");
	st_check_doc(ENTITIES(ENTITY("https://a.example.com/idp") ENTITY("https://b.example.com/idp")),
		     "https://sp.example.com", &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_choice"));
	/* one IdP among SPs, nested aggregates: picked without asking */
	st_check_doc(ENTITIES(SP_ENTITY "<md:EntitiesDescriptor>" ENTITY("https://c.example.com/idp")
			      "</md:EntitiesDescriptor>"), NULL, &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_STRING_EQUAL(r.entity_id, "https://c.example.com/idp");
	st_check_doc(GOOD_IDP, "https://stale.example.com/idp", &r);
	CU_ASSERT_TRUE(r.ok);	/* a choice only matters among several */
	st_check_doc(ENTITIES(SP_ENTITY SP_ENTITY), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.idp_present"));
}

/* An IdP without an entityID cannot be chosen, so it is not offered (found by fuzz_saml_meta). */
#define UNNAMED "<md:EntityDescriptor x=\"1\">" IDP_BODY "</md:EntityDescriptor>"

static void
test_unnamed_idps(void)
{
	sso_report r;

	st_check_doc(ENTITIES(UNNAMED ENTITY("https://b.example.com/idp")), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_choice"));
	CU_ASSERT_EQUAL_FATAL(r.nentities, 1);
	CU_ASSERT_STRING_EQUAL(r.entities[0], "https://b.example.com/idp");
	st_check_doc(ENTITIES(UNNAMED ENTITY("https://b.example.com/idp")), "https://b.example.com/idp", &r);
	CU_ASSERT_TRUE(r.ok);
	CU_ASSERT_STRING_EQUAL(r.entity_id, "https://b.example.com/idp");
	st_check_doc(ENTITIES(UNNAMED UNNAMED), NULL, &r);
	CU_ASSERT_PTR_NOT_NULL(st_failed(&r, "saml.entity_id"));
	CU_ASSERT_PTR_NULL(st_failed(&r, "saml.entity_choice"));
	CU_ASSERT_EQUAL(r.nentities, 0);
}

static const unit_test tests[] = {
	{ "identity providers without an entityID", test_unnamed_idps },
	{ "corpus: every file gets the SOURCES.md verdict", test_corpus_verdicts },
	{ "corpus: every SAML file has a verdict", test_corpus_complete },
	{ "corpus: SOURCES.md has a row for each verdict", test_corpus_rows },
	{ "corpus: verdicts flip on the named dates", test_corpus_flips },
	{ "corpus: aggregate asks, then checks the chosen IdP", test_corpus_aggregate_choice },
	{ "good document and its summary", test_good_document },
	{ "SSO endpoint rules", test_endpoint_rules },
	{ "validUntil", test_valid_until },
	{ "signing certificate rules", test_certificate_rules },
	{ "namespaces, never prefixes", test_namespaces },
	{ "SP-only, SAML 1 only, no entityID", test_roles },
	{ "several identity providers", test_several_idps },
	{ NULL, NULL }
};

UNIT_MAIN("saml_meta", tests)
