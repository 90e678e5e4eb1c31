/*
 * db_hosts: the list of database nodes, parsed once at start-up into typed
 * entries, and the choice of which entry to dial (see dbhosts.h).  Parsing
 * is strict because a typo here would only show as "database down" later.
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "onramp/dbhosts.h"
#include "onramp/str.h"

#define UNIX_PREFIX "unix:"

/* Longest socket path connect(2) can take (sun_path, with its NUL). */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

static bool
host_char(char ch, bool v6)
{
	if (v6)
		return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		       (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '-' || ch == '_';
}

/* A port is 1..65535 written in plain digits (no sign, no spaces). */
static bool
parse_port(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = v;
	return true;
}

static or_status
parse_unix(const char *p, size_t n, dbhost *h, const char **why)
{
	if (n == 0 || p[0] != '/') {
		*why = "a unix socket path must be absolute (unix:/path)";
		return OR_ERR_INVALID;
	}
	if (n >= SUN_PATH_MAX || n >= sizeof(h->path)) {
		*why = "unix socket path too long";
		return OR_ERR_INVALID;
	}
	h->is_unix = true;
	memcpy(h->path, p, n);
	h->path[n] = '\0';
	return OR_OK;
}

/* HOST:PORT or [IPv6]:PORT; the host is stored without brackets. */
static or_status
parse_tcp(const char *p, size_t n, dbhost *h, const char **why)
{
	const char *host = p, *colon;
	size_t hn, i;
	bool v6 = n > 0 && p[0] == '[';

	if (v6) {
		const char *close = memchr(p, ']', n);
		if (close == NULL || close + 1 >= p + n || close[1] != ':') {
			*why = "expected [IPv6]:PORT";
			return OR_ERR_INVALID;
		}
		host = p + 1;
		hn = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = memchr(p, ':', n);
		if (colon == NULL || memchr(colon + 1, ':', (size_t)(p + n - colon - 1)) != NULL) {
			*why = "expected HOST:PORT, [IPv6]:PORT or unix:/path";
			return OR_ERR_INVALID;
		}
		hn = (size_t)(colon - p);
	}
	if (hn == 0 || hn >= sizeof(h->host) || (v6 && memchr(host, ':', hn) == NULL)) {
		*why = "missing or bad host";
		return OR_ERR_INVALID;
	}
	for (i = 0; i < hn; i++)
		if (!host_char(host[i], v6)) {
			*why = "bad character in host";
			return OR_ERR_INVALID;
		}
	if (!parse_port(colon + 1, (size_t)(p + n - colon - 1), &h->port)) {
		*why = "port must be a number from 1 to 65535";
		return OR_ERR_INVALID;
	}
	h->is_unix = false;
	memcpy(h->host, host, hn);
	h->host[hn] = '\0';
	return OR_OK;
}

static or_status
parse_entry(const char *p, size_t n, dbhost *h, const char **why)
{
	size_t pl = strlen(UNIX_PREFIX);
	or_status st;

	memset(h, 0, sizeof(*h));
	if (n == 0) {
		*why = "empty entry";
		return OR_ERR_INVALID;
	}
	if (n >= pl && memcmp(p, UNIX_PREFIX, pl) == 0)
		st = parse_unix(p + pl, n - pl, h, why);
	else
		st = parse_tcp(p, n, h, why);
	if (st == OR_OK) {
		memcpy(h->label, p, n);
		h->label[n] = '\0';
	}
	return st;
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

or_status
dbhosts_parse(const char *text, dbhosts *out, char *err, size_t errsz)
{
	const char *p = text, *end = text + strlen(text);

	out->n = 0;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
		const char *why = NULL;

		while (p < stop && is_space(*p))
			p++;
		while (stop > p && is_space(stop[-1]))
			stop--;
		if (out->n == LIMIT_DB_HOSTS) {
			snprintf(err, errsz, "db_hosts: more than %d entries", LIMIT_DB_HOSTS);
			return OR_ERR_INVALID;
		}
		if (parse_entry(p, (size_t)(stop - p), &out->e[out->n], &why) != OR_OK) {
			snprintf(err, errsz, "db_hosts: entry %zu: %s", out->n + 1, why);
			return OR_ERR_INVALID;
		}
		out->n++;
		if (comma == NULL)
			return OR_OK;
		p = comma + 1;
	}
}

/* The single server of the old keys, passed to the connector exactly as before db_hosts. */
static void
single_entry(const config *c, dbhosts *out)
{
	dbhost *h = &out->e[0];

	memset(h, 0, sizeof(*h));
	out->n = 1;
	if (c->db_socket[0]) {
		h->is_unix = true;
		str_copy(h->path, sizeof(h->path), c->db_socket);
		snprintf(h->label, sizeof(h->label), "unix:%s", c->db_socket);
		return;
	}
	str_copy(h->host, sizeof(h->host), c->db_host);
	h->port = (unsigned)c->db_port;
	snprintf(h->label, sizeof(h->label), "%s:%d", c->db_host, c->db_port);
}

or_status
dbhosts_from_config(const config *c, dbhosts *out, char *err, size_t errsz)
{
	if (c->db_hosts[0] == '\0') {
		single_entry(c, out);
		return OR_OK;
	}
	return dbhosts_parse(c->db_hosts, out, err, errsz);
}

or_status
dbhosts_check(const config *c, char *err, size_t errsz)
{
	static const struct {
		unsigned bit;
		const char *name;
	} old[] = {
		{ CONFIG_DB_SOCKET_SET, "db_socket" },
		{ CONFIG_DB_HOST_SET, "db_host" },
		{ CONFIG_DB_PORT_SET, "db_port" },
	};
	dbhosts list;
	size_t i;

	if (c->db_hosts[0] == '\0')
		return OR_OK;
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		if (c->db_addr_keys_set & old[i].bit) {
			snprintf(err, errsz, "db_hosts and %s are both set: db_hosts replaces "
				 "the single-server keys, so set only one", old[i].name);
			return OR_ERR_INVALID;
		}
	return dbhosts_parse(c->db_hosts, &list, err, errsz);
}

size_t
dbhosts_pick(const dbhosts_state *s, int64_t now_ms, size_t order[LIMIT_DB_HOSTS])
{
	size_t i, k = 0;

	for (i = 0; i < s->n && i < LIMIT_DB_HOSTS; i++)
		if (s->skip_until_ms[i] <= now_ms)
			order[k++] = i;
	if (k > 0)
		return k;
	/* Every entry failed lately: better to try them all than to fail without a dial. */
	for (i = 0; i < s->n && i < LIMIT_DB_HOSTS; i++)
		order[k++] = i;
	return k;
}

void
dbhosts_mark(dbhosts_state *s, size_t i, bool ok, int64_t now_ms, int64_t skip_ms)
{
	if (i >= s->n || i >= LIMIT_DB_HOSTS)
		return;
	s->skip_until_ms[i] = ok ? 0 : now_ms + skip_ms;
}

bool
dbhosts_ready(const char *wsrep_on, const char *ready, const char *local_state, const char *reject,
	      char *why, size_t whysz)
{
	if (wsrep_on != NULL && strcmp(wsrep_on, "0") == 0)
		return true;
	if (wsrep_on == NULL || strcmp(wsrep_on, "1") != 0) {
		snprintf(why, whysz, "@@wsrep_on reads %s", wsrep_on ? wsrep_on : "NULL");
		return false;
	}
	if (ready == NULL || strcmp(ready, "ON") != 0) {
		snprintf(why, whysz, "wsrep_ready is %s", ready ? ready : "absent");
		return false;
	}
	/* 4 = Synced; 1 Joining, 2 Donor/Desynced, 3 Joined: the node lags or serves a joiner. */
	if (local_state == NULL || strcmp(local_state, "4") != 0) {
		snprintf(why, whysz, "wsrep_local_state is %s, not 4 (Synced)", local_state ? local_state : "absent");
		return false;
	}
	/* Maintenance: the node answers 1047 to every query while it is set. */
	if (reject != NULL && strcmp(reject, "NONE") != 0) {
		snprintf(why, whysz, "wsrep_reject_queries is %s", reject);
		return false;
	}
	return true;
}
