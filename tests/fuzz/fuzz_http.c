/*
 * fuzz_http — http_describe on any response.  The input reads like the
 * start of an answer: "STATUS CONTENT-TYPE\n" then the body; an input
 * that does not start with a digit is all body, with status 500 and no
 * Content-Type.
 */
#include "config.h"

#include <stdio.h>

#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lens[] = { 256, 40, 1 };
	struct http_response r;
	size_t i = 0, n;
	char buf[256];

	memset(&r, 0, sizeof(r));
	r.status = 500;
	if (size > 0 && data[0] >= '0' && data[0] <= '9') {
		r.status = 0;
		for (; i < size && i < 4 && data[i] >= '0' && data[i] <= '9';
		    i++)
			r.status = r.status * 10 + (data[i] - '0');
		if (i < size && data[i] == ' ')
			i++;
		for (n = 0; i < size && data[i] != '\n'; i++)
			if (n + 1 < sizeof(r.content_type))
				r.content_type[n++] = (char)data[i];
		r.content_type[n] = '\0';
		if (i < size)
			i++;
	}
	r.body = fuzz_str(data + i, size - i);
	r.body_len = size - i;
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		http_describe(&r, buf, lens[k]);
	r.retry_after_s = 30;
	http_describe(&r, buf, sizeof(buf));
	free(r.body);
	return 0;
}
