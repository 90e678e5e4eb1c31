/*
 * The secret scanner (include/onramp/secretscan.h): decides whether free text
 * a customer typed holds something that must never be stored.
 *
 * No regex library: every rule is a hand-written matcher, and the work stays
 * linear in the input whatever it holds.  A matcher starts only where its
 * token can begin (the start of a run of its characters, a word start, or a
 * fixed needle), walks each run a bounded number of times, and reads at most
 * VALUE_CAP bytes of any value, so hostile input costs a constant per byte,
 * never a quadratic blow-up.  Nothing is allocated.
 *
 * Rules run in a fixed order, most specific first (a JWT after "Bearer" is
 * reported as a JWT), and the first rule that matches anywhere names the
 * kind.  Precision matters as much as recall, because the fields hold
 * business notes: every rule anchors on syntax nobody types by accident (a
 * PEM header, a vendor key prefix, key=value syntax, a Luhn-valid number with
 * an issuer prefix) and never on "long and random" alone, which would flag
 * certificates, commit SHAs and UUIDs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "onramp/secretscan.h"
#include "secretscan_internal.h"

/* The longest value a matcher reads; longer values are judged on this prefix. */
#define VALUE_CAP 256
/* How far around a 40-character base64 run "aws"/"secret" wording may sit. */
#define AWS_WORDING_REACH 80

typedef struct scan {
	const unsigned char *s;
	size_t n;
} scan;

typedef bool (*cclass)(unsigned char);

/* ---- characters and small helpers ------------------------------------------ */

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool is_alnum(unsigned char c) { return is_upper(c) || is_lower(c) || is_digit(c); }
static bool is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
static bool is_upnum(unsigned char c) { return is_upper(c) || is_digit(c); }
static bool is_alnum_us(unsigned char c) { return is_alnum(c) || c == '_'; }
static bool is_b64url(unsigned char c) { return is_alnum(c) || c == '-' || c == '_'; }
static bool is_b64(unsigned char c) { return is_alnum(c) || c == '+' || c == '/'; }
static bool is_blank(unsigned char c) { return c == ' ' || c == '\t'; }
static bool is_ws(unsigned char c) { return is_blank(c) || (c >= '\n' && c <= '\r'); }
static bool is_hookc(unsigned char c) { return is_alnum(c) || c == '/' || c == '_' || c == '-'; }
static bool is_azurec(unsigned char c) { return is_b64url(c) || c == '~' || c == '.'; }

/* RFC 6750 b64token, plus '%' so percent-encoded values stay one token. */
static bool
is_tokenc(unsigned char c)
{
	return is_b64url(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' || c == '%';
}

/* A query-string value runs to the next parameter, fragment or quote. */
static bool
is_qvalue(unsigned char c)
{
	return !is_ws(c) && c != '&' && c != '#' && c != ';' && c != '"' && c != '\'' &&
	       c != '<' && c != '>';
}

/* A bare key=value value runs to whitespace, a quote or a list separator. */
static bool
is_bare(unsigned char c)
{
	return !is_ws(c) && c != '"' && c != '\'' && c != '`' && c != '&' && c != ',' && c != ';';
}

static unsigned char
to_lower(unsigned char c)
{
	return is_upper(c) ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The byte at i, or 0 past the end (0 matches no class and no needle). */
static unsigned char
at(const scan *t, size_t i)
{
	return i < t->n ? t->s[i] : 0;
}

/* Whether the text at i starts with needle, byte for byte. */
static bool
at_cs(const scan *t, size_t i, const char *needle)
{
	size_t k;

	for (k = 0; needle[k]; k++)
		if (at(t, i + k) != (unsigned char)needle[k])
			return false;
	return true;
}

/* Whether the text at i starts with the lowercase needle, ignoring ASCII case. */
static bool
at_ci(const scan *t, size_t i, const char *needle)
{
	size_t k;

	for (k = 0; needle[k]; k++)
		if (to_lower(at(t, i + k)) != (unsigned char)needle[k])
			return false;
	return true;
}

/* Length of the run of class cls starting at i, counting at most cap bytes. */
static size_t
span(const scan *t, size_t i, cclass cls, size_t cap)
{
	size_t k = 0;

	while (i + k < t->n && k < cap && cls(t->s[i + k]))
		k++;
	return k;
}

static size_t
skip_blanks(const scan *t, size_t i)
{
	return i + span(t, i, is_blank, 4);
}

static bool
word_start(const scan *t, size_t i)
{
	return i == 0 || !is_alnum(t->s[i - 1]);
}

static int
class_of(unsigned char c)
{
	return is_lower(c) ? 1 : is_upper(c) ? 2 : is_digit(c) ? 3 : 0;
}

/*
 * Machine-made rather than written: adjacent letters and digits switch
 * between lower, upper and digit often.  Random base62 switches on ~60% of
 * pairs and hex on ~45%; words, "order2024summary" and SHOUTING-CODES switch
 * rarely, so a fifth (and at least four switches) separates them.
 */
static bool
random_looking(const unsigned char *v, size_t n)
{
	size_t i, changes = 0;

	if (n > VALUE_CAP)
		n = VALUE_CAP;
	for (i = 1; i < n; i++) {
		int a = class_of(v[i - 1]), b = class_of(v[i]);
		if (a && b && a != b)
			changes++;
	}
	return changes >= 4 && changes * 5 >= n;
}

static bool
has_all_classes(const unsigned char *v, size_t n)
{
	bool up = false, lo = false, dg = false;
	size_t i;

	for (i = 0; i < n; i++) {
		up |= is_upper(v[i]);
		lo |= is_lower(v[i]);
		dg |= is_digit(v[i]);
	}
	return up && lo && dg;
}

static bool
equal_ci(const unsigned char *v, size_t n, const char *lower)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (lower[k] == '\0' || to_lower(v[k]) != (unsigned char)lower[k])
			return false;
	return lower[n] == '\0';
}

/*
 * A value that stands for a secret without being one: empty, filler such as
 * "***", "xxx" (three or more), "•••" or "...", a bracketed template ("<redacted>",
 * "{{pw}}", "[hidden]"), a variable reference ("${DB_PASS}", "$DB_PASS",
 * "%s"), or a word such as "null" or "redacted".
 */
static bool
placeholder(const unsigned char *v, size_t n)
{
	static const char *const words[] = {
		"null", "nil", "none", "empty", "n/a", "na", "tbd", "todo", "unknown", "undefined",
		"true", "false", "redacted", "removed", "hidden", "masked", "omitted", NULL
	};
	static const char filler[] = "*.#-_?\xe2\x80\xa2\xa6\x97\x8f";
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n && memchr(filler, v[i], sizeof(filler) - 1) != NULL; i++)
		;
	if (i == n)
		return true;
	for (i = 0; i < n && to_lower(v[i]) == 'x'; i++)
		;
	if (i == n && n >= 3)
		return true;
	if (n >= 2 && ((v[0] == '<' && v[n - 1] == '>') || (v[0] == '[' && v[n - 1] == ']') ||
		       (v[0] == '{' && v[n - 1] == '}') || (v[0] == '(' && v[n - 1] == ')')))
		return true;
	if (v[0] == '%' && (n <= 2 || v[1] == '('))
		return true;
	if (v[0] == '$' && n >= 2 && (v[1] == '{' || v[1] == '(' || is_upper(v[1]) || v[1] == '_')) {
		for (i = 2; i < n && (is_upnum(v[i]) || v[i] == '_' || v[i] == '}' || v[i] == ')'); i++)
			;
		if (v[1] == '{' || v[1] == '(' || i == n)
			return true;
	}
	for (i = 0; words[i]; i++)
		if (equal_ci(v, n, words[i]))
			return true;
	return false;
}

/* Decode base64 (either alphabet) until a non-base64 byte; returns bytes written. */
static size_t
b64_decode(const unsigned char *in, size_t n, unsigned char *out, size_t outsz)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n && o < outsz; i++) {
		unsigned char c = in[i];
		uint32_t v;

		if (is_upper(c))
			v = (uint32_t)(c - 'A');
		else if (is_lower(c))
			v = (uint32_t)(c - 'a' + 26);
		else if (is_digit(c))
			v = (uint32_t)(c - '0' + 52);
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			break;
		acc = (acc << 6 | v) & 0xffffffu;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

static bool
contains(const unsigned char *hay, size_t n, const char *needle)
{
	size_t i, m = strlen(needle);

	for (i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* ---- private keys ------------------------------------------------------------ */

/* "PRIVATE KEY" at i ends "-----BEGIN <UPPERCASE LABEL> " (or ssh.com's "---- BEGIN"). */
static bool
pem_begin_before(const scan *t, size_t i)
{
	size_t j = i, lim = i > 40 ? i - 40 : 0;

	while (j > lim && (is_upnum(t->s[j - 1]) || t->s[j - 1] == ' '))
		j--;
	if (j < 4 || !at_cs(t, j - 4, "----"))
		return false;
	while (j < i && t->s[j] == ' ')
		j++;
	return at_cs(t, j, "BEGIN ");
}

/*
 * The first bytes of a key body whose PEM lines were stripped, at the start of
 * a base64 run ('?' stands for length bytes).  Public certificates and keys
 * begin differently: these all encode "version 0 or 1, then secret material".
 */
static const char *const KEY_BODIES[] = {
	"b3BlbnNzaC1rZXktdjE",			/* "openssh-key-v1" */
	"MII???IBAAK",				/* PKCS#1 RSAPrivateKey */
	"MII???IBADANBgkqhkiG9w0BAQEFAASC",	/* PKCS#8 RSA */
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49",	/* PKCS#8 EC P-256 */
	"MHcCAQEEI",				/* SEC1 EC P-256 */
	"MIGkAgEBBD",				/* SEC1 EC P-384 */
	"MII???IBAzCC",				/* PKCS#12 (.pfx/.p12): keys with their certificate */
	"MC4CAQAwBQYDK2VwBCIEI",		/* PKCS#8 Ed25519 */
	NULL
};

static bool
key_body_at(const scan *t, size_t i)
{
	size_t b, k;

	for (b = 0; KEY_BODIES[b]; b++) {
		for (k = 0; KEY_BODIES[b][k]; k++)
			if (KEY_BODIES[b][k] != '?' ? at(t, i + k) != (unsigned char)KEY_BODIES[b][k]
						    : !is_b64(at(t, i + k)))
				break;
		if (KEY_BODIES[b][k] == '\0')
			return true;
	}
	return false;
}

/* A JWK member "d" (the private exponent or scalar) with a base64url value. */
static bool
jwk_d_at(const scan *t, size_t i)
{
	size_t j;

	if (!at_cs(t, i, "\"d\""))
		return false;
	j = skip_blanks(t, i + 3);
	if (at(t, j) != ':')
		return false;
	j = skip_blanks(t, j + 1);
	return at(t, j) == '"' && span(t, j + 1, is_b64url, 20) >= 20;
}

static secretscan_kind
find_private_key(const secretscan_ctx *ctx, const scan *t)
{
	int kty = -1; /* whether the text names a JWK key type; searched once, lazily */
	size_t i, k;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		unsigned char c = t->s[i];

		if (c == 'P' && ((at_cs(t, i, "PRIVATE KEY") && pem_begin_before(t, i)) ||
				 at_cs(t, i, "PuTTY-User-Key-File-")))
			return SECRET_PRIVATE_KEY;
		if (c == 'M' || c == 'b') {
			if ((i == 0 || !is_b64(t->s[i - 1])) && key_body_at(t, i))
				return SECRET_PRIVATE_KEY;
		} else if (c == '"' && jwk_d_at(t, i)) {
			for (k = 0; kty < 0 && k < t->n; k++)
				if (at_cs(t, k, "\"kty\""))
					kty = 1;
			if (kty < 0)
				kty = 0;
			if (kty)
				return SECRET_PRIVATE_KEY;
		}
	}
	return SECRET_NONE;
}

/* ---- this deployment's own links --------------------------------------------- */

/* The base URL without its scheme and trailing slashes: "console.example.com". */
static const char *
base_host(const secretscan_ctx *ctx, size_t *len)
{
	const char *b, *p;
	size_t n;

	if (ctx == NULL || ctx->public_base_url == NULL)
		return NULL;
	b = ctx->public_base_url;
	p = strstr(b, "://");
	if (p != NULL)
		b = p + 3;
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		n--;
	*len = n;
	return n > 0 && n <= VALUE_CAP ? b : NULL;
}

/* "<host>/invite" or "<host>/reset-password" at the slash at i, then a token nearby. */
static bool
own_path_at(const scan *t, size_t i, const char *host, size_t hl)
{
	size_t p, k, v, m;
	unsigned char c;

	if (at_ci(t, i, "/invite"))
		p = i + 7;
	else if (at_ci(t, i, "/reset-password"))
		p = i + 15;
	else
		return false;
	if (i < hl)
		return false;
	for (m = 0; m < hl; m++)
		if (to_lower(t->s[i - hl + m]) != to_lower((unsigned char)host[m]))
			return false;
	c = at(t, p);
	if (c != '#' && c != '?' && c != '/')
		return false;
	for (k = p + 1; k < p + 24 && k < t->n; k += v ? v : 1) {
		v = span(t, k, is_b64url, VALUE_CAP);
		if (v >= 16 && random_looking(t->s + k, v))
			return true;
	}
	return false;
}

static secretscan_kind
find_own_link(const secretscan_ctx *ctx, const scan *t)
{
	size_t i, hl = 0;
	const char *host = base_host(ctx, &hl);

	for (i = 0; i < t->n; i++) {
		if (t->s[i] != '/')
			continue;
		if ((at_ci(t, i, "/invite#token=") && span(t, i + 14, is_b64url, 16) >= 16) ||
		    (at_ci(t, i, "/reset-password#token=") && span(t, i + 22, is_b64url, 16) >= 16) ||
		    (host != NULL && own_path_at(t, i, host, hl)))
			return SECRET_OWN_LINK;
	}
	return SECRET_NONE;
}

/* ---- JWTs -------------------------------------------------------------------- */

/* Whether a base64url segment decodes to a JSON object naming "alg". */
static bool
header_has_alg(const unsigned char *seg, size_t n)
{
	unsigned char out[384];
	size_t o = b64_decode(seg, n > 512 ? 512 : n, out, sizeof(out));

	return o > 0 && out[0] == '{' && contains(out, o, "\"alg\"");
}

static secretscan_kind
find_jwt(const secretscan_ctx *ctx, const scan *t)
{
	size_t i = 0, a, b;

	(void)ctx;
	while (i < t->n) {
		if (!is_b64url(t->s[i])) {
			i++;
			continue;
		}
		a = span(t, i, is_b64url, SIZE_MAX);
		if (a >= 16 && at_cs(t, i, "ey") && at(t, i + a) == '.' &&
		    (b = span(t, i + a + 1, is_b64url, SIZE_MAX)) >= 2 && at(t, i + a + 1 + b) == '.' &&
		    header_has_alg(t->s + i, a))
			return SECRET_JWT;
		i += a;
	}
	return SECRET_NONE;
}

/* ---- vendor key formats --------------------------------------------------------- */

typedef struct keyfmt {
	const char *prefix;
	cclass rest;		/* the characters after the prefix */
	unsigned short min, max;	/* how many of them */
	bool random;		/* short prefixes also need a random-looking rest */
	secretscan_kind kind;
} keyfmt;

static const keyfmt KEYFMTS[] = {
	{ "AKIA", is_upnum, 16, 16, false, SECRET_API_KEY },	/* AWS access key id */
	{ "ASIA", is_upnum, 16, 16, false, SECRET_API_KEY },	/* AWS temporary key id */
	{ "ghp_", is_alnum, 30, 255, false, SECRET_API_KEY },	/* GitHub */
	{ "gho_", is_alnum, 30, 255, false, SECRET_API_KEY },
	{ "ghu_", is_alnum, 30, 255, false, SECRET_API_KEY },
	{ "ghs_", is_alnum, 30, 255, false, SECRET_API_KEY },
	{ "ghr_", is_alnum, 30, 255, false, SECRET_API_KEY },
	{ "github_pat_", is_alnum_us, 40, 255, false, SECRET_API_KEY },
	{ "glpat-", is_b64url, 20, 255, false, SECRET_API_KEY },	/* GitLab */
	{ "xoxa-", is_b64url, 10, 255, false, SECRET_API_KEY },	/* Slack */
	{ "xoxb-", is_b64url, 10, 255, false, SECRET_API_KEY },
	{ "xoxp-", is_b64url, 10, 255, false, SECRET_API_KEY },
	{ "xoxr-", is_b64url, 10, 255, false, SECRET_API_KEY },
	{ "xoxs-", is_b64url, 10, 255, false, SECRET_API_KEY },
	{ "xapp-", is_b64url, 10, 255, false, SECRET_API_KEY },
	{ "AIza", is_b64url, 35, 35, false, SECRET_API_KEY },	/* Google API key */
	{ "sk_live_", is_alnum, 16, 255, false, SECRET_API_KEY },	/* Stripe secret/restricted */
	{ "sk_test_", is_alnum, 16, 255, false, SECRET_API_KEY },
	{ "rk_live_", is_alnum, 16, 255, false, SECRET_API_KEY },
	{ "rk_test_", is_alnum, 16, 255, false, SECRET_API_KEY },
	{ "whsec_", is_alnum, 24, 255, false, SECRET_API_KEY },	/* Stripe webhook secret */
	{ "sk-", is_b64url, 20, 255, true, SECRET_API_KEY },	/* OpenAI, Anthropic */
	{ "npm_", is_alnum, 30, 255, false, SECRET_API_KEY },
	{ "pypi-", is_b64url, 50, 255, true, SECRET_API_KEY },
	{ "hf_", is_alnum, 30, 255, true, SECRET_API_KEY },	/* Hugging Face */
	{ "dop_v1_", is_alnum, 64, 64, false, SECRET_API_KEY },	/* DigitalOcean */
	{ "shpat_", is_alnum, 32, 32, false, SECRET_API_KEY },	/* Shopify */
	{ "shpss_", is_alnum, 32, 32, false, SECRET_API_KEY },
	{ "GOCSPX-", is_b64url, 24, 255, false, SECRET_CLIENT_SECRET },	/* Google OAuth client secret */
	{ NULL, NULL, 0, 0, false, SECRET_NONE }
};

/* An all-letter prefix inside standard base64 ("...+AIza...") is chance, not a key. */
static bool
inside_base64(const scan *t, size_t i, size_t end, const char *prefix)
{
	size_t k;

	for (k = 0; prefix[k]; k++)
		if (!is_alnum((unsigned char)prefix[k]))
			return false;
	return (i > 0 && t->s[i - 1] == '+') || at(t, end) == '+' || at(t, end) == '/' ||
	       at(t, end) == '=';
}

/* The key format at the start of the base64url run at i, if any. */
static secretscan_kind
key_at(const scan *t, size_t i)
{
	const keyfmt *f;
	size_t pl, r, a, b;

	for (f = KEYFMTS; f->prefix; f++) {
		if (!at_cs(t, i, f->prefix))
			continue;
		pl = strlen(f->prefix);
		r = span(t, i + pl, f->rest, (size_t)f->max + 1);
		if (r < f->min || r > f->max || is_b64url(at(t, i + pl + r)) ||
		    (f->random && !random_looking(t->s + i + pl, r)) ||
		    inside_base64(t, i, i + pl + r, f->prefix))
			continue;
		return f->kind;
	}
	if (at_cs(t, i, "SG.")) {	/* SendGrid: SG.<id>.<secret> */
		a = span(t, i + 3, is_b64url, 33);
		b = span(t, i + 4 + a, is_b64url, 65);
		if (a >= 16 && a <= 32 && at(t, i + 3 + a) == '.' && b >= 30 && b <= 64)
			return SECRET_API_KEY;
	}
	return SECRET_NONE;
}

static secretscan_kind
find_key_formats(const secretscan_ctx *ctx, const scan *t)
{
	size_t i = 0;
	secretscan_kind k;

	(void)ctx;
	while (i < t->n) {
		if (!is_b64url(t->s[i])) {
			i++;
			continue;
		}
		if ((k = key_at(t, i)) != SECRET_NONE)
			return k;
		i += span(t, i, is_b64url, SIZE_MAX);
	}
	return SECRET_NONE;
}

/* Azure AD client secret: 3 characters, a digit, "Q~", then 31-34 more. */
static bool
azure_secret_at(const scan *t, size_t i)
{
	size_t r;

	if (i < 4 || !is_digit(t->s[i - 1]) || !is_azurec(t->s[i - 2]) || !is_azurec(t->s[i - 3]) ||
	    !is_azurec(t->s[i - 4]) || (i > 4 && is_azurec(t->s[i - 5])))
		return false;
	r = span(t, i + 2, is_azurec, 35);
	return r >= 31 && r <= 34;
}

/* Needles that carry their own secret: webhook URLs and connection-string keys. */
static secretscan_kind
find_key_needles(const secretscan_ctx *ctx, const scan *t)
{
	static const struct { const char *needle; size_t min; } hooks[] = {
		{ "hooks.slack.com/services/", 20 }, { "hooks.slack.com/workflows/", 20 },
		{ "discord.com/api/webhooks/", 20 }, { "discordapp.com/api/webhooks/", 20 },
		{ "accountkey=", 40 }, { "sharedaccesskey=", 20 }, { NULL, 0 }
	};
	size_t i, h;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		unsigned char c = to_lower(t->s[i]);

		if (t->s[i] == 'Q' && at(t, i + 1) == '~' && azure_secret_at(t, i))
			return SECRET_CLIENT_SECRET;
		if (c != 'h' && c != 'd' && c != 'a' && c != 's')
			continue;
		for (h = 0; hooks[h].needle; h++) {
			size_t nl = strlen(hooks[h].needle);
			cclass cls = hooks[h].needle[nl - 1] == '=' ? is_b64 : is_hookc;
			if (at_ci(t, i, hooks[h].needle) && span(t, i + nl, cls, hooks[h].min) >= hooks[h].min)
				return SECRET_API_KEY;
		}
	}
	return SECRET_NONE;
}

static bool
wording_near(const scan *t, size_t from, size_t to)
{
	size_t k;

	for (k = from; k < to && k < t->n; k++)
		if (at_ci(t, k, "aws") || at_ci(t, k, "secret"))
			return true;
	return false;
}

/* AWS secret access key: exactly 40 base64 characters next to "aws"/"secret". */
static secretscan_kind
find_aws_secret(const secretscan_ctx *ctx, const scan *t)
{
	size_t i = 0, r;

	(void)ctx;
	while (i < t->n) {
		if (!is_b64(t->s[i])) {
			i++;
			continue;
		}
		r = span(t, i, is_b64, SIZE_MAX);
		if (r == 40 && at(t, i + r) != '=' && has_all_classes(t->s + i, r) &&
		    wording_near(t, i > AWS_WORDING_REACH ? i - AWS_WORDING_REACH : 0,
				 i + r + AWS_WORDING_REACH))
			return SECRET_API_KEY;
		i += r;
	}
	return SECRET_NONE;
}

/* ---- URLs -------------------------------------------------------------------- */

static bool
authority_end(unsigned char c)
{
	return is_ws(c) || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' ||
	       c == '>' || c == '\\' || c == ',';
}

/*
 * scheme://user:password@host (the documentation template "user:password@"
 * excepted), or a machine-made token as the user name.
 */
static bool
userinfo_secret(const scan *t, size_t j)
{
	size_t k, atp = SIZE_MAX;

	for (k = j; k < t->n && k - j < VALUE_CAP && !authority_end(t->s[k]); k++)
		if (t->s[k] == '@')
			atp = k;
	if (atp == SIZE_MAX)
		return false;
	for (k = j; k < atp; k++)
		if (t->s[k] == ':')
			return !placeholder(t->s + k + 1, atp - k - 1) &&
			       !equal_ci(t->s + k + 1, atp - k - 1, "pass") &&
			       !equal_ci(t->s + k + 1, atp - k - 1, "password");
	return atp - j >= 20 && random_looking(t->s + j, atp - j);
}

typedef struct qparam {
	const char *name;
	unsigned short min;
	bool random;		/* token-like: value must also look machine-made */
	secretscan_kind kind;
} qparam;

static const qparam QPARAMS[] = {
	{ "access_token", 16, true, SECRET_URL_CREDENTIALS },
	{ "id_token", 16, true, SECRET_URL_CREDENTIALS },
	{ "refresh_token", 16, true, SECRET_URL_CREDENTIALS },
	{ "auth_token", 16, true, SECRET_URL_CREDENTIALS },
	{ "token", 16, true, SECRET_URL_CREDENTIALS },
	{ "sig", 16, true, SECRET_URL_CREDENTIALS },		/* Azure SAS (with sv=) */
	{ "signature", 16, true, SECRET_URL_CREDENTIALS },
	{ "x-amz-signature", 16, true, SECRET_URL_CREDENTIALS },
	{ "x-amz-security-token", 16, true, SECRET_URL_CREDENTIALS },
	{ "x-goog-signature", 16, true, SECRET_URL_CREDENTIALS },
	{ "key", 16, true, SECRET_URL_CREDENTIALS },
	{ "apikey", 16, true, SECRET_URL_CREDENTIALS },
	{ "api_key", 16, true, SECRET_URL_CREDENTIALS },
	{ "api-key", 16, true, SECRET_URL_CREDENTIALS },
	{ "code", 20, true, SECRET_URL_CREDENTIALS },		/* OAuth authorization code */
	{ "client_secret", 1, false, SECRET_CLIENT_SECRET },
	{ "secret", 1, false, SECRET_URL_CREDENTIALS },
	{ "password", 1, false, SECRET_URL_CREDENTIALS },
	{ NULL, 0, false, SECRET_NONE }
};

/* A token-like parameter right after a '?', '&', '#' or ';'. */
static secretscan_kind
query_secret(const scan *t, size_t j)
{
	const qparam *q;
	size_t nl, v;

	if (at(t, j) == '\0' || strchr("acikprstx", to_lower(at(t, j))) == NULL)
		return SECRET_NONE;
	for (q = QPARAMS; q->name; q++) {
		nl = strlen(q->name);
		if (!at_ci(t, j, q->name) || at(t, j + nl) != '=')
			continue;
		v = span(t, j + nl + 1, is_qvalue, VALUE_CAP);
		if (v >= q->min && (q->random ? random_looking(t->s + j + nl + 1, v)
					      : !placeholder(t->s + j + nl + 1, v)))
			return q->kind;
	}
	return SECRET_NONE;
}

static secretscan_kind
find_url_secrets(const secretscan_ctx *ctx, const scan *t)
{
	size_t i;
	secretscan_kind k;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		unsigned char c = t->s[i];

		if (c == ':' && i > 0 && is_alnum(t->s[i - 1]) && at_cs(t, i, "://") &&
		    userinfo_secret(t, i + 3))
			return SECRET_URL_CREDENTIALS;
		if ((c == '?' || c == '&' || c == '#' || c == ';') &&
		    (k = query_secret(t, i + 1)) != SECRET_NONE)
			return k;
	}
	return SECRET_NONE;
}

/* ---- bearer tokens, Authorization headers, session cookies --------------------- */

/* The token after "Bearer": blanks, then at least 20 machine-made token characters. */
static bool
bearer_at(const scan *t, size_t j)
{
	size_t k = skip_blanks(t, j), v;

	if (k == j)
		return false;
	v = span(t, k, is_tokenc, VALUE_CAP);
	return v >= 20 && random_looking(t->s + k, v);
}

/* Basic credentials: base64 that decodes to "user:password". */
static bool
basic_pair(const unsigned char *v, size_t n)
{
	unsigned char out[VALUE_CAP];
	size_t o = b64_decode(v, n, out, sizeof(out));

	return n >= 8 && memchr(out, ':', o) != NULL;
}

/* "Authorization: <scheme> <credentials>" or "Authorization: <token>". */
static bool
authorization_at(const scan *t, size_t j)
{
	size_t sch, k, v;

	if (at(t, j) == '"' || at(t, j) == '\'')
		j++;
	j = skip_blanks(t, j);
	if (at(t, j) != ':' && at(t, j) != '=')
		return false;
	j = skip_blanks(t, j + 1);
	if (at(t, j) == '"' || at(t, j) == '\'')
		j++;
	sch = span(t, j, is_b64url, 32);
	k = skip_blanks(t, j + sch);
	if (sch > 0 && k > j + sch && (v = span(t, k, is_tokenc, VALUE_CAP)) > 0) {
		if (equal_ci(t->s + j, sch, "basic"))
			return basic_pair(t->s + k, v);
		return v >= 16 && random_looking(t->s + k, v);
	}
	v = span(t, j, is_tokenc, VALUE_CAP);
	return v >= 20 && random_looking(t->s + j, v);
}

/* A session cookie pair: name=<at least 16 machine-made characters>. */
static bool
session_at(const scan *t, size_t i)
{
	static const char *const names[] = {
		"session", "sessionid", "session_id", "session-id", "jsessionid", "phpsessid",
		"connect.sid", NULL
	};
	size_t k, nl, v;

	for (k = 0; names[k]; k++) {
		nl = strlen(names[k]);
		if (!at_ci(t, i, names[k]) || at(t, i + nl) != '=')
			continue;
		v = span(t, i + nl + 1, is_tokenc, VALUE_CAP);
		if (v >= 16 && random_looking(t->s + i + nl + 1, v))
			return true;
	}
	return false;
}

static secretscan_kind
find_bearer(const secretscan_ctx *ctx, const scan *t)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		if (!is_alpha(t->s[i]) || !word_start(t, i) ||
		    strchr("abcjps", to_lower(t->s[i])) == NULL)
			continue;
		if ((at_ci(t, i, "bearer") && bearer_at(t, i + 6)) ||
		    (at_ci(t, i, "authorization") && !is_alnum(at(t, i + 13)) &&
		     authorization_at(t, i + 13)) ||
		    session_at(t, i))
			return SECRET_BEARER_TOKEN;
	}
	return SECRET_NONE;
}

/* ---- key=value pairs ------------------------------------------------------------- */

enum pair_how {
	PAIR_PASSWORD,	/* any real value when strict; a password-shaped word when loose */
	PAIR_STRICT,	/* "pass": too common in prose ("boarding pass: 12B") to read loosely */
	PAIR_PWD,	/* as PAIR_PASSWORD, but "pwd: /home/x" is a shell's working directory */
	PAIR_TOKEN	/* 8+ characters when strict; 12+ machine-made ones when loose */
};

static const struct pairkey {
	const char *name;
	enum pair_how how;
	secretscan_kind kind;
} PAIRKEYS[] = {
	{ "client_secret", PAIR_PASSWORD, SECRET_CLIENT_SECRET },
	{ "client-secret", PAIR_PASSWORD, SECRET_CLIENT_SECRET },
	{ "clientsecret", PAIR_PASSWORD, SECRET_CLIENT_SECRET },
	{ "client secret", PAIR_PASSWORD, SECRET_CLIENT_SECRET },
	{ "secret_key", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "secret-key", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "secretkey", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "secret key", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "password", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "passwd", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "passphrase", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "secret", PAIR_PASSWORD, SECRET_PASSWORD_PAIR },
	{ "pass", PAIR_STRICT, SECRET_PASSWORD_PAIR },
	{ "pwd", PAIR_PWD, SECRET_PASSWORD_PAIR },
	{ "api_key", PAIR_TOKEN, SECRET_PASSWORD_PAIR },
	{ "api-key", PAIR_TOKEN, SECRET_PASSWORD_PAIR },
	{ "apikey", PAIR_TOKEN, SECRET_PASSWORD_PAIR },
	{ "api key", PAIR_TOKEN, SECRET_PASSWORD_PAIR },
	{ "token", PAIR_TOKEN, SECRET_PASSWORD_PAIR },
	{ NULL, PAIR_PASSWORD, SECRET_NONE }
};

typedef struct pairval {
	size_t at, len;
	bool strict;	/* no space after '=' or ':', or a quoted value: clearly data */
} pairval;

/* Whether the bare value ends in a closer it never opened: "<string>]" in "[a: <string>]". */
static bool
unopened_closer(const unsigned char *v, size_t n)
{
	static const char pairs[] = "()[]{}";
	const char *c = n > 0 && v[n - 1] != '\0' ? strchr(pairs, v[n - 1]) : NULL;

	return c != NULL && (c - pairs) % 2 == 1 && memchr(v, c[-1], n - 1) == NULL;
}

/* Drops sentence punctuation after a bare value, and one bracket it did not open. */
static size_t
trim_bare(const unsigned char *v, size_t k)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		while (k > 0 && (v[k - 1] == '.' || v[k - 1] == ':'))
			k--;
		if (pass == 0 && unopened_closer(v, k))
			k--;
	}
	return k;
}

/* Reads the separator and value after a key that spans [i, j). */
static bool
pair_value(const scan *t, size_t i, size_t j, pairval *pv)
{
	unsigned char q, open = i > 0 ? t->s[i - 1] : 0;
	size_t k;

	if (at(t, j) == '"' || at(t, j) == '\'')
		j++;
	j = skip_blanks(t, j);
	if (at(t, j) == '=' && at(t, j + 1) != '=')	/* not a comparison */
		j += at(t, j + 1) == '>' ? 2 : 1;
	else if (at(t, j) == ':' && at(t, j + 1) != ':')	/* not C++'s token::x */
		j += at(t, j + 1) == '=' ? 2 : 1;
	else
		return false;
	pv->strict = !is_blank(at(t, j));
	j = skip_blanks(t, j);
	q = at(t, j);
	if (q == '"' || q == '\'' || q == '<' || q == '[' || q == '{') {
		unsigned char close = q == '<' ? '>' : q == '[' ? ']' : q == '{' ? '}' : q;
		bool quote = close == q;

		if (quote && pv->strict && q == open)	/* "passwd:" quoted whole: a name */
			return false;
		for (k = j + 1; k < t->n && k - j <= VALUE_CAP && t->s[k] != close && t->s[k] != '\n'; k++)
			;
		if (at(t, k) == close) {	/* quotes are dropped, "<your password>" kept whole */
			pv->at = quote ? j + 1 : j;
			pv->len = quote ? k - j - 1 : k - j + 1;
			pv->strict = true;
			return true;
		}
		j += quote;
	}
	pv->at = j;
	pv->len = trim_bare(t->s + j, span(t, j, is_bare, VALUE_CAP));
	return true;
}

/*
 * A loose value ("password: X") is one word of prose or a password.  It counts
 * as a password when it has six or more characters and a digit, an inner
 * capital or a symbol other than - ' / (which prose uses).
 */
static bool
password_shaped(const unsigned char *v, size_t n)
{
	size_t i;

	if (n < 6 || equal_ci(v, 4, "http") || equal_ci(v, 4, "www."))
		return false;
	for (i = 0; i < n; i++)
		if (is_digit(v[i]) || (i > 0 && is_upper(v[i])) ||
		    (v[i] < 0x80 && !is_alnum(v[i]) && v[i] != '-' && v[i] != '\'' && v[i] != '/'))
			return true;
	return false;
}

static bool
pair_flags(enum pair_how how, const unsigned char *v, size_t n, bool strict)
{
	if (placeholder(v, n))
		return false;
	switch (how) {
	case PAIR_STRICT:
		return strict;
	case PAIR_PWD:
		if (v[0] == '/' || v[0] == '~')
			return false;
		return strict || password_shaped(v, n);
	case PAIR_TOKEN:
		return strict ? n >= 8 : n >= 12 && random_looking(v, n);
	case PAIR_PASSWORD:
	default:
		return strict || password_shaped(v, n);
	}
}

static secretscan_kind
find_pairs(const secretscan_ctx *ctx, const scan *t)
{
	const struct pairkey *p;
	pairval pv;
	size_t i, nl;

	(void)ctx;
	for (i = 0; i < t->n; i++) {
		if (!is_alpha(t->s[i]) || strchr("acpst", to_lower(t->s[i])) == NULL ||
		    !(word_start(t, i) || (is_upper(t->s[i]) && is_lower(t->s[i - 1]))))
			continue;
		for (p = PAIRKEYS; p->name; p++) {
			nl = strlen(p->name);
			if (at_ci(t, i, p->name) && !is_alnum(at(t, i + nl)) &&
			    pair_value(t, i, i + nl, &pv) &&
			    pair_flags(p->how, t->s + pv.at, pv.len, pv.strict))
				return p->kind;
		}
	}
	return SECRET_NONE;
}

/* ---- payment card numbers ------------------------------------------------------- */

/*
 * Whether digits can end a card at i: not glued to a letter or a longer
 * number ("4111...1111.5" is a decimal).  A following " 123" is fine: a card
 * pasted with its security code.
 */
static bool
card_end_ok(const scan *t, size_t i)
{
	unsigned char c = at(t, i);

	if (is_alnum(c) || c == '_')
		return false;
	return !((c == '.' || c == ',') && is_digit(at(t, i + 1)));
}

/*
 * A card starting at the digit group at g: groups of 3+ digits joined by one
 * space or dash, 13-19 digits in all, ending on a group boundary, passing
 * Luhn, and opening with a plausible issuer prefix: 3-6 (Amex, Diners, JCB,
 * Visa, Mastercard, Maestro, Discover, UnionPay) or 2221-2720 (Mastercard's
 * 2-series).  Other leading digits (0, 1, 7-9, other 2s) are airline,
 * telecom, national and internal numbers, and timestamps start with 1.  Luhn
 * is kept for both parities as digits arrive, so each candidate end is O(1).
 */
static bool
card_at(const scan *t, size_t g)
{
	unsigned sums[2] = { 0, 0 }, iin = 0;
	size_t digits = 0, i = g, len, k;

	for (;;) {
		len = span(t, i, is_digit, 20);
		if (len < 3 || digits + len > 19)
			return false;
		for (k = 0; k < len; k++) {
			unsigned d = (unsigned)(t->s[i + k] - '0'), p = (unsigned)(digits + k);
			sums[p & 1] += d * 2 > 9 ? d * 2 - 9 : d * 2;
			sums[!(p & 1)] += d;
			if (p < 4)
				iin = iin * 10 + d;
		}
		digits += len;
		i += len;
		if (digits >= 13 && sums[digits & 1] % 10 == 0 && card_end_ok(t, i) &&
		    ((iin / 1000 >= 3 && iin / 1000 <= 6) || (iin >= 2221 && iin <= 2720)))
			return true;
		if ((at(t, i) != ' ' && at(t, i) != '-') || !is_digit(at(t, i + 1)))
			return false;
		i++;
	}
}

/*
 * Whether a whole digit sequence is something else: a phone number ("+49 151
 * ...") or an IBAN ("DE89 3704 0044 ..." : two capitals, two check digits).
 */
static bool
sequence_excluded(const scan *t, size_t i)
{
	if (i > 0 && t->s[i - 1] == '+')
		return true;
	return i >= 2 && span(t, i, is_digit, 3) == 2 && is_upper(t->s[i - 1]) &&
	       is_upper(t->s[i - 2]) && (i == 2 || !is_alnum(t->s[i - 3]));
}

/*
 * Whether the first group of a sequence may open a card: not glued to a word
 * ("v2"), not decimals ("3.14"), not an id in a path or after '#'.
 */
static bool
first_group_ok(const scan *t, size_t i)
{
	unsigned char p = i > 0 ? t->s[i - 1] : ' ';

	if (is_alnum(p) || p == '_' || p == '/' || p == '#')
		return false;
	return !((p == '.' || p == ',') && i >= 2 && is_digit(t->s[i - 2]));
}

static secretscan_kind
find_card(const secretscan_ctx *ctx, const scan *t)
{
	size_t i = 0, g;
	bool excluded, first;

	(void)ctx;
	while (i < t->n) {
		if (!is_digit(t->s[i])) {
			i++;
			continue;
		}
		excluded = sequence_excluded(t, i);
		for (g = i, first = true;; first = false) {
			if (!excluded && (!first || first_group_ok(t, g)) && card_at(t, g))
				return SECRET_CARD_NUMBER;
			g += span(t, g, is_digit, SIZE_MAX);
			if ((at(t, g) != ' ' && at(t, g) != '-') || !is_digit(at(t, g + 1)))
				break;
			g++;
		}
		i = g;
	}
	return SECRET_NONE;
}

/* ---- the scanner ------------------------------------------------------------------ */

typedef secretscan_kind (*rule_fn)(const secretscan_ctx *, const scan *);

static secretscan_kind find_base64(const secretscan_ctx *ctx, const scan *t);

/*
 * Most specific first: the first rule that matches names the kind.  The last
 * decodes base64 and runs the others on the text inside (secretscan_b64.c).
 */
static const rule_fn RULES[] = {
	find_private_key, find_own_link, find_jwt, find_key_formats, find_key_needles,
	find_aws_secret, find_url_secrets, find_bearer, find_pairs, find_card, find_base64, NULL
};

/* The rules from the first up to (not including) `stop`, in order. */
static secretscan_kind
run_rules(const secretscan_ctx *ctx, const scan *t, rule_fn stop)
{
	size_t r;
	secretscan_kind k;

	for (r = 0; RULES[r] && RULES[r] != stop; r++)
		if ((k = RULES[r](ctx, t)) != SECRET_NONE)
			return k;
	return SECRET_NONE;
}

/* Decoded base64 text: every rule but the decoding itself, so the work stays one level deep. */
static secretscan_kind
scan_decoded(const void *arg, const unsigned char *text, size_t len)
{
	scan t = { text, len };

	return run_rules(arg, &t, find_base64);
}

static secretscan_kind
find_base64(const secretscan_ctx *ctx, const scan *t)
{
	return secretscan_b64_scan(t->s, t->n, scan_decoded, ctx);
}

secretscan_kind
secretscan_check(const secretscan_ctx *ctx, const char *text, size_t len)
{
	scan t;

	if (text == NULL || len == 0)
		return SECRET_NONE;
	t.s = (const unsigned char *)text;
	t.n = len;
	return run_rules(ctx, &t, NULL);
}

const char *
secretscan_kind_name(secretscan_kind k)
{
	switch (k) {
	case SECRET_NONE: return "none";
	case SECRET_PRIVATE_KEY: return "private_key";
	case SECRET_CLIENT_SECRET: return "client_secret";
	case SECRET_JWT: return "jwt";
	case SECRET_BEARER_TOKEN: return "bearer_token";
	case SECRET_URL_CREDENTIALS: return "url_credentials";
	case SECRET_OWN_LINK: return "own_link";
	case SECRET_API_KEY: return "api_key";
	case SECRET_CARD_NUMBER: return "card_number";
	case SECRET_PASSWORD_PAIR: return "password_pair";
	}
	return "unknown";
}

const char *
secretscan_kind_message(secretscan_kind k)
{
	switch (k) {
	case SECRET_NONE:
		return "No secret was found.";
	case SECRET_PRIVATE_KEY:
		return "This looks like a private key. Remove it: private keys must never be shared here.";
	case SECRET_CLIENT_SECRET:
		return "This looks like a client secret. Remove it: client secrets must never be shared here.";
	case SECRET_JWT:
		return "This looks like a JSON Web Token (JWT). Remove it: tokens must never be shared here.";
	case SECRET_BEARER_TOKEN:
		return "This looks like a bearer or session token. Remove it: tokens must never be shared here.";
	case SECRET_URL_CREDENTIALS:
		return "This looks like a URL containing a password or access token. Remove the secret part.";
	case SECRET_OWN_LINK:
		return "This looks like a personal invitation or password reset link. Remove it: "
		       "these links must not be shared.";
	case SECRET_API_KEY:
		return "This looks like an API key or access key. Remove it: keys must never be shared here.";
	case SECRET_CARD_NUMBER:
		return "This looks like a payment card number. Remove it: card numbers must not be stored here.";
	case SECRET_PASSWORD_PAIR:
		return "This looks like a password or secret. Remove it: passwords must never be shared here.";
	}
	return "This looks like a secret. Remove it before saving.";
}

const char *
secretscan_kind_noun(secretscan_kind k)
{
	switch (k) {
	case SECRET_NONE:
		return "no secret";
	case SECRET_PRIVATE_KEY:
		return "a private key";
	case SECRET_CLIENT_SECRET:
		return "a client secret";
	case SECRET_JWT:
		return "a JSON Web Token (JWT)";
	case SECRET_BEARER_TOKEN:
		return "a bearer or session token";
	case SECRET_URL_CREDENTIALS:
		return "a URL carrying a password or access token";
	case SECRET_OWN_LINK:
		return "a personal invitation or password reset link";
	case SECRET_API_KEY:
		return "an API key or access key";
	case SECRET_CARD_NUMBER:
		return "a payment card number";
	case SECRET_PASSWORD_PAIR:
		return "a password";
	}
	return "a secret";
}
