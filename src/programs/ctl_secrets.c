/*
 * onrampctl secrets: the sealing keyring (secret_keyring_file) and the
 * sealed SSO secrets under it.  rotate-key puts a new key first in the file
 * and re-seals every secret under it in one transaction; drop-old-keys
 * removes keys no secret uses any more; check says whether each secret opens
 * (after restoring a backup, or to find a row copied where it does not
 * belong).  No verb ever prints a secret or a key.
 *
 * The new key file is renamed into place before the database changes: the
 * file then always holds every key a row may be sealed under, whatever fails
 * afterwards.  Workers notice the new file at their next use of the keyring.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "onramp/arena.h"
#include "onramp/limits.h"
#include "onramp/seal.h"
#include "onramp/sso_store.h"
#include "onramp/store_operator.h"
#include "ctl.h"

struct sopts {
	const char *key_file, *customer;
	bool json, help;
};

static const char *const help_text[][2] = {
	{ "rotate-key", "secrets rotate-key [--key-file PATH] [--json]\n"
	  "  Generates a new key, writes the key file with it first and the old keys after\n"
	  "  (atomic rename, mode 0600), then re-seals every secret under it in one transaction.\n"
	  "  Exit 1 when a secret could not be opened (left as it was; see secrets check)." },
	{ "drop-old-keys", "secrets drop-old-keys [--key-file PATH] [--json]\n"
	  "  Removes from the key file every key but the first that no sealed secret uses." },
	{ "check", "secrets check [--customer SLUG] [--key-file PATH] [--json]\n"
	  "  Says for each sealed secret whether it opens (never what it holds); exit 1 when one does not." },
};

static bool
parse(int argc, char **argv, struct sopts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		bool valued = strcmp(argv[i], "--key-file") == 0 || strcmp(argv[i], "--customer") == 0;
		if (valued && i + 1 >= argc)
			return ctl_fail("%s needs a value", argv[i]) == 0;
		if (strcmp(argv[i], "--key-file") == 0)
			o->key_file = argv[++i];
		else if (strcmp(argv[i], "--customer") == 0)
			o->customer = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			o->json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			o->help = true;
		else
			return ctl_fail("unknown argument %s", argv[i]) == 0;
	}
	return true;
}

/* Write text to a temporary file beside path (mode 0600, path's owner), fsync, rename over path. */
static int
replace_file(const char *path, const char *text, size_t len, const struct stat *old)
{
	char tmp[CONFIG_PATH_MAX + 16], dir[CONFIG_PATH_MAX];
	int fd, dfd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) || !str_copy(dir, sizeof(dir), path))
		return ctl_fail("key file path too long");
	if ((fd = mkstemp(tmp)) < 0)
		return ctl_fail("cannot create a file beside %s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) != 0 || (geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) != 0) ||
	    write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		err = errno ? errno : EIO;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		unlink(tmp);
		return ctl_fail("cannot write %s: %s", path, strerror(err));
	}
	/* The rename itself must survive a crash before anything is sealed under the new key. */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int
save_ring(const char *path, const seal_keyring *kr, const struct stat *old)
{
	char text[SEAL_FILE_MAX];
	size_t len = 0;
	int rc;

	if (seal_keyring_format(kr, text, sizeof(text), &len) != OR_OK)
		return ctl_fail("the key file would be too large; run secrets drop-old-keys first");
	rc = replace_file(path, text, len, old);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

/* Re-seal one row under kr's first key; false (row untouched) when it does not open. */
static or_status
reseal(db *d, arena *a, const seal_keyring *kr, const sso_secret_row *r)
{
	unsigned char plain[LIMIT_SSO_CLIENT_SECRET_BYTES + SEAL_OVERHEAD], blob[sizeof(plain) + SEAL_OVERHEAD];
	size_t n = 0, bn = 0;
	or_status st = seal_open(kr, r->purpose, r->customer_id, r->sealed, r->n, plain, sizeof(plain), &n);

	if (st == OR_OK)
		st = seal_seal(kr, r->purpose, r->customer_id, plain, n, blob, sizeof(blob), &bn);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (st == OR_OK)
		st = store_sso_secret_reseal(d, a, r->customer_id, r->purpose, r->key_id, kr->keys[0].id, blob, bn);
	OPENSSL_cleanse(blob, sizeof(blob));
	return st;
}

/* The re-sealing of every secret and its audit row: one transaction for db_tx_run (rerun after a deadlock). */
struct rotation {
	arena *a;
	const seal_keyring *kr;
	sso_secret_row *rows;
	bool *unopenable;	/* per row, for the report after the commit */
	size_t n, done, bad;
};

static or_status
rotate_tx(db *d, void *ctx)
{
	struct rotation *r = ctx;
	or_status st = store_sso_secrets_any(d, r->a, true, &r->rows, &r->n);
	size_t i;

	r->done = r->bad = 0;
	if (st == OR_OK && r->n && (r->unopenable = arena_calloc(r->a, r->n, sizeof(bool))) == NULL)
		st = OR_ERR_NOMEM;
	for (i = 0; st == OR_OK && i < r->n; i++) {
		or_status one = reseal(d, r->a, r->kr, &r->rows[i]);
		if (one == OR_ERR_INVALID || one == OR_ERR_NOT_FOUND) {
			r->unopenable[i] = true;
			r->bad++;
		} else if ((st = one) == OR_OK)
			r->done++;
	}
	if (st == OR_OK)
		st = ctl_audit(d, "secrets.key_rotated", 0, "secret_key", 0);
	return st;
}

static int
rotate_key(db *d, arena *a, const char *path, seal_keyring *kr, const struct stat *old, const struct sopts *o)
{
	struct rotation r = { a, kr, NULL, NULL, 0, 0, 0 };
	size_t i, done, bad;
	int rc;

	if (seal_keyring_add_new(kr) != OR_OK)
		return ctl_fail("rotate-key: the key file holds %d keys already; run secrets drop-old-keys", SEAL_KEYS_MAX);
	if ((rc = save_ring(path, kr, old)) != 0)
		return rc;
	if (db_tx_run(d, rotate_tx, &r) != OR_OK)
		return ctl_fail("rotate-key: database: %s (the key file already has the new key %s first; "
				"nothing was re-sealed: run rotate-key again)", db_last_error(d), kr->keys[0].id);
	for (i = 0; i < r.n; i++)
		if (r.unopenable[i])
			fprintf(stderr, "onrampctl: customer %s (%s, key %s): does not open; left as it was\n",
				r.rows[i].slug, r.rows[i].purpose, r.rows[i].key_id);
	done = r.done;
	bad = r.bad;
	if (o->json)
		printf("{\"key_id\":\"%s\",\"resealed\":%zu,\"unopenable\":%zu,\"keys\":%zu}\n", kr->keys[0].id, done, bad,
		       kr->n);
	else
		printf("new key %s first in %s; re-sealed %zu secret(s); %zu could not be opened; %zu key(s) in the file\n",
		       kr->keys[0].id, path, done, bad, kr->n);
	return bad ? ctl_fail("rotate-key: %zu secret(s) could not be opened (listed above)", bad) : 0;
}

static int
drop_old_keys(db *d, arena *a, const char *path, seal_keyring *kr, const struct stat *old, const struct sopts *o)
{
	sso_secret_row *rows = NULL;
	const char **used;
	size_t n = 0, i, dropped = 0;
	int rc = 0;

	if (store_sso_secrets_any(d, a, false, &rows, &n) != OR_OK)
		return ctl_fail("drop-old-keys: database: %s", db_last_error(d));
	if ((used = arena_calloc(a, n + 1, sizeof(*used))) == NULL)
		return ctl_fail("out of memory");
	for (i = 0; i < n; i++)
		used[i] = rows[i].key_id;
	seal_keyring_keep(kr, used, n, &dropped);
	if (dropped)
		rc = save_ring(path, kr, old);
	if (rc == 0 && o->json)
		printf("{\"dropped\":%zu,\"keys\":%zu}\n", dropped, kr->n);
	else if (rc == 0)
		printf("dropped %zu key(s); %zu key(s) left in %s\n", dropped, kr->n, path);
	return rc;
}

static int
check(db *d, arena *a, const seal_keyring *kr, const struct sopts *o)
{
	unsigned char plain[LIMIT_SSO_CLIENT_SECRET_BYTES + SEAL_OVERHEAD];
	sso_secret_row *rows = NULL;
	size_t n = 0, i, bad = 0, shown = 0;

	if (store_sso_secrets_any(d, a, false, &rows, &n) != OR_OK)
		return ctl_fail("check: database: %s", db_last_error(d));
	if (o->json)
		fputs("[", stdout);
	for (i = 0; i < n; i++) {
		size_t len = 0;
		bool opens;
		if (o->customer && strcmp(o->customer, rows[i].slug) != 0)
			continue;
		opens = seal_open(kr, rows[i].purpose, rows[i].customer_id, rows[i].sealed, rows[i].n, plain,
				  sizeof(plain), &len) == OR_OK;
		OPENSSL_cleanse(plain, sizeof(plain));
		bad += !opens;
		if (o->json)
			printf("%s{\"customer\":\"%s\",\"purpose\":\"%s\",\"key_id\":\"%s\",\"opens\":%s}", shown ? "," : "",
			       rows[i].slug, rows[i].purpose, rows[i].key_id, opens ? "true" : "false");
		else
			printf("%s %s %s: %s\n", rows[i].slug, rows[i].purpose, rows[i].key_id,
			       opens ? "opens" : "does not open");
		shown++;
	}
	if (o->json)
		puts("]");
	return bad ? ctl_fail("check: %zu secret(s) do not open", bad) : 0;
}

int
ctl_secrets(const config *cfg, db *d, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "", *path;
	char err[CONFIG_PATH_MAX + 128];
	seal_keyring kr;
	struct stat old;
	struct sopts o;
	arena *a;
	size_t i;
	int rc;

	if (!parse(argc - 2 < 0 ? 0 : argc - 2, argv + (argc > 1 ? 2 : 1), &o))
		return 2;
	for (i = 0; o.help && i < sizeof(help_text) / sizeof(help_text[0]); i++)
		if (strcmp(help_text[i][0], verb) == 0) {
			printf("usage: onrampctl %s\n", help_text[i][1]);
			return 0;
		}
	if (o.help || (strcmp(verb, "rotate-key") && strcmp(verb, "drop-old-keys") && strcmp(verb, "check")))
		return ctl_fail("no such verb: secrets %s (rotate-key, drop-old-keys, check)", verb);
	path = o.key_file ? o.key_file : cfg->secret_keyring_file;
	if (*path == '\0')
		return ctl_fail("secrets %s: no key file (set secret_keyring_file or pass --key-file)", verb);
	if (seal_keyring_load(&kr, path, err, sizeof(err)) != OR_OK || stat(path, &old) != 0)
		return ctl_fail("secrets %s: %s", verb, err);
	if ((a = arena_new(LIMIT_ARENA_BYTES)) == NULL) {
		seal_keyring_wipe(&kr);
		return ctl_fail("out of memory");
	}
	if (strcmp(verb, "rotate-key") == 0)
		rc = rotate_key(d, a, path, &kr, &old, &o);
	else if (strcmp(verb, "drop-old-keys") == 0)
		rc = drop_old_keys(d, a, path, &kr, &old, &o);
	else
		rc = check(d, a, &kr, &o);
	seal_keyring_wipe(&kr);
	arena_free(a);
	return rc;
}
