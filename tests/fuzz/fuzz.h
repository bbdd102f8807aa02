/*
 * fuzz — what the fuzz targets share: libFuzzer's entry point and a
 * NUL-terminated copy of the input (every parser here is handed C
 * strings, as http.c and proc.c hand them a NUL after the body), a file
 * holding the input for parsers that read files, and a
 * check of what a parser promises, so that a wrong answer is a crash
 * even where no sanitizer sees it.
 */
#ifndef CUTOVER_TESTS_FUZZ_FUZZ_H
#define CUTOVER_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The private temporary directory of fuzz_file() and its one file. */
static char fuzz_file_dir[64];
static char fuzz_file_path[160];

static inline void
fuzz_file_cleanup(void)
{
	unlink(fuzz_file_path);
	rmdir(fuzz_file_dir);
}

/*
 * The input written to `name` in a private temporary directory (made on
 * the first call, removed at exit), for parsers that read files; the
 * path stays the same from one input to the next.
 */
static inline const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	FILE *fp;

	if (fuzz_file_dir[0] == '\0') {
		snprintf(fuzz_file_dir, sizeof(fuzz_file_dir), "%s",
		    "/tmp/cutover-fuzz.XXXXXX");
		if (mkdtemp(fuzz_file_dir) == NULL)
			abort();
		snprintf(fuzz_file_path, sizeof(fuzz_file_path), "%s/%s",
		    fuzz_file_dir, name);
		atexit(fuzz_file_cleanup);
	}
	if ((fp = fopen(fuzz_file_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();
	return fuzz_file_path;
}

/* abort() (a crash to libFuzzer and to the replay) unless cond holds. */
#define FUZZ_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: broken promise: %s\n",        \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* What every driver's reading promises: 0..100 each, summing to 100. */
#define FUZZ_ASSERT_WEIGHTS(w)                                                \
	FUZZ_ASSERT((w).istio >= 0 && (w).istio <= 100 &&                     \
	    (w).apisix >= 0 && (w).apisix <= 100 &&                           \
	    (w).istio + (w).apisix == 100)

#endif
