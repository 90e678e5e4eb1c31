/*
 * Configuration loading.  One table describes every key (type, bounds, where
 * it lives in struct config), so the file parser, the environment overrides
 * and the docs cannot disagree about what exists.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onramp/config.h"
#include "onramp/dbhosts.h"
#include "onramp/limits.h"
#include "onramp/str.h"

enum key_type { T_STR, T_INT, T_SIZE, T_MODE, T_COOKIE };

struct key {
	const char *name;
	enum key_type type;
	size_t off;
	size_t size;		/* T_STR: buffer size */
	long long min, max;	/* T_INT, T_SIZE */
};

#define STR(n) { #n, T_STR, offsetof(config, n), sizeof(((config *)0)->n), 0, 0 }
#define INT(n, lo, hi) { #n, T_INT, offsetof(config, n), 0, lo, hi }
#define SIZE(n, lo, hi) { #n, T_SIZE, offsetof(config, n), 0, lo, hi }

static const struct key keys[] = {
	STR(listen),
	{ "listen_mode", T_MODE, offsetof(config, listen_mode), 0, 0, 0777 },
	STR(listen_group),
	INT(listen_backlog, 1, 65535),
	INT(workers, 0, LIMIT_WORKERS_MAX),
	STR(user),
	INT(drain_timeout_s, 1, 3600),
	STR(pid_file),
	STR(log_file),
	STR(db_socket),
	STR(db_host),
	INT(db_port, 1, 65535),
	STR(db_hosts),
	INT(db_sync_wait, 0, LIMIT_DB_SYNC_WAIT_MAX),
	INT(db_host_skip_ms, 100, 600000),
	STR(db_name),
	STR(db_credentials_file),
	INT(db_connect_timeout_s, 1, 60),
	INT(db_read_timeout_s, 1, 300),
	INT(db_write_timeout_s, 1, 300),
	INT(db_retry_after_s, 1, 3600),
	INT(db_statement_cache, LIMIT_DB_STMT_CACHE_MIN, LIMIT_DB_STMT_CACHE_MAX),
	INT(db_backoff_s, 1, 300),
	INT(db_probe_timeout_ms, 50, 10000),
	INT(db_tx_attempts, 1, LIMIT_DB_TX_ATTEMPTS_MAX),
	INT(db_lock_wait_timeout_s, 0, 3600),
	SIZE(body_limit, 1024, LIMIT_BODY_CEILING),
	SIZE(body_limit_saml, 1024, LIMIT_BODY_CEILING),
	STR(listener_param),
	STR(request_id_param),
	STR(tls_param),
	STR(cookie_name_customer),
	STR(cookie_name_operator),
	STR(cookie_name_sso_setup),
	{ "cookie_secure", T_COOKIE, offsetof(config, cookie_secure), 0, 0, 0 },
	INT(session_idle_timeout_s, 60, 7 * 86400),
	INT(session_absolute_timeout_s, 300, 90 * 86400),
	STR(public_base_url),
	STR(operator_base_url),
	STR(secret_key_file),
	STR(secret_keyring_file),
	INT(login_window_s, 1, 86400),
	INT(login_max_failures_account, 1, 10000),
	INT(login_max_failures_addr, 1, 100000),
	INT(reset_token_ttl_s, 60, 7 * 86400),
	INT(reset_window_s, 60, 86400),
	INT(reset_requests_per_addr, 1, 100000),
	INT(reset_mails_per_account, 1, 1000),
	INT(invite_ttl_s, 60, 90 * 86400),
	INT(invite_rate_per_hour, 1, 100000),
	INT(argon2_m_kib, 8192, 4 * 1024 * 1024),
	INT(argon2_t, 1, 100),
	INT(argon2_p, 1, 16),
	STR(totp_issuer),
	STR(smtp_url),
	STR(smtp_credentials_file),
	STR(mail_from),
	STR(support_email),
	INT(mailer_poll_ms, 10, 600000),
	INT(mailer_max_attempts, 1, 100),
	INT(mailer_timeout_s, 1, 300),
	INT(sso_fetch_allow_http, 0, 1),
	STR(sso_fetch_allowlist),
	STR(sso_fetch_ca_file),
	STR(sso_fetch_connect_to),
	INT(sso_fetch_timeout_ms, 100, 60000),
	STR(sso_clock),
	SIZE(sso_fetch_max_bytes, 1024, LIMIT_BODY_CEILING),
	INT(sso_token_timeout_ms, 100, 60000),
	INT(sso_jwks_ttl_s, 60, 86400),
	INT(sso_token_exchanges_per_min, 1, 100000),
	INT(sso_starts_per_addr, 1, 1000000),
	INT(fetcher_jobs, 1, LIMIT_FETCHER_JOBS),
	INT(fetcher_poll_ms, 10, 60000),
	INT(fetcher_lease_s, 1, 3600),
	INT(fetcher_max_attempts, 1, 100),
	INT(test_mode, 0, 1),
	STR(test_clock_file),
	INT(test_leak_route, 0, 1),
};

void
config_defaults(config *c)
{
	memset(c, 0, sizeof(*c));
	str_copy(c->listen, sizeof(c->listen), "/run/onramp/onramp.sock");
	c->listen_mode = 0660;
	c->listen_backlog = 1024;
	c->workers = 0;
	c->drain_timeout_s = 30;
	c->db_port = 3306;
	str_copy(c->db_host, sizeof(c->db_host), "localhost");
	str_copy(c->db_name, sizeof(c->db_name), "onramp");
	c->db_connect_timeout_s = 2;
	c->db_read_timeout_s = 10;
	c->db_write_timeout_s = 10;
	c->db_retry_after_s = 5;
	c->db_statement_cache = LIMIT_DB_STMT_CACHE_DEFAULT;
	c->db_backoff_s = 5;
	c->db_probe_timeout_ms = 500;
	c->db_host_skip_ms = LIMIT_DB_HOST_SKIP_MS_DEFAULT;
	c->db_tx_attempts = LIMIT_DB_TX_ATTEMPTS_DEFAULT;
	c->body_limit = LIMIT_BODY_DEFAULT;
	c->body_limit_saml = LIMIT_BODY_SAML_DEFAULT;
	c->sso_fetch_timeout_ms = 5000;
	c->sso_fetch_max_bytes = 1024 * 1024;
	c->sso_token_timeout_ms = 5000;
	c->sso_jwks_ttl_s = 3600;
	c->sso_token_exchanges_per_min = 120;
	c->sso_starts_per_addr = 300;
	c->fetcher_jobs = 2;
	c->fetcher_poll_ms = 500;
	c->fetcher_lease_s = 60;
	c->fetcher_max_attempts = 3;
	str_copy(c->listener_param, sizeof(c->listener_param), "ONRAMP_LISTENER");
	str_copy(c->request_id_param, sizeof(c->request_id_param), "ONRAMP_REQUEST_ID");
	str_copy(c->tls_param, sizeof(c->tls_param), "HTTPS");
	str_copy(c->cookie_name_customer, sizeof(c->cookie_name_customer), "onramp_session");
	str_copy(c->cookie_name_operator, sizeof(c->cookie_name_operator), "onramp_operator");
	str_copy(c->cookie_name_sso_setup, sizeof(c->cookie_name_sso_setup), "onramp_sso_setup");
	c->cookie_secure = COOKIE_SECURE_AUTO;
	c->session_idle_timeout_s = 30 * 60;
	c->session_absolute_timeout_s = 12 * 3600;
	str_copy(c->public_base_url, sizeof(c->public_base_url), "http://127.0.0.1:8080");
	str_copy(c->operator_base_url, sizeof(c->operator_base_url), "http://127.0.0.1:8081");
	c->login_window_s = 900;
	c->login_max_failures_account = 10;
	c->login_max_failures_addr = 100;
	c->reset_token_ttl_s = 1800;
	c->reset_window_s = 3600;
	c->reset_requests_per_addr = 20;
	c->reset_mails_per_account = 3;
	c->invite_ttl_s = 7 * 86400;
	c->invite_rate_per_hour = 100;
	c->argon2_m_kib = 19456;
	c->argon2_t = 2;
	c->argon2_p = 1;
	str_copy(c->totp_issuer, sizeof(c->totp_issuer), "onramp");
	str_copy(c->smtp_url, sizeof(c->smtp_url), "smtp://127.0.0.1:25");
	str_copy(c->mail_from, sizeof(c->mail_from), "onramp <no-reply@onramp.invalid>");
	str_copy(c->support_email, sizeof(c->support_email), "support@onramp.invalid");
	c->mailer_poll_ms = 1000;
	c->mailer_max_attempts = 10;
	c->mailer_timeout_s = 20;
}

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Sizes may carry a k/m suffix (powers of 1024). */
static or_status
parse_size(const char *v, long long *out)
{
	size_t n = strlen(v);
	long long mult = 1, x;
	or_str s;

	if (n > 0 && (v[n - 1] == 'k' || v[n - 1] == 'K')) {
		mult = 1024;
		n--;
	} else if (n > 0 && (v[n - 1] == 'm' || v[n - 1] == 'M')) {
		mult = 1024 * 1024;
		n--;
	}
	s.ptr = v;
	s.len = n;
	if (str_to_ll(s, 0, LLONG_MAX / (1024 * 1024), &x) != OR_OK)
		return OR_ERR_INVALID;
	*out = x * mult;
	return OR_OK;
}

static or_status
parse_mode(const char *v, unsigned *out)
{
	unsigned m = 0;
	size_t i, n = strlen(v);

	if (n == 0 || n > 4)
		return OR_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '7')
			return OR_ERR_INVALID;
		m = m * 8 + (unsigned)(v[i] - '0');
	}
	if (m > 0777)
		return OR_ERR_INVALID;
	*out = m;
	return OR_OK;
}

/* db_hosts replaces these keys, so config_load must know which were written, not just their values. */
static unsigned
db_addr_key_bit(const char *name)
{
	if (strcmp(name, "db_socket") == 0)
		return CONFIG_DB_SOCKET_SET;
	if (strcmp(name, "db_host") == 0)
		return CONFIG_DB_HOST_SET;
	if (strcmp(name, "db_port") == 0)
		return CONFIG_DB_PORT_SET;
	return 0;
}

or_status
config_set(config *c, const char *name, const char *value, char *err, size_t errsz)
{
	const struct key *k = find_key(name);
	char *base = (char *)c;
	long long v;

	if (k == NULL) {
		snprintf(err, errsz, "unknown key '%s'", name);
		return OR_ERR_INVALID;
	}
	if (strlen(value) >= LIMIT_CONFIG_VALUE) {
		snprintf(err, errsz, "%s: value too long", name);
		return OR_ERR_INVALID;
	}
	c->db_addr_keys_set |= db_addr_key_bit(name);
	switch (k->type) {
	case T_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errsz, "%s: value longer than %zu bytes", name, k->size - 1);
			return OR_ERR_INVALID;
		}
		str_copy(base + k->off, k->size, value);
		return OR_OK;
	case T_INT:
		if (str_to_ll(str_from_c(value), k->min, k->max, &v) != OR_OK) {
			snprintf(err, errsz, "%s: expected a whole number from %lld to %lld",
				 name, k->min, k->max);
			return OR_ERR_INVALID;
		}
		*(int *)(void *)(base + k->off) = (int)v;
		return OR_OK;
	case T_SIZE:
		if (parse_size(value, &v) != OR_OK || v < k->min || v > k->max) {
			snprintf(err, errsz, "%s: expected a size (bytes, or with k/m) from %lld to %lld",
				 name, k->min, k->max);
			return OR_ERR_INVALID;
		}
		*(size_t *)(void *)(base + k->off) = (size_t)v;
		return OR_OK;
	case T_MODE:
		if (parse_mode(value, (unsigned *)(void *)(base + k->off)) != OR_OK) {
			snprintf(err, errsz, "%s: expected octal permission bits like 0660", name);
			return OR_ERR_INVALID;
		}
		return OR_OK;
	case T_COOKIE:
		if (strcmp(value, "auto") == 0)
			c->cookie_secure = COOKIE_SECURE_AUTO;
		else if (strcmp(value, "on") == 0)
			c->cookie_secure = COOKIE_SECURE_ON;
		else if (strcmp(value, "off") == 0)
			c->cookie_secure = COOKIE_SECURE_OFF;
		else {
			snprintf(err, errsz, "%s: expected auto, on or off", name);
			return OR_ERR_INVALID;
		}
		return OR_OK;
	}
	return OR_ERR_INTERNAL;
}

static char *
trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* Parse one "key = value" line in place (line is NUL-terminated, writable). */
static or_status
parse_line(config *c, char *line, unsigned lineno, char *err, size_t errsz)
{
	char *eq, *key, *val, msg[256];
	size_t vlen;
	or_status st;

	line = trim(line, line + strlen(line));
	if (*line == '\0' || *line == '#')
		return OR_OK;
	eq = strchr(line, '=');
	if (eq == NULL) {
		snprintf(err, errsz, "line %u: expected key = value", lineno);
		return OR_ERR_INVALID;
	}
	key = trim(line, eq);
	val = trim(eq + 1, eq + 1 + strlen(eq + 1));
	vlen = strlen(val);
	/* A value may be double-quoted to keep leading/trailing spaces or '#'. */
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val[vlen - 1] = '\0';
		val++;
	}
	st = config_set(c, key, val, msg, sizeof(msg));
	if (st != OR_OK)
		snprintf(err, errsz, "line %u: %s", lineno, msg);
	return st;
}

or_status
config_parse(config *c, const char *text, size_t len, char *err, size_t errsz)
{
	char line[LIMIT_CONFIG_VALUE + 256];
	size_t i = 0;
	unsigned lineno = 0;

	if (len > LIMIT_CONFIG_BYTES) {
		snprintf(err, errsz, "config file larger than %u bytes", LIMIT_CONFIG_BYTES);
		return OR_ERR_LIMIT;
	}
	while (i < len) {
		size_t start = i, n;
		or_status st;

		while (i < len && text[i] != '\n')
			i++;
		n = i - start;
		lineno++;
		if (i < len)
			i++;
		if (n >= sizeof(line)) {
			snprintf(err, errsz, "line %u: too long", lineno);
			return OR_ERR_INVALID;
		}
		if (memchr(text + start, '\0', n) != NULL) {
			snprintf(err, errsz, "line %u: NUL byte", lineno);
			return OR_ERR_INVALID;
		}
		memcpy(line, text + start, n);
		line[n] = '\0';
		st = parse_line(c, line, lineno, err, errsz);
		if (st != OR_OK)
			return st;
	}
	return OR_OK;
}

or_status
config_load_file(config *c, const char *path, bool optional, char *err, size_t errsz)
{
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd;
	or_status st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (optional && errno == ENOENT)
			return OR_OK;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return OR_ERR_IO;
	}
	text = malloc(LIMIT_CONFIG_BYTES + 1);
	if (text == NULL) {
		close(fd);
		return OR_ERR_NOMEM;
	}
	while ((n = read(fd, text + got, LIMIT_CONFIG_BYTES + 1 - got)) > 0) {
		got += (size_t)n;
		if (got > LIMIT_CONFIG_BYTES)
			break;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		free(text);
		return OR_ERR_IO;
	}
	{
		char msg[512];
		st = config_parse(c, text, got, msg, sizeof(msg));
		if (st != OR_OK)
			snprintf(err, errsz, "%s: %s", path, msg);
	}
	free(text);
	return st;
}

or_status
config_apply_env(config *c, const char *(*getenv_fn)(const char *), char *err, size_t errsz)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char env[CONFIG_NAME_MAX + 8];
		const char *v;
		size_t j, n;
		or_status st;

		n = strlen(keys[i].name);
		memcpy(env, "ONRAMP_", 7);
		for (j = 0; j < n; j++)
			env[7 + j] = (char)toupper((unsigned char)keys[i].name[j]);
		env[7 + n] = '\0';
		v = getenv_fn ? getenv_fn(env) : getenv(env);
		if (v == NULL)
			continue;
		st = config_set(c, keys[i].name, v, err, errsz);
		if (st != OR_OK) {
			char msg[512];
			str_copy(msg, sizeof(msg), err);
			snprintf(err, errsz, "environment %s: %s", env, msg);
			return st;
		}
	}
	return OR_OK;
}

const char *
config_default_path(void)
{
	const char *p = getenv("ONRAMP_CONFIG");
	return p && *p ? p : ONRAMP_CONFIG_FILE;
}

/*
 * A moved clock in production would let anyone who can write one file lift
 * every throttle and expiry, so the key needs a second, explicit switch.
 */
static or_status
check_test_keys(const config *c, char *err, size_t errsz)
{
	if (c->test_clock_file[0] && !c->test_mode) {
		snprintf(err, errsz, "test_clock_file: only for test stacks (set test_mode = 1)");
		return OR_ERR_INVALID;
	}
	/* A route that leaks memory on every call would be a denial of service. */
	if (c->test_leak_route && !c->test_mode) {
		snprintf(err, errsz, "test_leak_route: only for test stacks (set test_mode = 1)");
		return OR_ERR_INVALID;
	}
	return OR_OK;
}

or_status
config_load(config *c, const char *path, char *err, size_t errsz)
{
	or_status st;

	config_defaults(c);
	st = config_load_file(c, path ? path : config_default_path(), path == NULL, err, errsz);
	if (st == OR_OK)
		st = config_apply_env(c, NULL, err, errsz);
	if (st == OR_OK)
		st = check_test_keys(c, err, errsz);
	if (st == OR_OK)
		st = dbhosts_check(c, err, errsz);
	return st;
}

int
config_worker_count(const config *c)
{
	long n;

	if (c->workers > 0)
		return c->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > LIMIT_WORKERS_MAX)
		n = LIMIT_WORKERS_MAX;
	return (int)n;
}
