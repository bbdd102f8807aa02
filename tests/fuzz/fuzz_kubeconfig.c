/*
 * fuzz_kubeconfig — a kubeconfig file (kubeconfig_load), with the current
 * context and with a context named "fuzz".  The input is written to a
 * private temporary file: kubeconfig_load reads files, as kubectl does.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "kubeconfig.h"

static char fuzz_path[64];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *contexts[] = { NULL, "fuzz" };
	struct kubeconfig kc;
	struct err e;
	FILE *fp;

	if (fuzz_path[0] == '\0') {
		int fd;

		snprintf(fuzz_path, sizeof(fuzz_path), "%s",
		    "/tmp/cutover-fuzz-kubeconfig.XXXXXX");
		if ((fd = mkstemp(fuzz_path)) == -1)
			abort();
		close(fd);
		atexit(fuzz_cleanup);
	}
	if ((fp = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		err_clear(&e);
		if (kubeconfig_load(&kc, fuzz_path, contexts[i], &e) == 0)
			kubeconfig_done(&kc);
	}
	return 0;
}
