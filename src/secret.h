/*
 * secret — reading a one-line secret (a token, a webhook URL) from a file:
 * bounded, surrounding white space dropped, refused when empty or when it
 * spans lines; the buffer is wiped when it is given back.  An error names
 * the file and never quotes it.
 */
#ifndef CUTOVER_SRC_SECRET_H
#define CUTOVER_SRC_SECRET_H

#include <stddef.h>

#include "err.h"

/* The secret (free with xfree_secret(s, *len)), or NULL with e filled. */
char *secret_read_file(const char *path, size_t max, size_t *len,
		       struct err *e);

#endif
