/*
 * SMTP delivery through libcurl.  The message is streamed from memory; curl
 * does the SMTP dialogue, dot-stuffing and TLS.  Credentials, when needed,
 * come from smtp_credentials_file (user= / password= lines), never from the
 * config file itself.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "onramp/smtp.h"
#include "onramp/str.h"

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct upload *u = ctx;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

or_status
smtp_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? OR_OK : OR_ERR_INTERNAL;
}

static void
load_credentials(const char *path, char *user, size_t usz, char *pass, size_t psz)
{
	char text[1024], *line, *save = NULL;
	ssize_t n;
	int fd;

	user[0] = pass[0] = '\0';
	if (path[0] == '\0' || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "user=", 5) == 0)
			str_copy(user, usz, line + 5);
		else if (strncmp(line, "password=", 9) == 0)
			str_copy(pass, psz, line + 9);
	}
	explicit_bzero(text, sizeof(text));
}

void
smtp_send(const config *cfg, const char *from_addr, const char *to_addr, const char *msg, size_t len,
	  smtp_result *res)
{
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct upload up = { msg, len };
	char from[300], to[300], user[128], pass[256], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	memset(res, 0, sizeof(*res));
	if (c == NULL) {
		str_copy(res->error, sizeof(res->error), "curl_easy_init failed");
		return;
	}
	snprintf(from, sizeof(from), "<%s>", from_addr);
	snprintf(to, sizeof(to), "<%s>", to_addr);
	rcpt = curl_slist_append(NULL, to);
	load_credentials(cfg->smtp_credentials_file, user, sizeof(user), pass, sizeof(pass));
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->mailer_timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->code);
	if (rc == CURLE_OK) {
		res->ok = true;
	} else {
		/* A 5xx reply is the server's final word on this message; anything else may pass. */
		res->permanent = res->code >= 500 && res->code < 600;
		snprintf(res->error, sizeof(res->error), "%.60s (SMTP %ld): %.160s", curl_easy_strerror(rc), res->code,
			 errbuf[0] ? errbuf : "no detail");
	}
	explicit_bzero(pass, sizeof(pass));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
}
