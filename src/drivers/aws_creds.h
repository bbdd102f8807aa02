/*
 * aws_creds — AWS credentials from the environment or the shared
 * credentials file (aws_creds.c).
 */
#ifndef CUTOVER_SRC_DRIVERS_AWS_CREDS_H
#define CUTOVER_SRC_DRIVERS_AWS_CREDS_H

#include "err.h"

struct aws_creds {
	char *userpwd;		/* "AKID:SECRET" */
	char *token_header;	/* "x-amz-security-token: ..." or NULL */
};

/* Fill c (profile NULL: "default"), or -1 with e saying what is missing;
 * aws_creds_done wipes and frees what was filled. */
int aws_creds_get(const char *profile, struct aws_creds *c, struct err *e);
void aws_creds_done(struct aws_creds *c);

#endif
