/*
 * A worker: wait for a connection with ppoll (signals are blocked except
 * while waiting, so SIGTERM can only land between requests), accept it with
 * libfcgi, turn the FastCGI params into an http_request, run the pipeline,
 * write the response, count and log it, and reset the request arena.  A
 * SIGTERM therefore lets the in-flight request finish before the worker exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include <fcgiapp.h>

#include "onramp/app.h"
#include "onramp/clock.h"
#include "onramp/facts_cache.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/password.h"
#include "onramp/saml_response.h"
#include "onramp/server.h"

/* Unread request body beyond this is not drained; the connection just closes. */
#define DRAIN_MAX (2u * 1024u * 1024u)

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long
read_stdin(void *ctx, char *buf, size_t n)
{
	int want = n > INT32_MAX ? INT32_MAX : (int)n;
	return FCGX_GetStr(buf, want, (FCGX_Stream *)ctx);
}

static const char *
param(FCGX_Request *fr, const char *name, const char *def)
{
	const char *v = FCGX_GetParam(name, fr->envp);
	return v ? v : def;
}

/* Fill the request from FastCGI params; only nginx-set params are trusted. */
static void
fill_request(const config *cfg, FCGX_Request *fr, http_request *req)
{
	const char *listener = param(fr, cfg->listener_param, "");
	const char *rid = param(fr, cfg->request_id_param, NULL);
	const char *path = param(fr, "DOCUMENT_URI", NULL);

	if (path == NULL)
		path = param(fr, "SCRIPT_NAME", "");
	req->method = param(fr, "REQUEST_METHOD", "");
	req->path = str_from_c(path);
	req->query = param(fr, "QUERY_STRING", "");
	req->content_type = param(fr, "CONTENT_TYPE", "");
	req->content_length = param(fr, "CONTENT_LENGTH", NULL);
	req->cookie_header = param(fr, "HTTP_COOKIE", "");
	req->remote_addr = param(fr, "REMOTE_ADDR", "");
	req->csrf_header = param(fr, "HTTP_X_CSRF_TOKEN", "");
	req->realm_header = param(fr, "HTTP_X_ONRAMP_REALM", "");
	req->idem_key = param(fr, "HTTP_IDEMPOTENCY_KEY", "");
	req->tls = strcmp(param(fr, cfg->tls_param, ""), "on") == 0;
	if (strcmp(listener, "public") == 0)
		req->listener = LISTENER_PUBLIC;
	else if (strcmp(listener, "operator") == 0)
		req->listener = LISTENER_OPERATOR;
	else
		req->listener = LISTENER_UNKNOWN;
	if (rid && http_request_id_ok(rid))
		str_copy(req->request_id, sizeof(req->request_id), rid);
	else if (http_new_request_id(req->request_id, sizeof(req->request_id)) != OR_OK)
		str_copy(req->request_id, sizeof(req->request_id), "unknown");
	req->now_us = clock_request_us(cfg->test_clock_file);
	req->read_body = read_stdin;
	req->read_ctx = fr->in;
}

/* Read what is left of the body so nginx is never cut off mid-upload. */
static void
drain_stdin(FCGX_Stream *in)
{
	char sink[8192];
	size_t total = 0;
	int n;

	while (total < DRAIN_MAX && (n = FCGX_GetStr(sink, sizeof(sink), in)) > 0)
		total += (size_t)n;
}

static void
serve(app *a, FCGX_Request *fr, arena *ar, or_buf *out)
{
	int64_t t0 = clock_mono_us();
	http_request req;
	http_response resp;
	size_t ri;
	log_request_line line;

	http_request_init(&req, ar);
	http_response_init(&resp);
	fill_request(a->cfg, fr, &req);
	db_request_start(a->db);
	app_dispatch(a, &req, &resp, &ri);

	buf_reset(out);
	if (http_serialize(&req, &resp, out) != OR_OK) {
		http_response_cleanup(&resp);
		http_response_init(&resp);
		http_error(&resp, 500, "internal", "The response was too large to send.");
		buf_reset(out);
		(void)http_serialize(&req, &resp, out);
	}
	drain_stdin(fr->in);
	if (out->len)
		(void)FCGX_PutStr(out->data, (int)out->len, fr->out);

	metrics_observe(a->metrics, ri, resp.status, clock_mono_us() - t0);
	memset(&line, 0, sizeof(line));
	line.method = req.method;
	line.route = ri < a->nroutes ? a->route_labels[ri] : "unmatched";
	line.status = resp.status;
	line.duration_us = clock_mono_us() - t0;
	line.request_id = req.request_id;
	line.error_code = resp.error_code;
	line.detail = (resp.status >= 500 || resp.detail_always) && !req.secret_body ? resp.detail : NULL;
	log_request(&line);

	http_response_cleanup(&resp);
	http_request_cleanup(&req);
}

static void
count_db_error(void *ctx)
{
	metrics_db_error(ctx);
}

static void
install_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(waitmask);
}

/*
 * Argon2id's area stays mapped while requests queue (a stream of sign-ins
 * reuses it) and goes back to the kernel before the worker waits: a worker
 * at rest holds no 19 MiB. One poll() per loop, only while an area is kept.
 */
static void
release_when_idle(int lfd)
{
	struct pollfd p = { lfd, POLLIN, 0 };

	if (password_area_kept() && poll(&p, 1, 0) == 0)
		(void)password_area_release();
}

int
server_worker_run(const config *cfg, int lfd, metrics *m, db_backoff *bo)
{
	pid_t master = getppid();
	sigset_t waitmask;
	FCGX_Request fr;
	arena *ar;
	or_buf out;
	app a;
	int rc = 0;

	install_signals(&waitmask);
	log_after_fork();
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		return 0;

	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	a.metrics = m;
	a.routes = api_routes(&a.nroutes);
	a.route_labels = api_route_labels();
	a.db = db_new(cfg);
	ar = arena_new(LIMIT_ARENA_BYTES);
	if (a.db == NULL || ar == NULL || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, lfd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_event(LOG_ERROR, "worker_init_failed", "out of memory or libfcgi init failed");
		db_free(a.db);
		arena_free(ar);
		return 1;
	}
	db_set_error_hook(a.db, count_db_error, m);
	db_set_backoff(a.db, bo);
	{
		char err[256];
		if (app_init_secrets(&a, err, sizeof(err)) != OR_OK)
			log_event(LOG_ERROR, "secret_key", "%s; TOTP enrollment and sign-in are disabled", err);
		if (!sso_secret_init(&a, err, sizeof(err)))
			log_event(LOG_ERROR, "secret_keyring", "%s; SSO client secrets cannot be set or used", err);
		if (!saml_xmlsec_init(err, sizeof(err)))
			log_event(LOG_ERROR, "saml_xmlsec", "%s; SAML sign-in is refused", err);
	}
	buf_init(&out, LIMIT_RESPONSE_BYTES + 4096);

	password_area_keep(true);
	while (!stop_requested) {
		struct pollfd p = { lfd, POLLIN, 0 };
		struct timespec tick = { 1, 0 };
		int n;

		release_when_idle(lfd);
		n = ppoll(&p, 1, &tick, &waitmask);

		if (n <= 0) {
			if (n < 0 && errno != EINTR) {
				log_event(LOG_ERROR, "worker_poll_failed", "%s", strerror(errno));
				rc = 1;
				break;
			}
			continue;
		}
		/* Another worker may win the accept: the socket is non-blocking. */
		if (FCGX_Accept_r(&fr) < 0)
			continue;
		serve(&a, &fr, ar, &out);
		FCGX_Finish_r(&fr);
		arena_reset(ar);
	}
	password_area_keep(false);
	FCGX_Free(&fr, 0);
	buf_free(&out);
	arena_free(ar);
	sso_secret_cleanup(&a);
	facts_cache_free(a.facts_cache);
	saml_xmlsec_shutdown();
	db_free(a.db);
	return rc;
}
