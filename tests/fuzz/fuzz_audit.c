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

static char fuzz_path[64];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct err e;
	FILE *fp;

	if (fuzz_path[0] == '\0') {
		int fd;

		snprintf(fuzz_path, sizeof(fuzz_path), "%s",
		    "/tmp/cutover-fuzz-audit.XXXXXX");
		if ((fd = mkstemp(fuzz_path)) == -1)
			abort();
		close(fd);
		atexit(fuzz_cleanup);
		if ((null = fopen("/dev/null", "w")) == NULL)
			abort();
	}
	if ((fp = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	err_clear(&e);
	audit_print(fuzz_path, null, false, &e);
	return 0;
}
