/*
 * fuzz_grpc — a gRPC health answer (probe_grpc_parse) as a gateway or a
 * broken server would send it: the 5-byte frame header, then protobuf.
 * What it promises: -1, or 0 with a status in 0..1000 that came from the
 * bytes (a frame never read past its end: ASan sees that).
 */
#include "config.h"

#include "fuzz.h"
#include "probe.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size > 0 ? size : 1);
	int status = -1;

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	/* An exact-size copy: a read past the end is a report. */
	if (probe_grpc_parse(copy, size, &status) == 0 &&
	    (status < 0 || status > 1000))
		abort();
	free(copy);
	return 0;
}
