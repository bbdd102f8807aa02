/*
 * fuzz_store — the state file (store_load).  The input is written to a
 * state file in a private temporary directory, where store_load reads it.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "store.h"

static char fuzz_dir[64];
static char fuzz_path[96];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store st;
	struct store_record rec;
	struct err e;
	FILE *fp;

	if (fuzz_dir[0] == '\0') {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s",
		    "/tmp/cutover-fuzz-store.XXXXXX");
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/fuzz.state.json",
		    fuzz_dir);
		atexit(fuzz_cleanup);
	}
	if ((fp = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	err_clear(&e);
	if (store_open(&st, fuzz_path, &e) == 0) {
		if (store_load(&st, &rec, &e) == 1)
			json_decref(store_record_json(&rec));
		store_close(&st);
	}
	return 0;
}
