/*
 * What onrampctl backup and restore share (ctl_dump.c): running a MariaDB
 * client tool with the connection's credentials in an option file that never
 * touches the disk, hashing and copying files, and the snapshot of a
 * database's objects, row counts and checksums that a manifest records and a
 * restore is verified against.
 */
#ifndef ONRAMP_CTL_DUMP_H
#define ONRAMP_CTL_DUMP_H

#include <stdbool.h>
#include "onramp/arena.h"
#include "onramp/backup_store.h"
#include "onramp/db.h"

/* The fixed names inside a backup directory: nothing is taken from the manifest as a path. */
#define DUMP_SQL_FILE		"onramp.sql"
#define DUMP_MANIFEST_FILE	"manifest.json"
#define DUMP_MANIFEST_FORMAT	1

/** The schema objects of a database and each table's rows and checksum. */
typedef struct dump_snapshot {
	char **names[BACKUP_KINDS];
	size_t n[BACKUP_KINDS];
	backup_table_stat *stat;	/* per names[BACKUP_TABLES] entry */
} dump_snapshot;

/** A key file a backup carries: its name in the backup and the config key naming its installed path. */
typedef struct dump_key {
	const char *file;
	const char *config_key;
} dump_key;

/** The key files, in manifest order: secret_key_file and secret_keyring_file. */
extern const dump_key dump_keys[2];

/** The installed path of key k in cfg ("" when not configured). */
const char *dump_key_path(const config *cfg, const dump_key *k);

/**
 * Run the client tool argv[0] (from PATH) with --defaults-file naming a
 * memfd that holds d's connection settings, stdin from in_fd and stdout to
 * out_fd (-1: inherit); its exit status, or -1 when it did not run.
 */
int dump_tool_run(db *d, const char *const argv[], int in_fd, int out_fd);

/** Hex SHA-256 of the file at path into out; false when it cannot be read. */
bool dump_sha256(const char *path, char out[65]);

/** Copy src to dst, which must not exist, with mode 0600; 0 or an errno value. */
int dump_copy_new(const char *src, const char *dst);

/** Read the objects and table stats of d's database into s (allocated in a). */
or_status dump_snapshot_take(db *d, arena *a, dump_snapshot *s);

/** Index of name in the list of kind k of s, or -1. */
long dump_snapshot_find(const dump_snapshot *s, backup_kind k, const char *name);

#endif
