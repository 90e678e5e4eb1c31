/* Fuzz the request body reader and JSON parsing (src/http/request.c). */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "onramp/http.h"

struct src {
	const uint8_t *p;
	size_t n, off;
};

static long
reader(void *ctx, char *buf, size_t n)
{
	struct src *s = ctx;
	size_t left = s->n - s->off;

	if (n > left)
		n = left;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (long)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena *a = arena_new(1 << 20);
	http_request req;
	http_response resp;
	struct src s = { data, size, 0 };
	char len[32];
	or_buf out;

	if (a == NULL)
		return 0;
	http_request_init(&req, a);
	http_response_init(&resp);
	snprintf(len, sizeof(len), "%zu", size);
	req.content_type = "application/json";
	req.content_length = len;
	req.read_body = reader;
	req.read_ctx = &s;
	str_copy(req.request_id, sizeof(req.request_id), "fuzz");
	if (http_read_json(&req, &resp, 64 * 1024) == OR_OK)
		http_json(&resp, 200, json_object_get(req.json));
	buf_init(&out, 1 << 20);
	(void)http_serialize(&req, &resp, &out);
	buf_free(&out);
	http_response_cleanup(&resp);
	http_request_cleanup(&req);
	arena_free(a);
	return 0;
}
