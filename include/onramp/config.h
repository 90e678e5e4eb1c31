/*
 * Configuration: one file of `key = value` lines plus environment overrides
 * (ONRAMP_<KEY in upper case>), applied over built-in defaults.  Unknown keys
 * and bad values are refused with a message naming the line, never ignored.
 * docs/config.md lists every key; config_describe() prints the same table.
 */
#ifndef ONRAMP_CONFIG_H
#define ONRAMP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/status.h"

#define CONFIG_PATH_MAX 512
#define CONFIG_NAME_MAX 128
#define CONFIG_LIST_MAX 4096	/* comma-separated lists (allowlists, overrides) */

/* Bits of config.db_addr_keys_set: the single-server keys that db_hosts conflicts with. */
#define CONFIG_DB_SOCKET_SET	1u
#define CONFIG_DB_HOST_SET	2u
#define CONFIG_DB_PORT_SET	4u

/** Whether session cookies carry the Secure attribute. */
typedef enum config_cookie_secure {
	COOKIE_SECURE_AUTO = 0,	/* when the request came over TLS (nginx HTTPS param) */
	COOKIE_SECURE_ON,
	COOKIE_SECURE_OFF
} config_cookie_secure;

/** Every setting, already validated. */
typedef struct config {
	char listen[CONFIG_PATH_MAX];		/* unix socket path or host:port */
	unsigned listen_mode;			/* unix socket permission bits */
	char listen_group[CONFIG_NAME_MAX];	/* group to own the socket ("" = keep) */
	int listen_backlog;
	int workers;				/* 0 = one per core */
	char user[CONFIG_NAME_MAX];		/* drop to this user when root ("" = stay) */
	int drain_timeout_s;			/* SIGTERM: wait this long for in-flight work */
	char pid_file[CONFIG_PATH_MAX];
	char log_file[CONFIG_PATH_MAX];		/* "" = stderr */

	char db_socket[CONFIG_PATH_MAX];	/* unix socket; wins over host when set */
	char db_host[CONFIG_NAME_MAX];
	int db_port;
	char db_hosts[CONFIG_LIST_MAX];		/* "unix:/path,host:port,[v6]:port" (dbhosts.h); replaces the three above */
	unsigned db_addr_keys_set;		/* which of db_socket/db_host/db_port were set (CONFIG_DB_*_SET) */
	int db_sync_wait;			/* wsrep_sync_wait for new connections; 0 = not sent */
	int db_host_skip_ms;			/* a failed db_hosts entry is passed over this long */
	char db_name[CONFIG_NAME_MAX];
	char db_credentials_file[CONFIG_PATH_MAX]; /* lines user=..., password=... */
	int db_connect_timeout_s;
	int db_read_timeout_s;
	int db_write_timeout_s;
	int db_retry_after_s;			/* Retry-After sent with 503 unavailable */
	int db_statement_cache;			/* prepared statements kept per connection (LRU) */
	int db_backoff_s;			/* after a timeout, every call fails at once for this long */
	int db_probe_timeout_ms;		/* /readyz's deadline for its own database check */
	int db_tx_attempts;			/* runs of a unit of work that hit a deadlock/lock wait (1 = no retry) */
	int db_lock_wait_timeout_s;		/* innodb_lock_wait_timeout of our sessions; 0 = the server's */

	size_t body_limit;			/* JSON endpoints */
	size_t body_limit_saml;			/* SAML metadata uploads */

	char listener_param[CONFIG_NAME_MAX];	/* FastCGI param nginx sets: public|operator */
	char request_id_param[CONFIG_NAME_MAX];	/* FastCGI param carrying $request_id */
	char tls_param[CONFIG_NAME_MAX];	/* FastCGI param that is "on" over TLS */

	char cookie_name_customer[CONFIG_NAME_MAX];
	char cookie_name_operator[CONFIG_NAME_MAX];
	char cookie_name_sso_setup[CONFIG_NAME_MAX];	/* a setup-link holder's session (Path=/api/v1/sso) */
	config_cookie_secure cookie_secure;
	int session_idle_timeout_s;
	int session_absolute_timeout_s;

	char public_base_url[CONFIG_PATH_MAX];
	char operator_base_url[CONFIG_PATH_MAX];

	char secret_key_file[CONFIG_PATH_MAX];	/* 64 hex chars: seals TOTP secrets */
	char secret_keyring_file[CONFIG_PATH_MAX];	/* "<key_id> <base64>" lines: seals SSO client secrets */
	int login_window_s;			/* throttling window */
	int login_max_failures_account;		/* failures per account per window */
	int login_max_failures_addr;		/* failures per client address per window */
	int reset_token_ttl_s;			/* password reset link lifetime */
	int reset_window_s;			/* the window of the two reset limits below */
	int reset_requests_per_addr;		/* forgot-password requests per client address per window */
	int reset_mails_per_account;		/* reset mails per account per window (applied silently) */
	int invite_ttl_s;			/* invite links live this long */
	int invite_rate_per_hour;		/* invite mails (new and resent) per customer per hour */
	int argon2_m_kib;
	int argon2_t;
	int argon2_p;
	char totp_issuer[CONFIG_NAME_MAX];

	char smtp_url[CONFIG_PATH_MAX];		/* smtp://host:port or smtps:// */
	char smtp_credentials_file[CONFIG_PATH_MAX];
	char mail_from[CONFIG_NAME_MAX];
	char support_email[CONFIG_NAME_MAX];	/* where support requests are mailed; "" = stored only */
	int mailer_poll_ms;
	int mailer_max_attempts;
	int mailer_timeout_s;
	int sso_fetch_allow_http;			/* 1: http:// IdP URLs too (on-prem only) */
	char sso_fetch_allowlist[CONFIG_LIST_MAX];	/* hosts, host:port, addresses, CIDRs admitted despite their class */
	char sso_fetch_ca_file[CONFIG_PATH_MAX];	/* extra CA certificates for IdP fetches */
	char sso_fetch_connect_to[CONFIG_LIST_MAX];	/* host:port:addr:port overrides (tests, split DNS) */
	int sso_fetch_timeout_ms;
	char sso_clock[CONFIG_NAME_MAX];		/* "YYYY-MM-DD HH:MM:SS" UTC: validate as of then ("" = now) */
	size_t sso_fetch_max_bytes;
	int sso_token_timeout_ms;		/* a sign-in's token and userinfo requests (the user waits) */
	int sso_jwks_ttl_s;			/* how long a cached JWKS is used before it is fetched again */
	int sso_token_exchanges_per_min;	/* token exchanges per customer per minute, then 429 */
	int sso_starts_per_addr;		/* POST /sso/start per client address per login_window_s */
	int fetcher_jobs;			/* onramp-fetcher: jobs run at once (the overall cap) */
	int fetcher_poll_ms;			/* how often an idle runner looks for a job */
	int fetcher_lease_s;			/* a claimed job is another runner's after this */
	int fetcher_max_attempts;		/* claims of a job whose runners keep dying, then failed */
	int test_mode;				/* 1: a test stack; admits the test_* keys */
	char test_clock_file[CONFIG_PATH_MAX];	/* workers add the seconds in it to the clock (test_mode) */
	int test_leak_route;			/* 1: POST /api/v1/test/leaks plants a leak (test_mode) */
} config;

/** Fill c with the built-in defaults. */
void config_defaults(config *c);

/**
 * Apply the text of a config file (len bytes) over c.  On failure err gets a
 * message naming the line and key; c may be partly updated.
 */
or_status config_parse(config *c, const char *text, size_t len, char *err, size_t errsz);

/** Read and apply a config file; a missing file is an error unless optional. */
or_status config_load_file(config *c, const char *path, bool optional, char *err, size_t errsz);

/**
 * Apply environment overrides.  getenv_fn lets tests pass a fake environment;
 * NULL means getenv.
 */
or_status config_apply_env(config *c, const char *(*getenv_fn)(const char *),
			   char *err, size_t errsz);

/** Set one key from a string (file, environment and tests share this). */
or_status config_set(config *c, const char *key, const char *value, char *err, size_t errsz);

/* The installed config file: Makefile.am defines it from $(sysconfdir) (GNU: never from configure). */
#ifndef ONRAMP_CONFIG_FILE
#define ONRAMP_CONFIG_FILE "/etc/onramp/onramp.conf"
#endif

/** Default config path: $ONRAMP_CONFIG or ONRAMP_CONFIG_FILE ($(sysconfdir)/onramp/onramp.conf). */
const char *config_default_path(void);

/**
 * Load defaults, the file (optional when path is NULL) and the environment;
 * then refuse test-only keys unless test_mode is on.
 */
or_status config_load(config *c, const char *path, char *err, size_t errsz);

/** Number of workers to run: the configured count or the number of cores. */
int config_worker_count(const config *c);

#endif
