/*
 * onrampctl restore DIR: load a backup made by onrampctl backup into the
 * configured (empty) database and prove it arrived whole: the dump's sha256
 * is checked before anything is loaded, and afterwards every table's row
 * count and CHECKSUM TABLE, and every trigger, routine and event, is compared
 * with the manifest.  Key files are never written over existing ones: a
 * different key at the configured path would make the restored secrets
 * unopenable, and the one there may be the only copy of another key.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "onramp/limits.h"
#include "onramp/migration.h"
#include "ctl.h"
#include "ctl_dump.h"

/* Exit statuses (documented in the help and docs/operations.md). */
enum { RESTORE_OK = 0, RESTORE_FAILED = 1, RESTORE_USAGE = 2, RESTORE_NOT_EMPTY = 3, RESTORE_CORRUPT = 4,
       RESTORE_MISMATCH = 5 };

#define MANIFEST_MAX (8u * 1024u * 1024u)

static const char restore_help[] =
	"usage: onrampctl restore DIR [--force] [--keys]\n"
	"  Loads DIR/onramp.sql (made by onrampctl backup) into the configured database, which must\n"
	"  exist and hold no tables (--force: load over what is there), after checking the dump's\n"
	"  sha256 against DIR/manifest.json; then compares every table's row count and CHECKSUM TABLE\n"
	"  and every trigger, routine and event with the manifest, and prints the result.\n"
	"  Key files are never written over: it prints where they are and how to install them;\n"
	"  --keys installs them (mode 0600) at the configured paths that do not exist yet.\n"
	"  Exit: 0 restored and verified, 1 failed, 2 usage, 3 database not empty,\n"
	"        4 backup damaged (sha256 or manifest), 5 loaded but differs from the manifest.";

struct ropts {
	const char *dir;
	bool force, keys;
};

static int
parse(int argc, char **argv, struct ropts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			puts(restore_help);
			return -1;
		} else if (strcmp(argv[i], "--force") == 0)
			o->force = true;
		else if (strcmp(argv[i], "--keys") == 0)
			o->keys = true;
		else if (argv[i][0] != '-' && o->dir == NULL)
			o->dir = argv[i];
		else
			return ctl_fail("restore: unexpected argument %s", argv[i]) + 1;
	}
	return o->dir ? 0 : ctl_fail("usage: onrampctl restore DIR [--force] [--keys]") + 1;
}

static bool
path_in(char *out, size_t outsz, const char *dir, const char *file)
{
	return snprintf(out, outsz, "%s/%s", dir, file) < (int)outsz;
}

/* The manifest, bounded in size and depth; NULL (reason printed) when unreadable. */
static json_object *
read_manifest(const char *dir)
{
	char path[CONFIG_PATH_MAX + 32];
	json_object *m = NULL;
	json_tokener *tok;
	struct stat sb;
	char *text;
	int fd;

	if (!path_in(path, sizeof(path), dir, DUMP_MANIFEST_FILE) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ctl_fail("restore: cannot open %s/%s: %s", dir, DUMP_MANIFEST_FILE, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && (size_t)sb.st_size <= MANIFEST_MAX &&
	    (text = calloc(1, (size_t)sb.st_size + 1)) != NULL) {
		if (read(fd, text, (size_t)sb.st_size) == sb.st_size && (tok = json_tokener_new_ex(8)) != NULL) {
			m = json_tokener_parse_ex(tok, text, (int)sb.st_size);
			json_tokener_free(tok);
		}
		free(text);
	}
	close(fd);
	if (m == NULL || !json_object_is_type(m, json_type_object))
		ctl_fail("restore: %s is not a backup manifest", path);
	return m;
}

static const char *
mstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

static json_object *
marr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* The manifest's format and the dump's sha256: RESTORE_OK or RESTORE_CORRUPT. */
static int
check_dump(const char *dir, json_object *m)
{
	char path[CONFIG_PATH_MAX + 32], sha[65];
	json_object *f;
	const char *want = mstr(m, "dump_sha256");
	int k;

	if (!json_object_object_get_ex(m, "format", &f) || json_object_get_int(f) != DUMP_MANIFEST_FORMAT ||
	    want == NULL || marr(m, "tables") == NULL)
		return ctl_fail("restore: the manifest is not of a format this onrampctl reads") ? RESTORE_CORRUPT : 0;
	for (k = BACKUP_TRIGGERS; k < BACKUP_KINDS; k++)
		if (marr(m, backup_kind_name((backup_kind)k)) == NULL)
			return ctl_fail("restore: the manifest lists no %s", backup_kind_name((backup_kind)k)) ?
				RESTORE_CORRUPT : 0;
	if (!path_in(path, sizeof(path), dir, DUMP_SQL_FILE) || !dump_sha256(path, sha))
		return ctl_fail("restore: cannot read %s/%s", dir, DUMP_SQL_FILE) ? RESTORE_CORRUPT : 0;
	if (strcmp(sha, want) != 0)
		return ctl_fail("restore: %s is damaged: sha256 %s, the manifest says %s; nothing was loaded",
				DUMP_SQL_FILE, sha, want) ? RESTORE_CORRUPT : 0;
	return RESTORE_OK;
}

static int
load(const config *cfg, db *d, const char *dir)
{
	char path[CONFIG_PATH_MAX + 32], dbarg[CONFIG_NAME_MAX + 16];
	const char *argv[] = { "mariadb", "--batch", dbarg, NULL };
	int fd, rc;

	if (!path_in(path, sizeof(path), dir, DUMP_SQL_FILE) ||
	    snprintf(dbarg, sizeof(dbarg), "--database=%s", cfg->db_name) >= (int)sizeof(dbarg))
		return ctl_fail("restore: path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ctl_fail("restore: %s: %s", path, strerror(errno));
	rc = dump_tool_run(d, argv, fd, -1);
	close(fd);
	return rc == 0 ? 0 : ctl_fail("restore: loading the dump with mariadb failed (exit %d)", rc);
}

/* One manifest table against the loaded database; false when it differs. */
static bool
verify_table(json_object *t, const dump_snapshot *s)
{
	const char *name = mstr(t, "name");
	json_object *rows, *sum, *changed;
	long i = name ? dump_snapshot_find(s, BACKUP_TABLES, name) : -1;

	if (i < 0) {
		printf("MISSING table %s\n", name ? name : "(unnamed)");
		return false;
	}
	if (json_object_object_get_ex(t, "changed_during_backup", &changed) && json_object_get_boolean(changed)) {
		printf("present table %s (written while the backup ran: not compared)\n", name);
		return true;
	}
	if (!json_object_object_get_ex(t, "rows", &rows) || !json_object_object_get_ex(t, "checksum", &sum) ||
	    json_object_get_int64(rows) != s->stat[i].rows || json_object_get_int64(sum) != s->stat[i].checksum) {
		printf("DIFFERS table %s: %lld rows checksum %lld, the manifest says %lld rows checksum %lld\n", name,
		       s->stat[i].rows, s->stat[i].checksum, (long long)json_object_get_int64(rows),
		       (long long)json_object_get_int64(sum));
		return false;
	}
	return true;
}

/* Every manifest entry against the loaded database: the count of differences. */
static size_t
verify(json_object *m, const dump_snapshot *s)
{
	json_object *tables = marr(m, "tables");
	size_t i, bad = 0, n = json_object_array_length(tables);
	int k;

	for (i = 0; i < n; i++)
		bad += !verify_table(json_object_array_get_idx(tables, i), s);
	for (k = BACKUP_TRIGGERS; k < BACKUP_KINDS; k++) {
		json_object *names = marr(m, backup_kind_name((backup_kind)k));
		for (i = 0; i < json_object_array_length(names); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(names, i));
			if (name == NULL || dump_snapshot_find(s, (backup_kind)k, name) < 0) {
				printf("MISSING %s %s\n", backup_kind_name((backup_kind)k), name ? name : "(unnamed)");
				bad++;
			}
		}
	}
	printf("%s: %zu tables, %zu triggers, %zu routines, %zu events checked; %zu differ\n",
	       bad ? "VERIFY FAILED" : "verified", n, s->n[BACKUP_TRIGGERS], s->n[BACKUP_ROUTINES],
	       s->n[BACKUP_EVENTS], bad);
	return bad;
}

/* Run as root, an installed key goes to the user the workers run as: the keyring loader refuses any other owner. */
static int
give_to_user(const char *path, const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL)
		return ENOENT;
	return chown(path, pw->pw_uid, pw->pw_gid) == 0 ? 0 : errno;
}

/* One key file: install it where absent (with --keys), or say where it is and how. */
static void
key_advice(const config *cfg, const char *dir, const dump_key *k, bool install)
{
	const char *dst = dump_key_path(cfg, k);
	char src[CONFIG_PATH_MAX + 32];
	struct stat sb;
	int err;

	if (!path_in(src, sizeof(src), dir, k->file) || access(src, R_OK) != 0)
		return;
	if (dst[0] == '\0') {
		printf("key %s: %s is not set in the config; the key is in %s\n", k->file, k->config_key, src);
	} else if (stat(dst, &sb) == 0) {
		char a[65], b[65];
		bool same = dump_sha256(src, a) && dump_sha256(dst, b) && strcmp(a, b) == 0;
		printf("key %s: %s already exists and was left alone (%s the backup's copy)%s%s\n", k->file, dst,
		       same ? "same as" : "DIFFERENT from", same ? "" : "; the restored secrets open only with ",
		       same ? "" : src);
	} else if (install) {
		if ((err = dump_copy_new(src, dst)) == 0 && (err = give_to_user(dst, cfg->user)) == 0)
			printf("key %s: installed at %s (mode 0600)\n", k->file, dst);
		else
			printf("key %s: could not install at %s: %s\n", k->file, dst, strerror(err));
	} else {
		printf("key %s: not installed; the backup's copy is %s. Install it with\n"
		       "  install -m 0600 -o onramp -g onramp %s %s   (or run restore again with --keys)\n",
		       k->file, src, src, dst);
	}
}

/* Checked, empty (or forced), loaded: the part before verification. */
static int
prepare_and_load(const config *cfg, db *d, arena *a, const struct ropts *o, json_object *m)
{
	char **tables;
	size_t n;
	int rc;

	if ((rc = check_dump(o->dir, m)) != RESTORE_OK)
		return rc;
	if (store_backup_names(d, a, BACKUP_TABLES, &tables, &n) != OR_OK)
		return ctl_fail("restore: database: %s", db_last_error(d));
	if (n > 0 && !o->force)
		return ctl_fail("restore: database %s already holds %zu tables; restore into an empty database, "
				"or pass --force to load over them", cfg->db_name, n) ? RESTORE_NOT_EMPTY : 0;
	return load(cfg, d, o->dir);
}

int
ctl_restore(const config *cfg, db *d, int argc, char **argv)
{
	struct ropts o;
	dump_snapshot s;
	json_object *m = NULL;
	arena *a = NULL;
	size_t i;
	int rc = parse(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((m = read_manifest(o.dir)) == NULL)
		return RESTORE_CORRUPT;
	if ((a = arena_new(LIMIT_ARENA_BYTES)) == NULL)
		rc = ctl_fail("out of memory");
	else if ((rc = prepare_and_load(cfg, d, a, &o, m)) == 0) {
		if (dump_snapshot_take(d, a, &s) != OR_OK)
			rc = ctl_fail("restore: database: %s", db_last_error(d));
		else if (verify(m, &s) > 0)
			rc = RESTORE_MISMATCH;
		for (i = 0; rc == 0 && i < sizeof(dump_keys) / sizeof(dump_keys[0]); i++)
			key_advice(cfg, o.dir, &dump_keys[i], o.keys);
		if (rc == 0 && (unsigned)json_object_get_int64(json_object_object_get(m, "schema_version")) <
				       migration_latest())
			printf("the backup's schema is older than this onrampctl's (%u): run onrampctl migrate\n",
			       migration_latest());
	}
	json_object_put(m);
	arena_free(a);
	return rc;
}
