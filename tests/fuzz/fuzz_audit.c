/*
 * fuzz_audit — the audit log as `cutover log` reads it (audit_print),
 * which another operator sharing the state directory may have written.
 * The input is written to a private temporary file.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "audit.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	const char *path = fuzz_file("audit.jsonl", data, size);
	struct err e;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	err_clear(&e);
	audit_print(path, null, false, &e);
	return 0;
}
