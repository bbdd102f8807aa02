/*
 * fuzz — what the fuzz targets share: libFuzzer's entry point and a
 * NUL-terminated copy of the input (every parser here is handed C
 * strings, as http.c and proc.c hand them a NUL after the body).
 */
#ifndef CUTOVER_TESTS_FUZZ_FUZZ_H
#define CUTOVER_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string of `size` bytes plus a NUL; caller frees. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
