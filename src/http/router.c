/*
 * Route matching: compare the request path segment by segment against each
 * pattern; `{name}` captures one non-empty segment.  A path that matches some
 * pattern under another method gives 405 with Allow; routes not reachable on
 * the request's listener are invisible (404), so the public listener cannot
 * even learn that operator routes exist.
 */
#include <string.h>

#include "onramp/router.h"

bool
router_pattern_match(const char *pat, or_str path, or_str *params, size_t maxp, size_t *nparams)
{
	size_t pi = 0, np = 0;
	const char *p = pat;

	while (*p && pi <= path.len) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t start = pi;
			if (close == NULL || np >= maxp)
				return false;
			while (pi < path.len && path.ptr[pi] != '/')
				pi++;
			if (pi == start)
				return false;
			params[np].ptr = path.ptr + start;
			params[np].len = pi - start;
			np++;
			p = close + 1;
			continue;
		}
		if (pi >= path.len || path.ptr[pi] != *p)
			return false;
		p++;
		pi++;
	}
	if (*p != '\0' || pi != path.len)
		return false;
	*nparams = np;
	return true;
}

router_result
router_match(const route *table, size_t n, const char *method, or_str path,
	     http_listener listener, const route **out, or_str *params, size_t *nparams,
	     char *allow, size_t allowsz)
{
	size_t i, alen = 0;
	bool path_seen = false;
	or_str tmp[LIMIT_PATH_PARAMS];
	size_t tn;

	if (allowsz)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		const route *r = &table[i];
		if ((r->listeners & (unsigned)listener) == 0)
			continue;
		if (!router_pattern_match(r->pattern, path, tmp, LIMIT_PATH_PARAMS, &tn))
			continue;
		if (strcmp(r->method, method) == 0) {
			*out = r;
			memcpy(params, tmp, tn * sizeof(tmp[0]));
			*nparams = tn;
			return ROUTER_MATCH;
		}
		path_seen = true;
		{
			size_t ml = strlen(r->method);
			if (allowsz && alen + ml + 3 < allowsz && !strstr(allow, r->method)) {
				if (alen) {
					memcpy(allow + alen, ", ", 2);
					alen += 2;
				}
				memcpy(allow + alen, r->method, ml + 1);
				alen += ml;
			}
		}
	}
	return path_seen ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
