/* Unit tests for sealed secrets and the keyring (src/domain/seal.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onramp/seal.h"
#include "unit.h"

/* Two keys: 32 bytes of 0x00..0x1f and 32 bytes of 0xff, in standard base64. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "//////////////////////////////////////////8="
static const char ring_ab[] = "# comment\n\nka " KEY_A "\r\nkb\t" KEY_B "  \n";
static const unsigned char secret_text[] = "s3cr%t:+/=with spaces";
#define SECRET_LEN (sizeof(secret_text) - 1)

static void
load(seal_keyring *kr, const char *text)
{
	CU_ASSERT_EQUAL_FATAL(seal_keyring_parse(kr, text, strlen(text), NULL), OR_OK);
}

/* Seal under kr for (purpose, owner): the blob and its length. */
static size_t
seal(const seal_keyring *kr, const char *purpose, int64_t owner, unsigned char *blob, size_t cap)
{
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(seal_seal(kr, purpose, owner, secret_text, SECRET_LEN, blob, cap, &n), OR_OK);
	return n;
}

static or_status
open_as(const seal_keyring *kr, const char *purpose, int64_t owner, const unsigned char *blob, size_t n)
{
	unsigned char out[600];
	size_t len = 99;
	or_status st = seal_open(kr, purpose, owner, blob, n, out, sizeof(out), &len);

	if (st == OR_OK) {
		CU_ASSERT_EQUAL(len, SECRET_LEN);
		CU_ASSERT_EQUAL(memcmp(out, secret_text, SECRET_LEN), 0);
	} else
		CU_ASSERT_EQUAL(len, 0);
	return st;
}

static void
test_round_trip(void)
{
	seal_keyring kr;
	unsigned char a[200], b[200];
	char id[SEAL_KEY_ID_MAX + 1];
	size_t na, nb;

	load(&kr, ring_ab);
	na = seal(&kr, "oidc_client_secret", 42, a, sizeof(a));
	nb = seal(&kr, "oidc_client_secret", 42, b, sizeof(b));
	CU_ASSERT_EQUAL(na, 2 + 2 + 12 + SECRET_LEN + 16);
	CU_ASSERT_EQUAL(a[0], SEAL_VERSION);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, na), 0);	/* a fresh IV each time */
	CU_ASSERT_PTR_NULL(memmem(a, na, secret_text, SECRET_LEN));
	CU_ASSERT_EQUAL(seal_blob_key_id(a, na, id), OR_OK);
	CU_ASSERT_STRING_EQUAL(id, "ka");
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secret", 42, a, na), OR_OK);
	seal_keyring_wipe(&kr);
	CU_ASSERT_EQUAL(kr.n, 0);
}

static void
test_wrong_owner_purpose_key(void)
{
	seal_keyring kr, only_b;
	unsigned char a[200];
	size_t na;

	load(&kr, ring_ab);
	na = seal(&kr, "oidc_client_secret", 42, a, sizeof(a));
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secret", 43, a, na), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secre", 42, a, na), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(open_as(&kr, "saml_key", 42, a, na), OR_ERR_INVALID);
	/* A ring without the blob's key id: not found, so the caller may reload the key file. */
	load(&only_b, "kb " KEY_B "\n");
	CU_ASSERT_EQUAL(open_as(&only_b, "oidc_client_secret", 42, a, na), OR_ERR_NOT_FOUND);
	/* The same id bound to another key: the tag does not verify. */
	seal_keyring_wipe(&only_b);
	load(&only_b, "ka " KEY_B "\n");
	CU_ASSERT_EQUAL(open_as(&only_b, "oidc_client_secret", 42, a, na), OR_ERR_INVALID);
	/* The key id in the header renamed to another key of the ring: the AAD names the id. */
	a[3] = 'b';
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secret", 42, a, na), OR_ERR_INVALID);
	seal_keyring_wipe(&kr);
	seal_keyring_wipe(&only_b);
}

static void
test_tampering(void)
{
	seal_keyring kr;
	unsigned char a[200];
	size_t na, i;

	load(&kr, ring_ab);
	na = seal(&kr, "oidc_client_secret", 7, a, sizeof(a));
	/* Every bit of the IV, ciphertext and tag (and the version byte) matters. */
	for (i = 0; i < na; i++) {
		unsigned bit;
		if (i == 1 || i == 2 || i == 3)
			continue;	/* the key id's length and name: covered above */
		for (bit = 0; bit < 8; bit++) {
			a[i] ^= (unsigned char)(1u << bit);
			CU_ASSERT_NOT_EQUAL(open_as(&kr, "oidc_client_secret", 7, a, na), OR_OK);
			a[i] ^= (unsigned char)(1u << bit);
		}
	}
	for (i = 0; i < na; i++)
		CU_ASSERT_NOT_EQUAL(open_as(&kr, "oidc_client_secret", 7, a, i), OR_OK);
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secret", 7, a, na), OR_OK);
	a[1] = 40;	/* a key-id length past the blob */
	CU_ASSERT_EQUAL(open_as(&kr, "oidc_client_secret", 7, a, na), OR_ERR_INVALID);
	seal_keyring_wipe(&kr);
}

static void
test_seal_refusals(void)
{
	seal_keyring kr, empty;
	unsigned char a[200];
	size_t n = 5;

	load(&kr, ring_ab);
	memset(&empty, 0, sizeof(empty));
	CU_ASSERT_EQUAL(seal_seal(&empty, "p", 1, secret_text, SECRET_LEN, a, sizeof(a), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(seal_seal(&kr, "p", 0, secret_text, SECRET_LEN, a, sizeof(a), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(seal_seal(&kr, "a|b", 1, secret_text, SECRET_LEN, a, sizeof(a), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(seal_seal(&kr, "", 1, secret_text, SECRET_LEN, a, sizeof(a), &n), OR_ERR_INVALID);
	CU_ASSERT_EQUAL(seal_seal(&kr, "p", 1, secret_text, SECRET_LEN, a, 20, &n), OR_ERR_LIMIT);
	CU_ASSERT_EQUAL(seal_seal(&kr, "p", 1, secret_text, SECRET_LEN, a, sizeof(a), &n), OR_OK);
	CU_ASSERT_TRUE(n <= SECRET_LEN + SEAL_OVERHEAD);
	seal_keyring_wipe(&kr);
}

static void
test_two_keys(void)
{
	seal_keyring ab, ba;
	unsigned char a[200], b[200];
	char id[SEAL_KEY_ID_MAX + 1];
	size_t na, nb;

	load(&ab, ring_ab);
	load(&ba, "kb " KEY_B "\nka " KEY_A "\n");
	CU_ASSERT_EQUAL(ab.n, 2);
	na = seal(&ab, "p", 1, a, sizeof(a));
	nb = seal(&ba, "p", 1, b, sizeof(b));
	CU_ASSERT_EQUAL(seal_blob_key_id(a, na, id), OR_OK);
	CU_ASSERT_STRING_EQUAL(id, "ka");	/* the first line seals */
	CU_ASSERT_EQUAL(seal_blob_key_id(b, nb, id), OR_OK);
	CU_ASSERT_STRING_EQUAL(id, "kb");
	/* Every line opens. */
	CU_ASSERT_EQUAL(open_as(&ab, "p", 1, a, na), OR_OK);
	CU_ASSERT_EQUAL(open_as(&ab, "p", 1, b, nb), OR_OK);
	CU_ASSERT_EQUAL(open_as(&ba, "p", 1, a, na), OR_OK);
	CU_ASSERT_EQUAL(open_as(&ba, "p", 1, b, nb), OR_OK);
	seal_keyring_wipe(&ab);
	seal_keyring_wipe(&ba);
}

static void
expect_refused(const char *text, or_status want, size_t want_line)
{
	seal_keyring kr;
	size_t line = 99;

	CU_ASSERT_EQUAL(seal_keyring_parse(&kr, text, strlen(text), &line), want);
	CU_ASSERT_EQUAL(line, want_line);
	CU_ASSERT_EQUAL(kr.n, 0);
}

static void
test_parse_refusals(void)
{
	char many[2048];
	size_t i, o = 0;

	expect_refused("", OR_ERR_INVALID, 0);
	expect_refused("# only a comment\n\n", OR_ERR_INVALID, 0);
	expect_refused("ka " KEY_A "\nka " KEY_B "\n", OR_ERR_CONFLICT, 2);		/* duplicate id */
	expect_refused("ka\n", OR_ERR_INVALID, 1);					/* no key */
	expect_refused("ka " KEY_A " extra\n", OR_ERR_INVALID, 1);
	expect_refused("ka " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", OR_ERR_INVALID, 1);	/* no '=' */
	expect_refused("ka " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=\n", OR_ERR_INVALID, 1);	/* 43 characters */
	expect_refused("ka " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n", OR_ERR_INVALID, 1);	/* padding bits */
	expect_refused("ka " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=\n", OR_ERR_INVALID, 1);	/* URL alphabet */
	expect_refused("ka " "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==\n", OR_ERR_INVALID, 1);	/* 28 bytes */
	expect_refused("k|a " KEY_A "\n", OR_ERR_INVALID, 1);				/* id charset */
	expect_refused("k012345678901234567890123456789012 " KEY_A "\n", OR_ERR_INVALID, 1);	/* id of 33 */
	{
		static const char nul[] = "ka " KEY_A "\nkb\0 " KEY_B "\n";
		seal_keyring kr;
		size_t line = 0;
		CU_ASSERT_EQUAL(seal_keyring_parse(&kr, nul, sizeof(nul) - 1, &line), OR_ERR_INVALID);
		CU_ASSERT_EQUAL(line, 2);
	}
	for (i = 0; i <= SEAL_KEYS_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "k%zu %s\n", i, KEY_A);
	expect_refused(many, OR_ERR_LIMIT, SEAL_KEYS_MAX + 1);
}

static void
test_rotation_helpers(void)
{
	seal_keyring kr, again;
	char text[SEAL_FILE_MAX];
	const char *used[] = { "kb" };
	size_t len, dropped;

	load(&kr, ring_ab);
	CU_ASSERT_EQUAL_FATAL(seal_keyring_add_new(&kr), OR_OK);
	CU_ASSERT_EQUAL(kr.n, 3);
	CU_ASSERT_EQUAL(strlen(kr.keys[0].id), 17);
	CU_ASSERT_STRING_EQUAL(kr.keys[1].id, "ka");
	CU_ASSERT_EQUAL_FATAL(seal_keyring_format(&kr, text, sizeof(text), &len), OR_OK);
	CU_ASSERT_EQUAL_FATAL(seal_keyring_parse(&again, text, len, NULL), OR_OK);
	CU_ASSERT_EQUAL(again.n, 3);
	CU_ASSERT_STRING_EQUAL(again.keys[0].id, kr.keys[0].id);
	CU_ASSERT_EQUAL(memcmp(again.keys[0].key, kr.keys[0].key, SEAL_KEY_BYTES), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "ka " KEY_A "\n"));
	CU_ASSERT_EQUAL(seal_keyring_format(&kr, text, 100, &len), OR_ERR_LIMIT);
	/* Keep the first (it seals) and the used kb; ka goes. */
	seal_keyring_keep(&again, used, 1, &dropped);
	CU_ASSERT_EQUAL(dropped, 1);
	CU_ASSERT_EQUAL(again.n, 2);
	CU_ASSERT_STRING_EQUAL(again.keys[0].id, kr.keys[0].id);
	CU_ASSERT_STRING_EQUAL(again.keys[1].id, "kb");
	CU_ASSERT_PTR_NULL(seal_keyring_find(&again, "ka"));
	seal_keyring_wipe(&kr);
	seal_keyring_wipe(&again);
}

/* Write text to a fresh file with mode; returns its path (static buffer). */
static const char *
key_file(const char *text, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/onramp-seal-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
	return path;
}

static void
test_load_file(void)
{
	seal_keyring kr;
	char err[256] = "";
	const char *p;

	p = key_file(ring_ab, 0600);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, p, err, sizeof(err)), OR_OK);
	CU_ASSERT_EQUAL(kr.n, 2);
	seal_keyring_wipe(&kr);
	CU_ASSERT_EQUAL(chmod(p, 0640), 0);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, p, err, sizeof(err)), OR_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "group or other"));
	CU_ASSERT_EQUAL(chmod(p, 0604), 0);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, p, err, sizeof(err)), OR_ERR_INVALID);
	unlink(p);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, p, err, sizeof(err)), OR_ERR_IO);
	p = key_file("ka " KEY_A "\nka " KEY_A "\n", 0600);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, p, err, sizeof(err)), OR_ERR_CONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 2"));
	CU_ASSERT_PTR_NULL(strstr(err, KEY_A));		/* the message never quotes a key */
	unlink(p);
	CU_ASSERT_EQUAL(seal_keyring_load(&kr, "/tmp", err, sizeof(err)), OR_ERR_INVALID);
}

static const unit_test tests[] = {
	{ "round trip", test_round_trip },
	{ "wrong owner, purpose or key", test_wrong_owner_purpose_key },
	{ "tampering and truncation", test_tampering },
	{ "seal refusals", test_seal_refusals },
	{ "two keys: first seals, both open", test_two_keys },
	{ "keyring parse refusals", test_parse_refusals },
	{ "rotation helpers", test_rotation_helpers },
	{ "key file load", test_load_file },
	{ NULL, NULL }
};

UNIT_MAIN("seal", tests)
