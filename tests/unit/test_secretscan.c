/*
 * Unit tests for the secret scanner (src/domain/secretscan.c): positive and
 * negative examples for every rule, a corpus of ordinary business text that
 * must pass (notes, phones, ticket ids, UUIDs, SHAs, URLs, SAML metadata with
 * certificates), boundaries, secrets at the start, middle and end, NUL bytes,
 * very long inputs, and the fixed kind names and messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onramp/secretscan.h"
#include "unit.h"

static const secretscan_ctx CTX = { "https://console.example.com" };

/* Checks one text and names it on failure, since CUnit prints only the line. */
static void
expect_ctx(const secretscan_ctx *ctx, const char *text, size_t len, secretscan_kind want)
{
	secretscan_kind got = secretscan_check(ctx, text, len);

	if (got != want)
		printf("\n  secretscan(\"%.80s\"): got %s, want %s\n", text, secretscan_kind_name(got),
		       secretscan_kind_name(want));
	CU_ASSERT_EQUAL(got, want);
}

static void
expect(const char *text, secretscan_kind want)
{
	expect_ctx(&CTX, text, strlen(text), want);
}

static void
expect_all(const char *const *texts, secretscan_kind want)
{
	size_t i;

	for (i = 0; texts[i]; i++)
		expect(texts[i], want);
}

static void
test_private_key(void)
{
	static const char *const yes[] = {
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0eGSonFtA+hcVEO/f+wLEBHo\n"
		"-----END RSA PRIVATE KEY-----\n",
		"the file starts with -----BEGIN PRIVATE KEY----- and then base64",
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		"-----BEGIN EC PRIVATE KEY-----\r\nMHcCAQEEIDVjlIdXZzxiPrAgzVqf0dPc\r\n",
		"-----BEGIN DSA PRIVATE KEY-----",
		"-----BEGIN ENCRYPTED PRIVATE KEY-----",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n",
		"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
		"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",
		/* bodies whose PEM lines were stripped */
		"key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC",
		"MIIEpAIBAAKCAQEA0eGSonFtA+hcVEO/f+wLEBHoQ2x",
		"MIICXAIBAAKBgQC7XpSu8DbNGSacgTkhvUBFAQLr",
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
		"MHcCAQEEIDVjlIdXZzxiPrAgzVqf0dPc+MNZThRvDnuMPOdlmsTeoAoGCCqGSM49",
		"MIGkAgEBBDC9I4h+kNuqpQWQSFCXzmJqAkQ1FQdNlyYy8YKOQS0dJMTuaTkKB3Ts",
		"MC4CAQAwBQYDK2VwBCIEIF4XvHxBXwKVrOpuRuL/JS8mpS/f8z0Co+WTlYWSl3K6",
		"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjQL2dTumobfJegty",
		"pfx: MIIJzwIBAzCCCYUGCSqGSIb3DQEHAaCCCXYEggly",
		/* a JWK with its private member */
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\": \"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
		NULL
	};
	static const char *const no[] = {
		"-----BEGIN CERTIFICATE-----\nMIIDqjCCApKgAwIBAgIGAY8W9FSqMA0GCSqGSIb3DQEBCwUAMIGV\n-----END CERTIFICATE-----",
		"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAh8g24a5HDZpwtWuA\n"
		"-----END PUBLIC KEY-----",
		"-----BEGIN PGP PUBLIC KEY BLOCK-----",
		"We rotated the private key yesterday; the PRIVATE KEY lives in the HSM.",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c2VyQGV4YW1wbGUuY29tIGhvc3Q alice@laptop",
		"-----BEGIN CERTIFICATE REQUEST-----\nMIICUTCCATkCAQAwDDEKMAgGA1UEAw\n",
		"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbf\","
		"\"e\":\"AQAB\"}",
		"{\"d\": \"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"} is a field called d, no key type",
		NULL
	};

	expect_all(yes, SECRET_PRIVATE_KEY);
	expect_all(no, SECRET_NONE);
}

static void
test_client_secret(void)
{
	static const char *const yes[] = {
		"client_secret=Xy7pQ2rT9vLm3nB8",
		"{\"client_id\": \"0oa1b2c3\", \"client_secret\": \"s3cr3t-value\"}",
		"clientSecret: 'Zx9kQ2mP7rT4'",
		"CLIENT-SECRET=abc",
		"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",
		"Client secret: Xy7pQ2rT9vLm3nB8",
		"the new one is Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789 from Entra",
		"https://idp.example.com/token?grant_type=client_credentials&client_secret=q8W3e5R7",
		NULL
	};
	static const char *const no[] = {
		"client_secret: <redacted>",
		"client_secret=***",
		"\"client_secret\": \"\"",
		"The client secret expires next month; please rotate it.",
		"client_id=0oa1b2c3d4e5f6g7h8i9",
		"client_secret: ${OIDC_CLIENT_SECRET}",
		"Client secret: see the vault entry",
		"client secret: <paste here>",
		"GOCSPX-short",
		NULL
	};

	expect_all(yes, SECRET_CLIENT_SECRET);
	expect_all(no, SECRET_NONE);
}

#define JWT_IO "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpva" \
	"G4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

static void
test_jwt(void)
{
	static const char *const yes[] = {
		JWT_IO,
		"token was " JWT_IO ", expired",
		"Authorization: Bearer " JWT_IO,
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
		"id_token=" JWT_IO "&state=x",
		NULL
	};
	static const char *const no[] = {
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
		"eyJmb28iOiJiYXIifQ.eyJ4IjoxfQ.c2lnbmF0dXJl",
		"eyebrow.eyes.eyelid",
		"version 1.2.3 of eyJ.x.y",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 . eyJzdWIiOiIxMjM0NTY3ODkwIn0 . sig",
		NULL
	};

	expect_all(yes, SECRET_JWT);
	expect_all(no, SECRET_NONE);
}

static void
test_bearer(void)
{
	static const char *const yes[] = {
		"Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
		"curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' https://api.example.com",
		"Authorization: token 7d1f3a9b2c4e6f8a0b1c3d5e7f9a1b3c",
		"authorization=6f1ed002ab5595859014ebf0951522d9",
		"Cookie: JSESSIONID=8F3C1A7B2E9D4F60A1B2C3D4E5F60718; Path=/",
		"onramp_session=Qm9vT3BlbjEyMzQ1Njc4OTBhYmNkZWY",
		"PHPSESSID=k3v9q2m7p1x8z4c6b0n5r2t8y1",
		NULL
	};
	static const char *const no[] = {
		"The bearer of this letter is authorized to collect the badge.",
		"Bearer tokens are described in RFC 6750.",
		"Authorization: pending manager approval",
		"Authorization: Basic auth is disabled for this tenant",
		"session=2",
		"Session: Tuesday 10:00, room B",
		"session=abcdefghijklmnopqrstuvwxyz",
		NULL
	};

	expect_all(yes, SECRET_BEARER_TOKEN);
	expect_all(no, SECRET_NONE);
}

static void
test_url_credentials(void)
{
	static const char *const yes[] = {
		"postgres://app:s3cretPass@db.internal:5432/app",
		"clone https://alice:hunter2@git.example.com/repo.git please",
		"https://x7Kq9mP2vL5nR8tW3zY6@api.example.com/v1",
		"https://example.com/cb?code=4/0AX4XfWjYz8kLmN2pQr5StUvWx&scope=email",
		"https://acct.blob.core.windows.net/c/f.pdf?sv=2021-08-06&sr=b&sig=Zm9vYmFy%2BYmF6cXV4MTIzNDU2Nzg5MA%3D%3D",
		"https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"https://app.example.com/#access_token=ya29.a0AfH6SMBx7Qk2LmNpQ9rStUvWxYz&token_type=Bearer",
		"https://api.example.com/v1/items?api_key=8c1f2e3d4b5a69788f7e6d5c4b3a2910",
		"https://example.com/login?user=bob&password=hunter2",
		NULL
	};
	static const char *const no[] = {
		"https://example.com/orders?page=2&sort=name",
		"https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring2024",
		"https://example.com/search?code=ABC123",
		"https://shop.example.com/redeem?code=WELCOME-BACK-2024-SPRING",
		"ssh://git@github.com/org/repo.git",
		"https://example.com/login?token=abc",
		"https://example.com/list?key=customer_name",
		"https://user:***@db.example.com/ and postgres://app:${DB_PASS}@db/app",
		"mailto:bob@example.com",
		"the form is scheme://user:password@host",
		"https://example.com/people/@alice:matrix.org",
		NULL
	};

	expect_all(yes, SECRET_URL_CREDENTIALS);
	expect_all(no, SECRET_NONE);
}

#define TOKEN43 "q8Zr3KpXw0VbN7yT1cLm5Hs9DfGj2Ue4Ra6Wi-Ok_Pz"

static void
test_own_link(void)
{
	static const char *const yes[] = {
		"https://console.example.com/invite#token=" TOKEN43,
		"please use http://other.host.test/reset-password#token=" TOKEN43 " today",
		"HTTPS://CONSOLE.EXAMPLE.COM/INVITE#TOKEN=" TOKEN43,
		"console.example.com/reset-password?token=" TOKEN43,
		"Console.Example.com/invite/" TOKEN43,
		"/invite#token=" TOKEN43,
		NULL
	};
	static const char *const no[] = {
		"Go to https://console.example.com/invite to accept the invitation.",
		"Invite links look like /invite#token=<token>.",
		"https://console.example.com/reset-password",
		"The reset-password page and the invite page were redesigned.",
		"https://console.example.com/invite?utm_source=onboarding_newsletter",
		NULL
	};

	expect_all(yes, SECRET_OWN_LINK);
	expect_all(no, SECRET_NONE);
	/* Without a configured base URL only the exact fragment form is known. */
	expect_ctx(NULL, yes[0], strlen(yes[0]), SECRET_OWN_LINK);
	expect_ctx(NULL, yes[4], strlen(yes[4]), SECRET_NONE);
}

static void
test_api_key(void)
{
	static const char *const yes[] = {
		"AKIAIOSFODNN7EXAMPLE",
		"key id ASIAY34FZKBOKMUTVV7A for the batch job",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"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",
		"GITHUB_TOKEN=gho_16C7e42F292c6912E7710c838347Ae178B4a",
		"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
		"glpat-xY7z9AbCdEfGhIjKlMnO",
		"xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
		"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
		"stripe sk_live_51H8xYzAbCdEfGhIjKlMnOpQr",
		"rk_live_51H8xYzAbCdEfGhIjKlMnOpQr",
		"sk-proj-Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc2Ef4",
		"npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
		"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCD"
		"XJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
		"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",
		NULL
	};
	static const char *const no[] = {
		"pk_live_51H8xYzAbCdEfGhIjKlMnOpQr is the publishable key",
		"AKIAIOSFODNN7EXAMPL",
		"ghp_short and gho_ and xoxb- alone",
		"we use sk-learn and scikit-learn for the model",
		"task-force-for-the-quarterly-planning-session-2024",
		"secret commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQeTOOLONG",
		"https://hooks.slack.com/services/",
		NULL
	};

	expect_all(yes, SECRET_API_KEY);
	expect_all(no, SECRET_NONE);
}

static void
test_card_number(void)
{
	static const char *const yes[] = {
		"4111 1111 1111 1111",
		"card 4111-1111-1111-1111 exp 12/27",
		"4111111111111111",
		"Paid with 5555555555554444.",
		"amex 3782 822463 10005",
		"2223003122003222",
		"6011111111111117 cvv 123",
		"4222222222222",
		"Order 12345 4111 1111 1111 1111",
		"6200000000000005",
		NULL
	};
	static const char *const no[] = {
		"4111 1111 1111 1112",
		"422222222222",
		"1234567812345670",
		"41111111111111111111",
		"x4111111111111111",
		"4111111111111111x",
		"IBAN DE89 3704 0044 0532 0130 00",
		"+49 4111 1111 1111 1111",
		"pi is 3.4111111111111111",
		"7111111111111111",
		"4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
		"https://chromestatus.com/feature/5068609911521280 and ticket #5068609911521280",
		NULL
	};

	expect_all(yes, SECRET_CARD_NUMBER);
	expect_all(no, SECRET_NONE);
}

static void
test_password_pair(void)
{
	static const char *const yes[] = {
		"password=hunter2",
		"Password: Summer2024!",
		"pwd:letmein",
		"{\"username\": \"bob\", \"password\": \"correct horse battery staple\"}",
		"DB_PASSWORD=s3cr3t",
		"secret: Xk9#mP2q",
		"api_key=abcd1234efgh",
		"token: 8f14e45fceea167a5a36dedd4bea2543",
		"pass=opensesame",
		"dbPassword=Tr0ub4dor&3",
		"spring.datasource.password=changeme",
		"password = Hunter2!",
		"passwd => 'x'",
		"SECRET_KEY = 'django-insecure-8f#k2@x!q'",
		"API key: 9c1e5a7b3d2f4e6a8b0c1d2e",
		"Secret key: Wq8#zT1!",
		NULL
	};
	static const char *const no[] = {
		"password reset requested by the customer",
		"our secret sauce is onboarding",
		"passport: X1234567",
		"password: <redacted>",
		"password=***",
		"password: \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 (dots) and pwd=xxxx",
		"Password: see vault",
		"secret: the sauce",
		"pwd: /home/alice",
		"Token: JIRA-12345",
		"Boarding pass: 12B",
		"password:",
		"password: ${DB_PASSWORD}",
		"\"password\": \"\"",
		"\"password\": null",
		"the password is hunter2",
		"passwords: 3 resets this week",
		"password_hash=argon2id",
		"Reset password: https://example.com/help",
		"Top secret: Project Falcon",
		"API key: provided by the customer; secret key: in the vault",
		"Password policy: minimum 12 characters. Secret Santa: Dec 20.",
		"password = changeme",
		"the file has user= and password= lines",
		"`password=`-style pairs are refused",
		"if (pass == 0) and token::delimiter and \"passwd:\" lines",
		"[, passphrase: <string>]",
		NULL
	};

	expect_all(yes, SECRET_PASSWORD_PAIR);
	expect_all(no, SECRET_NONE);
}

static const char OKTA_METADATA[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><md:EntityDescriptor entityID=\"http://www.okt"
	"a.com/exkdoocxa1VmjpXmX697\" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"><md:IDPSS"
	"ODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:nam"
	"es:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http:"
	"//www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>MIIDqjCCApKgAwIBAgIGAY8"
	"W9FSqMA0GCSqGSIb3DQEBCwUAMIGVMQswCQYDVQQGEwJVUzETMBEG\n"
	"    A1UECAwKQ2FsaWZvcm5pYTEWMBQGA1UEBwwNU2FuIEZyYW5jaXNjbzENMAsGA1UECgwET2t0YTEU\n"
	"    MBIGA1UECwwLU1NPUHJvdmlkZXIxFjAUBgNVBAMMDXRyaWFsLTEwMjI4NjMxHDAaBgkqhkiG9w0B\n"
	"    CQEWDWluZm9Ab2t0YS5jb20wHhcNMjQwNDI1MjAzMDAyWhcNMzQwNDI1MjAzMTAyWjCBlTELMAkG\n"
	"    A1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFjAUBgNVBAcMDVNhbiBGcmFuY2lzY28xDTAL\n"
	"    BgNVBAoMBE9rdGExFDASBgNVBAsMC1NTT1Byb3ZpZGVyMRYwFAYDVQQDDA10cmlhbC0xMDIyODYz\n"
	"    MRwwGgYJKoZIhvcNAQkBFg1pbmZvQG9rdGEuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB\n"
	"    CgKCAQEAh8g24a5HDZpwtWuA/HP1JuecGMZ1Wh8R3QC/DQb4aNJtNwJlzMN746MQhkEtXI4TYTah\n"
	"    3bpbJc5jUFunjZdy8I4+pHCa4wS7lf9Z3c2Ptc9R1XzAX9zhC1Cuj01L69vAinNF8JR1tTx1A7im\n"
	"    pAWqjtKEQAZNsWrjo0TkQVZlU2wY/CLW+w/zRmHmxSzuCHIVtD9SkgPVXr/Wr2X2SFUc0miGc09x\n"
	"    FKSl1ARIRVf7jrI0hcSpB5lOd4jrZaM6pvYPTHZYsvtvE9IJUtRlD3OAenBeiHBvkzPwbnhIFUm0\n"
	"    2Rq9Q7Fvr2CMD8+w/vdgFECelHS0euNVx3uOGydnUh9WOQIDAQABMA0GCSqGSIb3DQEBCwUAA4IB\n"
	"    AQBqUvihKyejxTpV/mcm7KQu4g3NUx5blTa1jRj2jCDfbn3YckqGI9i0j8BAHNaZw56Nu7OIzDrL\n"
	"    nxsi8uMmdRAJqAQA7iILGAEJuMvHfv2SJkcu2goB9Xl69Kh34UgZd3tucDEgM3cwhUlltU8yV+P2\n"
	"    +uzhNaHJkDargKeEI1NQG0lvcFJHP5ESTR9idIipJDdBcSxais3wLkRlhvufp3Rr71Z6TylTVvc3\n"
	"    QwAjCyTmfR2YjhQkVVfWdOEwqOYhyIn2d+gUex0gEGOZqzmMgCD20mNkiL+YTEsz5XqDaUDQsLrS\n"
	"    whMgwbzHoz7vrWZiwq2K2AYIu8Uh//DZxsDM9g0B</ds:X509Certificate></ds:X509Data></ds:KeyI"
	"nfo></md:KeyDescriptor><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailA"
	"ddress</md:NameIDFormat><md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bi"
	"ndings:HTTP-POST\" Location=\"https://trial-1022863.okta.com/app/trial-1022863_oktalocal"
	"hostbis_1/exkdoocxa1VmjpXmX697/sso/saml\"/><md:SingleSignOnService Binding=\"urn:oasis:n"
	"ames:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://trial-1022863.okta.com/app/"
	"trial-1022863_oktalocalhostbis_1/exkdoocxa1VmjpXmX697/sso/saml\"/></md:IDPSSODescriptor>"
	"</md:EntityDescriptor>\n"
	"\n";

static void
test_normal_text(void)
{
	static const char *const texts[] = {
		"Customer called about invoice INC0012345; follow up in JIRA-12345 by 2024-05-01.",
		"Phone: +1 (555) 010-2030, alt 0049 30 1234567, fax +44 20 7946 0958, mobile +49 151 23456789",
		"Order #100045678 shipped; UPS tracking 1Z999AA10123456784, order no. 2024-000123",
		"Request id 550e8400-e29b-41d4-a716-446655440000 and 12345678-1234-5678-1234-567812345678",
		"Fixed in commit da39a3ee5e6b4b0d3255bfef95601890afd80709 (short 2fd4e1c).",
		"See https://example.com/orders?page=2&sort=name and https://example.com/?utm_source=x",
		"Contact alice.smith@example.com or bob+billing@example.org.",
		"Customer asked for a password reset; we explained our secret sauce.",
		"Meeting on 12/05/2024 at 14:30, budget $1,250,000.00, 3.14159265358979 km",
		"SSO: https://login.example.com/saml2/idp/metadata.php?entity=acme",
		"The bearer of this note; authorization pending; session notes follow.",
		"Grüße aus München: Zählerstand 1234567, Kundennr. 98765.",
		"Timestamps 1700000000000 and 1716201600 in ms and s.",
		"Token count: 12 tokens used; the key is in the drawer; code review done.",
		"-----BEGIN CERTIFICATE-----\nMIIDqjCCApKgAwIBAgIGAY8W9FSqMA0GCSqGSIb3DQEBCwUAMIGVMQswCQYDVQQGEwJVUzETMBEG\n"
		"-----END CERTIFICATE-----",
		NULL
	};

	expect_all(texts, SECRET_NONE);
	expect(OKTA_METADATA, SECRET_NONE);
	expect_ctx(NULL, OKTA_METADATA, strlen(OKTA_METADATA), SECRET_NONE);
}

/* SAML metadata with certificates passes; the same metadata with a private key does not. */
static void
test_saml_metadata(void)
{
	static const char pasted[] =
		"<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n"
		"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\n-----END PRIVATE KEY-----\n"
		"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>";
	char buf[sizeof(OKTA_METADATA) + sizeof(pasted)];

	expect(OKTA_METADATA, SECRET_NONE);
	expect(pasted, SECRET_PRIVATE_KEY);
	memcpy(buf, OKTA_METADATA, sizeof(OKTA_METADATA) - 1);
	memcpy(buf + sizeof(OKTA_METADATA) - 1, pasted, sizeof(pasted));
	expect(buf, SECRET_PRIVATE_KEY);
}

static void
test_positions(void)
{
	/* at the very start, in the middle, at the very end (no trailing byte) */
	expect("AKIAIOSFODNN7EXAMPLE is the key", SECRET_API_KEY);
	expect("the key AKIAIOSFODNN7EXAMPLE was rotated", SECRET_API_KEY);
	expect("the key is AKIAIOSFODNN7EXAMPLE", SECRET_API_KEY);
	expect("4111111111111111 was charged", SECRET_CARD_NUMBER);
	expect("charged 4111111111111111", SECRET_CARD_NUMBER);
	expect("password=x", SECRET_PASSWORD_PAIR);
	expect("notes...\npassword=x", SECRET_PASSWORD_PAIR);
	expect(JWT_IO, SECRET_JWT);
	expect("x " JWT_IO, SECRET_JWT);
	/* the first rule in order decides: a private key beats a card number */
	expect("4111111111111111 -----BEGIN PRIVATE KEY-----", SECRET_PRIVATE_KEY);
	/* empty and NULL */
	expect_ctx(&CTX, "", 0, SECRET_NONE);
	expect_ctx(&CTX, NULL, 0, SECRET_NONE);
	expect_ctx(&CTX, NULL, 10, SECRET_NONE);
}

static void
test_boundaries(void)
{
	expect("422222222222", SECRET_NONE);		/* 12 digits */
	expect("4222222222222", SECRET_CARD_NUMBER);	/* 13 digits */
	expect("4111111111111111111", SECRET_NONE);	/* 19 digits, Luhn fails */
	expect("4000000000000000006", SECRET_CARD_NUMBER); /* 19 digits, Luhn valid */
	expect("40000000000000000006", SECRET_NONE);	/* 20 digits */
	expect("4111 1111 1111 1111", SECRET_CARD_NUMBER);
	expect("4111  1111 1111 1111", SECRET_NONE);	/* two spaces split it */
	expect("2221000000000009", SECRET_CARD_NUMBER);	/* lowest 2-series IIN */
	expect("2220000000000002", SECRET_NONE);	/* just below it */
	expect("2720990000000007", SECRET_CARD_NUMBER);
	expect("2721000000000005", SECRET_NONE);
	expect("AKIAIOSFODNN7EXAMPLE1", SECRET_NONE);	/* 17 characters after AKIA */
	expect("Bearer 9f8e7d6c5b4a39281706", SECRET_BEARER_TOKEN); /* 20 characters */
	expect("Bearer 9f8e7d6c5b4a3928170", SECRET_NONE);		/* 19 */
	expect("token=abcd1234", SECRET_PASSWORD_PAIR);	/* 8 characters */
	expect("token=abc1234", SECRET_NONE);		/* 7 */
}

static void
test_nul_bytes(void)
{
	static const char hidden[] = "note\0password=hunter2";
	static const char split[] = "AKIAIOSF\0DNN7EXAMPLE";
	static const char zeros[64];
	static const char card[] = "4111111111111111\0";

	expect_ctx(&CTX, hidden, sizeof(hidden) - 1, SECRET_PASSWORD_PAIR);
	expect_ctx(&CTX, split, sizeof(split) - 1, SECRET_NONE);
	expect_ctx(&CTX, zeros, sizeof(zeros), SECRET_NONE);
	expect_ctx(&CTX, card, sizeof(card) - 1, SECRET_CARD_NUMBER);
}

/* Fills n bytes with a repeated pattern, leaving no NUL in the middle. */
static char *
repeat(const char *pattern, size_t n)
{
	char *buf = malloc(n + 1);
	size_t i, m = strlen(pattern);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i < n; i++)
		buf[i] = pattern[i % m];
	buf[n] = '\0';
	return buf;
}

/* Scans n bytes of a repeated pattern; want < 0 accepts any kind (the run must just end). */
static void
run_long(const char *pattern, size_t n, int want)
{
	char *buf = repeat(pattern, n);
	secretscan_kind got = secretscan_check(&CTX, buf, n);

	if (want >= 0)
		CU_ASSERT_EQUAL(got, (secretscan_kind)want);
	CU_ASSERT_PTR_NOT_NULL(secretscan_kind_name(got));
	free(buf);
}

static void
test_long_inputs(void)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char *const hostile[] = {
		"eyJ.", "4 ", "4111-", "a://", "?token=?", "password: password: ", "Q~",
		"-----BEGIN PRIVATE", "PRIVATE KEY ", "/invite", "bearer ", "\"d\":\"", "@",
		"session=", "Authorization: ", "x.", "SG.", "sk-", "a=", NULL
	};
	const size_t mib = 1024 * 1024, field = 256 * 1024;
	char *buf = malloc(mib);
	unsigned long x = 12345;
	size_t i;

	run_long("a", mib, SECRET_NONE);
	run_long("0123456789", mib, SECRET_NONE);
	run_long("4", mib, SECRET_NONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i < mib; i++) {
		x = x * 1103515245ul + 12345ul;
		buf[i] = b64[(x >> 16) & 63];
	}
	expect_ctx(&CTX, buf, mib, SECRET_NONE);
	for (i = 64; i < mib; i += 65)	/* the same as 64-column PEM-style lines */
		buf[i] = '\n';
	expect_ctx(&CTX, buf, mib, SECRET_NONE);
	free(buf);
	/* hostile shapes at the field limit: each must finish, whatever it finds */
	for (i = 0; hostile[i]; i++)
		run_long(hostile[i], field, -1);
}

static void
test_names_and_messages(void)
{
	static const struct {
		secretscan_kind k;
		const char *name, *word;
	} kinds[] = {
		{ SECRET_PRIVATE_KEY, "private_key", "private key" },
		{ SECRET_CLIENT_SECRET, "client_secret", "client secret" },
		{ SECRET_JWT, "jwt", "JSON Web Token" },
		{ SECRET_BEARER_TOKEN, "bearer_token", "bearer or session token" },
		{ SECRET_URL_CREDENTIALS, "url_credentials", "URL" },
		{ SECRET_OWN_LINK, "own_link", "invitation or password reset link" },
		{ SECRET_API_KEY, "api_key", "API key" },
		{ SECRET_CARD_NUMBER, "card_number", "payment card number" },
		{ SECRET_PASSWORD_PAIR, "password_pair", "password" },
	};
	static const char value[] = "password=hunter2";
	size_t i;

	CU_ASSERT_STRING_EQUAL(secretscan_kind_name(SECRET_NONE), "none");
	CU_ASSERT_STRING_EQUAL(secretscan_kind_name((secretscan_kind)99), "unknown");
	CU_ASSERT_PTR_NOT_NULL(secretscan_kind_message((secretscan_kind)99));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *msg = secretscan_kind_message(kinds[i].k);
		CU_ASSERT_STRING_EQUAL(secretscan_kind_name(kinds[i].k), kinds[i].name);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "looks like"));
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, kinds[i].word));
	}
	/* the message is a fixed string: it never carries the scanned value */
	CU_ASSERT_PTR_NULL(strstr(secretscan_kind_message(secretscan_check(&CTX, value, strlen(value))),
				  "hunter2"));
	CU_ASSERT_PTR_EQUAL(secretscan_kind_message(SECRET_CARD_NUMBER),
			    secretscan_kind_message(SECRET_CARD_NUMBER));
}

static const unit_test tests[] = {
	{ "private keys", test_private_key },
	{ "client secrets", test_client_secret },
	{ "JWTs", test_jwt },
	{ "bearer, authorization and session tokens", test_bearer },
	{ "URLs with credentials or tokens", test_url_credentials },
	{ "own invite and reset links", test_own_link },
	{ "vendor API keys", test_api_key },
	{ "payment card numbers", test_card_number },
	{ "password pairs", test_password_pair },
	{ "normal business text passes", test_normal_text },
	{ "SAML metadata", test_saml_metadata },
	{ "start, middle, end and order", test_positions },
	{ "boundaries", test_boundaries },
	{ "NUL bytes", test_nul_bytes },
	{ "very long and adversarial inputs", test_long_inputs },
	{ "kind names and messages", test_names_and_messages },
	{ NULL, NULL }
};

UNIT_MAIN("secretscan", tests)
