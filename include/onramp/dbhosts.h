/*
 * The database nodes a worker may dial (config db_hosts, or the single server
 * of db_socket/db_host/db_port), and the pure decision of which to dial next:
 * the first entry is preferred; an entry that failed is passed over for a
 * while (db_host_skip_ms) unless every entry is being passed over.  No I/O
 * here, so the order is unit-tested with fixed clocks; src/store/db.c dials.
 */
#ifndef ONRAMP_DBHOSTS_H
#define ONRAMP_DBHOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/config.h"
#include "onramp/limits.h"
#include "onramp/status.h"

/** One database entry: a unix socket path, or a host (name, IPv4 or IPv6 without brackets) and port. */
typedef struct dbhost {
	bool is_unix;
	char path[CONFIG_PATH_MAX];	/* is_unix */
	char host[CONFIG_NAME_MAX];	/* !is_unix */
	unsigned port;			/* !is_unix */
	char label[CONFIG_PATH_MAX + 8];	/* as it names the entry in logs and /readyz */
} dbhost;

/** The entries in order of preference. */
typedef struct dbhosts {
	size_t n;
	dbhost e[LIMIT_DB_HOSTS];
} dbhosts;

/** Which entries are being passed over, and until when (monotonic ms; 0 = not skipped). */
typedef struct dbhosts_state {
	size_t n;
	int64_t skip_until_ms[LIMIT_DB_HOSTS];
} dbhosts_state;

/**
 * Parse a db_hosts value ("unix:/abs.sock,host:port,[v6]:port", spaces
 * around commas allowed) into out; err names the bad entry.
 */
or_status dbhosts_parse(const char *text, dbhosts *out, char *err, size_t errsz);

/**
 * The entry list of a config: db_hosts when set, else the one entry that
 * db_socket (when set) or db_host:db_port names, exactly as before db_hosts.
 */
or_status dbhosts_from_config(const config *c, dbhosts *out, char *err, size_t errsz);

/** Refuse a config whose db_hosts is malformed or set together with db_socket/db_host/db_port. */
or_status dbhosts_check(const config *c, char *err, size_t errsz);

/**
 * The order to dial at now_ms: every entry not being passed over, first
 * entry first; when all are being passed over, all of them.  Fills order
 * with entry indexes and returns how many.
 */
size_t dbhosts_pick(const dbhosts_state *s, int64_t now_ms, size_t order[LIMIT_DB_HOSTS]);

/** Record a dial of entry i: a failure passes it over until now_ms + skip_ms, a success clears that. */
void dbhosts_mark(dbhosts_state *s, size_t i, bool ok, int64_t now_ms, int64_t skip_ms);

/**
 * The readiness of a node from its @@wsrep_on, status wsrep_ready and
 * wsrep_local_state, and @@wsrep_reject_queries (as text; NULL when absent):
 * a plain server (wsrep_on 0) is ready; a Galera node only when ready is ON,
 * the state is 4 (Synced) and an operator has not told it to reject queries.
 * When not, why says what the node is.
 */
bool dbhosts_ready(const char *wsrep_on, const char *ready, const char *local_state, const char *reject,
		   char *why, size_t whysz);

#endif
