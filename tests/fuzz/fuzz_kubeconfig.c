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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *contexts[] = { NULL, "fuzz" };
	const char *path = fuzz_file("kubeconfig", data, size);
	struct kubeconfig kc;
	struct err e;

	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		err_clear(&e);
		if (kubeconfig_load(&kc, path, contexts[i], &e) == 0)
			kubeconfig_done(&kc);
	}
	return 0;
}
