/*
 * The connection settings of a db handle as a MariaDB option file, for the
 * client tools onrampctl runs (mariadb-dump, mariadb).  The password goes
 * only into the file descriptor the caller gives (a memfd, never argv, where
 * every user of the host could read it in /proc); the first database entry
 * of the config is the one named (a backup is taken from one Galera node).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db_internal.h"

/* Write `key="value"`: quoted, so spaces survive; a backslash is the option file's escape. */
static bool
put_value(FILE *f, const char *key, const char *value)
{
	const char *p;

	if (strchr(value, '\n') || strchr(value, '\r'))
		return false;
	fprintf(f, "%s=\"", key);
	for (p = value; *p; p++) {
		if (*p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
	return true;
}

static or_status
write_defaults(db *d, FILE *f)
{
	dbhosts hosts;
	const dbhost *h;
	char err[256] = "";
	bool ok;

	if (db_credentials(d) != OR_OK)
		return OR_ERR_IO;
	if (dbhosts_from_config(d->cfg, &hosts, err, sizeof(err)) != OR_OK || hosts.n == 0) {
		snprintf(d->err, sizeof(d->err), "db_hosts: %s", err);
		return OR_ERR_INVALID;
	}
	h = &hosts.e[0];
	fputs("[client]\n", f);
	ok = put_value(f, "user", d->user) && put_value(f, "password", d->password) &&
	     (h->is_unix ? put_value(f, "socket", h->path) :
			   put_value(f, "host", h->host) && fprintf(f, "port=%u\nprotocol=tcp\n", h->port) > 0);
	fputs("default-character-set=utf8mb4\n", f);
	if (!ok) {
		snprintf(d->err, sizeof(d->err), "a database setting holds a line break");
		return OR_ERR_INVALID;
	}
	return OR_OK;
}

or_status
db_client_defaults(db *d, int fd)
{
	int copy = dup(fd);
	FILE *f = copy >= 0 ? fdopen(copy, "w") : NULL;
	or_status st;

	if (f == NULL) {
		if (copy >= 0)
			close(copy);
		return OR_ERR_IO;
	}
	st = write_defaults(d, f);
	if (fclose(f) != 0 && st == OR_OK)
		st = OR_ERR_IO;
	return st;
}
