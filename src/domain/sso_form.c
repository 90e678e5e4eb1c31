/*
 * SSO form rules (see include/onramp/sso_form.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "onramp/identity.h"
#include "onramp/sso_form.h"

/* Consumer mail providers: an SSO domain must belong to the customer. */
static const char *const FREEMAIL[] = {
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
	"yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com",
	"proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com",
	"yandex.ru", "mail.ru", "zoho.com", "qq.com", "163.com", "126.com", "tutanota.com", "fastmail.com",
	"hey.com", "t-online.de", "orange.fr", "free.fr", "libero.it", NULL
};

bool
sso_form_domain(const char *in, char *out, size_t outsz)
{
	const char *s = in, *e;
	size_t n, i;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e > s && e[-1] == '.')
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= outsz || n > 253)
		return false;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return identity_domain_ok(out);
}

bool
sso_form_freemail(const char *domain)
{
	size_t i;

	for (i = 0; FREEMAIL[i]; i++)
		if (strcasecmp(domain, FREEMAIL[i]) == 0)
			return true;
	return false;
}

bool
sso_form_email_in(const char *email, const char *const *domains, size_t n)
{
	const char *at = strrchr(email, '@');
	size_t i, dl, el;

	if (at == NULL)
		return false;
	at++;
	el = strlen(at);
	for (i = 0; i < n; i++) {
		dl = strlen(domains[i]);
		if (strcasecmp(at, domains[i]) == 0)
			return true;
		if (el > dl + 1 && at[el - dl - 1] == '.' && strcasecmp(at + el - dl, domains[i]) == 0)
			return true;
	}
	return false;
}

bool
sso_form_claim_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SSO_FORM_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("_-.:/", s[i])))
			return false;
	return true;
}

bool
sso_form_group_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SSO_FORM_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}
