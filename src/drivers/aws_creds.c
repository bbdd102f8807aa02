/*
 * aws_creds — the AWS credentials the Route53 driver signs with, found
 * as the AWS CLI finds them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
 * (with AWS_SESSION_TOKEN), else a profile of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).  Every copy of a
 * secret is wiped when it is dropped, and no error message quotes one.
 */
#include "config.h"

#include "aws_creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
aws_wipe(char *s)
{
	xfree_secret_str(s);
}

void
aws_creds_done(struct aws_creds *c)
{
	aws_wipe(c->userpwd);
	aws_wipe(c->token_header);
	c->userpwd = c->token_header = NULL;
}

static char *
aws_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* Read `profile` from an AWS credentials file. */
static int
aws_creds_file(const char *path, const char *profile, struct aws_creds *c,
	       struct err *e)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	bool in = false, seen = false;
	char *akid = NULL, *secret = NULL, *token = NULL;
	int rc = -1;

	if (f == NULL)
		return err_set(e, "no AWS credentials: AWS_ACCESS_KEY_ID and "
			       "AWS_SECRET_ACCESS_KEY are not set and %s "
			       "cannot be read: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = aws_trim(line), *eq, *k, *v;

		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close != NULL)
				*close = '\0';
			in = strcmp(aws_trim(s + 1), profile) == 0;
			seen |= in;
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		k = aws_trim(s);
		v = aws_trim(eq + 1);
		if (strcmp(k, "aws_access_key_id") == 0) {
			aws_wipe(akid);
			akid = xstrdup(v);
		} else if (strcmp(k, "aws_secret_access_key") == 0) {
			aws_wipe(secret);
			secret = xstrdup(v);
		} else if (strcmp(k, "aws_session_token") == 0) {
			aws_wipe(token);
			token = xstrdup(v);
		}
	}
	xwipe(line, sizeof(line));
	fclose(f);
	if (!seen)
		err_set(e, "no AWS credentials: AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY are not set and %s has no profile "
		    "[%s]", path, profile);
	else if (akid == NULL || secret == NULL || *akid == '\0' ||
	    *secret == '\0')
		err_set(e, "AWS profile [%s] in %s lacks %s", profile, path,
		    akid == NULL || *akid == '\0' ? "aws_access_key_id" :
		    "aws_secret_access_key");
	else {
		c->userpwd = xasprintf("%s:%s", akid, secret);
		if (token != NULL && *token != '\0')
			c->token_header = xasprintf("x-amz-security-token: %s",
			    token);
		rc = 0;
	}
	aws_wipe(akid);
	aws_wipe(secret);
	aws_wipe(token);
	return rc;
}

int
aws_creds_get(const char *profile, struct aws_creds *c, struct err *e)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = getenv("HOME");
	char *path;
	int rc;

	memset(c, 0, sizeof(*c));
	if (akid != NULL && *akid != '\0' && secret != NULL &&
	    *secret != '\0') {
		c->userpwd = xasprintf("%s:%s", akid, secret);
		if (token != NULL && *token != '\0')
			c->token_header = xasprintf("x-amz-security-token: %s",
			    token);
		return 0;
	}
	if ((akid != NULL && *akid != '\0') !=
	    (secret != NULL && *secret != '\0'))
		return err_set(e, "AWS credentials: %s is set but %s is not",
			       akid != NULL && *akid != '\0' ?
			       "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			       akid != NULL && *akid != '\0' ?
			       "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (file != NULL && *file != '\0')
		path = xstrdup(file);
	else if (home != NULL && *home != '\0')
		path = xasprintf("%s/.aws/credentials", home);
	else
		return err_set(e, "no AWS credentials: AWS_ACCESS_KEY_ID is "
			       "not set and HOME is unknown");
	rc = aws_creds_file(path, profile != NULL ? profile : "default", c,
	    e);
	free(path);
	return rc;
}
