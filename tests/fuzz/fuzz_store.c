/*
 * fuzz_store — the state file (store_load).  The input is written to a
 * state file in a private temporary directory, where store_load reads it.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "store.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("fuzz.state.json", data, size);
	struct store st;
	struct store_record rec;
	struct err e;

	err_clear(&e);
	if (store_open(&st, path, &e) == 0) {
		if (store_load(&st, &rec, &e) == 1)
			json_decref(store_record_json(&rec));
		store_close(&st);
	}
	return 0;
}
