/*
 * onrampctl backup DIR: a consistent logical dump of the database
 * (mariadb-dump --single-transaction: one snapshot, no locks held on InnoDB
 * tables), a manifest describing it, and copies of the key files without
 * which the sealed secrets in the dump cannot be opened.  restore
 * (ctl_restore.c) checks the dump against the manifest's sha256 and the
 * loaded tables against its row counts and checksums.
 *
 * The manifest's counts and checksums are read before and after the dump: a
 * table equal both times was not written meanwhile, so the dump's snapshot
 * holds exactly that content; a table written during the dump is marked and
 * only its presence is verified on restore.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "onramp/clock.h"
#include "onramp/limits.h"
#include "onramp/migration.h"
#include "onramp/timefmt.h"
#include "ctl.h"
#include "ctl_dump.h"

static const char backup_help[] =
	"usage: onrampctl backup DIR\n"
	"  Writes into DIR (created mode 0700; it must not exist or be empty):\n"
	"    onramp.sql     mariadb-dump --single-transaction --routines --triggers --events --hex-blob\n"
	"    manifest.json  time, schema and onramp versions, each table's rows and CHECKSUM TABLE,\n"
	"                   the triggers, routines and events, the dump's sha256\n"
	"    secret.key, keyring  copies of secret_key_file and secret_keyring_file\n"
	"  Every file is mode 0600.  The key files open the sealed TOTP and SSO secrets in the dump:\n"
	"  keep DIR encrypted or the keys apart from the dump (docs/operations.md, Backups).\n"
	"  Run it against one database node (the first db_hosts entry is used).\n"
	"  Exit: 0 done, 1 failed (DIR is left for inspection), 2 usage or DIR not empty.";

/* DIR must be new or empty: a backup never mixes with another's files. */
static int
prepare_dir(const char *dir)
{
	DIR *dh;
	struct dirent *e;
	int found = 0;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return ctl_fail("backup: cannot create %s: %s", dir, strerror(errno));
	if ((dh = opendir(dir)) == NULL)
		return ctl_fail("backup: %s: %s", dir, strerror(errno));
	while (!found && (e = readdir(dh)) != NULL)
		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dh);
	if (found)
		return ctl_fail("backup: %s is not empty", dir) + 1;
	return chmod(dir, 0700) == 0 ? 0 : ctl_fail("backup: chmod %s: %s", dir, strerror(errno));
}

static bool
path_in(char *out, size_t outsz, const char *dir, const char *file)
{
	return snprintf(out, outsz, "%s/%s", dir, file) < (int)outsz;
}

static int
run_dump(const config *cfg, db *d, const char *dir)
{
	const char *argv[] = { "mariadb-dump", "--single-transaction", "--routines", "--triggers", "--events",
			       "--hex-blob", "--default-character-set=utf8mb4", "--", cfg->db_name, NULL };
	char path[CONFIG_PATH_MAX + 32];
	int fd, rc;

	if (!path_in(path, sizeof(path), dir, DUMP_SQL_FILE))
		return ctl_fail("backup: path too long");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return ctl_fail("backup: %s: %s", path, strerror(errno));
	rc = dump_tool_run(d, argv, -1, fd);
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	close(fd);
	if (rc != 0)
		return ctl_fail("backup: mariadb-dump failed (exit %d)", rc);
	return 0;
}

/* The tables array: rows and checksum, and whether the table changed while the dump ran. */
static json_object *
tables_json(const dump_snapshot *before, const dump_snapshot *after)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < before->n[BACKUP_TABLES]; i++) {
		const backup_table_stat *b = &before->stat[i], *a = &after->stat[i];
		json_object *t = json_object_new_object();
		json_object_object_add(t, "name", json_object_new_string(before->names[BACKUP_TABLES][i]));
		json_object_object_add(t, "rows", json_object_new_int64(b->rows));
		json_object_object_add(t, "checksum", json_object_new_int64(b->checksum));
		json_object_object_add(t, "changed_during_backup",
				       json_object_new_boolean(b->rows != a->rows || b->checksum != a->checksum));
		json_object_array_add(arr, t);
	}
	return arr;
}

static json_object *
names_json(char **names, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		json_object_array_add(arr, json_object_new_string(names[i]));
	return arr;
}

/* Copy the configured key files into dir; their entries for the manifest. */
static int
copy_keys(const config *cfg, const char *dir, json_object *keys)
{
	char dst[CONFIG_PATH_MAX + 32], sha[65];
	size_t i;
	int err;

	for (i = 0; i < sizeof(dump_keys) / sizeof(dump_keys[0]); i++) {
		const char *src = dump_key_path(cfg, &dump_keys[i]);
		json_object *k;
		if (src[0] == '\0')
			continue;
		if (!path_in(dst, sizeof(dst), dir, dump_keys[i].file))
			return ctl_fail("backup: path too long");
		if ((err = dump_copy_new(src, dst)) != 0)
			return ctl_fail("backup: copying %s (%s): %s", dump_keys[i].config_key, src, strerror(err));
		if (!dump_sha256(dst, sha))
			return ctl_fail("backup: cannot read %s", dst);
		k = json_object_new_object();
		json_object_object_add(k, "file", json_object_new_string(dump_keys[i].file));
		json_object_object_add(k, "config_key", json_object_new_string(dump_keys[i].config_key));
		json_object_object_add(k, "sha256", json_object_new_string(sha));
		json_object_array_add(keys, k);
	}
	return 0;
}

static int
write_manifest(const char *dir, json_object *m)
{
	char path[CONFIG_PATH_MAX + 32];
	const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	int fd, ok;

	if (!path_in(path, sizeof(path), dir, DUMP_MANIFEST_FILE))
		return ctl_fail("backup: path too long");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return ctl_fail("backup: %s: %s", path, strerror(errno));
	ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	return ok ? 0 : ctl_fail("backup: writing %s failed", path);
}

/* The manifest's description of the dump: everything but the key files. */
static json_object *
manifest_new(const config *cfg, const dump_snapshot *before, const dump_snapshot *after, unsigned schema,
	     const char *sha, int64_t now)
{
	json_object *m = json_object_new_object();
	char when[TIMEFMT_RFC3339_LEN];
	int k;

	timefmt_rfc3339(now, when);
	json_object_object_add(m, "format", json_object_new_int(DUMP_MANIFEST_FORMAT));
	json_object_object_add(m, "created_at", json_object_new_string(when));
	json_object_object_add(m, "onramp_version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(m, "schema_version", json_object_new_int64(schema));
	json_object_object_add(m, "database", json_object_new_string(cfg->db_name));
	json_object_object_add(m, "dump_file", json_object_new_string(DUMP_SQL_FILE));
	json_object_object_add(m, "dump_sha256", json_object_new_string(sha));
	json_object_object_add(m, "tables", tables_json(before, after));
	for (k = BACKUP_TRIGGERS; k < BACKUP_KINDS; k++)
		json_object_object_add(m, backup_kind_name((backup_kind)k),
				       names_json(before->names[k], before->n[k]));
	return m;
}

/* The same tables before and after the dump, or the schema changed under it. */
static bool
same_tables(const dump_snapshot *a, const dump_snapshot *b)
{
	size_t i;

	if (a->n[BACKUP_TABLES] != b->n[BACKUP_TABLES])
		return false;
	for (i = 0; i < a->n[BACKUP_TABLES]; i++)
		if (strcmp(a->names[BACKUP_TABLES][i], b->names[BACKUP_TABLES][i]) != 0)
			return false;
	return true;
}

static void
report(const char *dir, const dump_snapshot *before, const dump_snapshot *after, unsigned schema, const char *sha,
       size_t nkeys)
{
	long long rows = 0;
	size_t i;

	for (i = 0; i < before->n[BACKUP_TABLES]; i++) {
		rows += before->stat[i].rows;
		if (before->stat[i].rows != after->stat[i].rows || before->stat[i].checksum != after->stat[i].checksum)
			printf("note: table %s was written while the dump ran; restore checks only that it exists\n",
			       before->names[BACKUP_TABLES][i]);
	}
	printf("backup in %s: schema %u, %zu tables, %lld rows, %zu triggers; %s sha256 %s\n", dir, schema,
	       before->n[BACKUP_TABLES], rows, before->n[BACKUP_TRIGGERS], DUMP_SQL_FILE, sha);
	if (nkeys)
		fprintf(stderr,
			"WARNING: %s holds copies of the key files (secret.key, keyring) that open the sealed TOTP\n"
			"and SSO secrets in the dump: whoever has this directory has those secrets. Store it encrypted,\n"
			"or the key files apart from the database dump (docs/operations.md, \"Backups\").\n", dir);
}

struct backup_run {
	dump_snapshot before, after;
	unsigned schema;
	char sha[65];
};

/* Snapshot, dump, snapshot again, hash: the database half of a backup. */
static int
take(const config *cfg, db *d, arena *a, const char *dir, struct backup_run *r)
{
	char path[CONFIG_PATH_MAX + 32];
	int rc;

	if (migrate_current_version(d, &r->schema) != OR_OK || dump_snapshot_take(d, a, &r->before) != OR_OK)
		return ctl_fail("backup: database: %s", db_last_error(d));
	if ((rc = run_dump(cfg, d, dir)) != 0)
		return rc;
	if (dump_snapshot_take(d, a, &r->after) != OR_OK)
		return ctl_fail("backup: database: %s", db_last_error(d));
	if (!same_tables(&r->before, &r->after))
		return ctl_fail("backup: tables were created or dropped while the dump ran; run it again");
	if (!path_in(path, sizeof(path), dir, DUMP_SQL_FILE) || !dump_sha256(path, r->sha))
		return ctl_fail("backup: cannot read %s", path);
	return 0;
}

int
ctl_backup(const config *cfg, db *d, int argc, char **argv)
{
	struct backup_run r;
	json_object *m = NULL, *keys = json_object_new_array();
	arena *a = NULL;
	int rc;

	if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		puts(backup_help);
		return 0;
	}
	if (argc != 1 || argv[0][0] == '-') {
		json_object_put(keys);
		return ctl_fail("usage: onrampctl backup DIR (see backup --help)") + 1;
	}
	if ((rc = prepare_dir(argv[0])) != 0 || (a = arena_new(LIMIT_ARENA_BYTES)) == NULL ||
	    (rc = take(cfg, d, a, argv[0], &r)) != 0 || (rc = copy_keys(cfg, argv[0], keys)) != 0)
		goto out;
	m = manifest_new(cfg, &r.before, &r.after, r.schema, r.sha, clock_wall_us() / 1000000);
	json_object_object_add(m, "keys", json_object_get(keys));
	if ((rc = write_manifest(argv[0], m)) == 0)
		report(argv[0], &r.before, &r.after, r.schema, r.sha, json_object_array_length(keys));
out:
	if (a == NULL && rc == 0)
		rc = ctl_fail("out of memory");
	json_object_put(m);
	json_object_put(keys);
	arena_free(a);
	return rc;
}
