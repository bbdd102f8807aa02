/* fuzz_exec — the output of the exec driver's `get` command. */
#include "config.h"

#include "driver.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = fuzz_str(data, size);
	struct weights w;
	struct err e;

	err_clear(&e);
	if (driver_exec_parse_weights(out, &w, &e) == 0)
		FUZZ_ASSERT_WEIGHTS(w);
	else
		FUZZ_ASSERT(e.msg[0] != '\0');
	free(out);
	return 0;
}
