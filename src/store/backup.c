/*
 * The database side of onrampctl backup/restore: listing the schema objects
 * of the connection's database and measuring a table.  A table name cannot be
 * a bound parameter, so the two measuring statements are assembled from a
 * fixed text and a name that must be a plain identifier (backup_name_ok):
 * restore reads names from a manifest file, which is input.
 */
#include <stdio.h>
#include <string.h>

#include "onramp/backup_store.h"

/* Sorted by the binary name so the manifest's order does not depend on collations. */
static const char SQL_TABLES[] =
	"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
	"AND TABLE_TYPE = 'BASE TABLE' ORDER BY BINARY TABLE_NAME";
static const char SQL_TRIGGERS[] =
	"SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
	"ORDER BY BINARY TRIGGER_NAME";
static const char SQL_ROUTINES[] =
	"SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES "
	"WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY BINARY ROUTINE_NAME";
static const char SQL_EVENTS[] =
	"SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() "
	"ORDER BY BINARY EVENT_NAME";
static const char *const kind_sql[BACKUP_KINDS] = { SQL_TABLES, SQL_TRIGGERS, SQL_ROUTINES, SQL_EVENTS };
static const char *const kind_name[BACKUP_KINDS] = { "tables", "triggers", "routines", "events" };

const char *
backup_kind_name(backup_kind k)
{
	return k < BACKUP_KINDS ? kind_name[k] : "?";
}

bool
backup_name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return false;
	return true;
}

or_status
store_backup_names(db *d, arena *a, backup_kind k, char ***names, size_t *n)
{
	db_stmt *s;
	size_t cap = 16;
	bool row = false;
	or_status st;

	*n = 0;
	if (k >= BACKUP_KINDS)
		return OR_ERR_INVALID;
	if ((*names = arena_calloc(a, cap, sizeof(char *))) == NULL)
		return OR_ERR_NOMEM;
	if ((st = db_prepare(d, kind_sql[k], &s)) != OR_OK || (st = db_execute(s)) != OR_OK)
		return st;
	while ((st = db_fetch(s, &row)) == OR_OK && row) {
		if (*n == cap) {
			char **more = arena_calloc(a, cap * 2, sizeof(char *));
			if (more == NULL) {
				st = OR_ERR_NOMEM;
				break;
			}
			memcpy(more, *names, cap * sizeof(char *));
			*names = more;
			cap *= 2;
		}
		if (((*names)[*n] = db_col_dup(s, 0, a)) == NULL) {
			st = OR_ERR_NOMEM;
			break;
		}
		(*n)++;
	}
	db_stmt_done(s);
	return st;
}

/* Run "<prefix>`table`" (uncached) and read column col of its one row. */
static or_status
table_scalar(db *d, const char *prefix, const char *table, unsigned col, long long *out)
{
	char sql[128];
	db_stmt *s;
	bool found = false;
	or_status st;

	if (!backup_name_ok(table) || snprintf(sql, sizeof(sql), "%s`%s`", prefix, table) >= (int)sizeof(sql))
		return OR_ERR_INVALID;
	if ((st = db_prepare_dynamic(d, sql, &s)) != OR_OK)
		return st;
	st = db_query_one(s, &found);
	if (st == OR_OK && !found)
		st = OR_ERR_NOT_FOUND;
	if (st == OR_OK)
		*out = db_col_int(s, col, -1);
	db_stmt_free(s);
	return st;
}

or_status
store_backup_table_stat(db *d, const char *table, backup_table_stat *out)
{
	or_status st = table_scalar(d, "SELECT COUNT(*) FROM ", table, 0, &out->rows);

	/* CHECKSUM TABLE answers (Table, Checksum); NULL (-1 here) when the table is gone. */
	if (st == OR_OK)
		st = table_scalar(d, "CHECKSUM TABLE ", table, 1, &out->checksum);
	return st;
}
