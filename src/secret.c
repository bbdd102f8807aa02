/*
 * secret — one-line secrets from files (see secret.h).
 */
#include "config.h"

#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *
secret_read_file(const char *path, size_t max, size_t *len, struct err *e)
{
	char *buf, *s;
	size_t n = 0, start = 0;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(e, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 2);
	while (n < max + 1) {
		got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > max) {
		xfree_secret(buf, max + 2);
		err_set(e, "%s is larger than %zu bytes", path, max);
		return NULL;
	}
	while (n > 0 && blank(buf[n - 1]))
		n--;
	while (start < n && blank(buf[start]))
		start++;
	if (start == n || memchr(buf + start, '\n', n - start) != NULL) {
		xfree_secret(buf, max + 2);
		err_set(e, "%s %s", path, start == n ? "is empty" :
			"holds more than one line");
		return NULL;
	}
	s = xmalloc(n - start + 1);
	memcpy(s, buf + start, n - start);
	s[n - start] = '\0';
	*len = n - start + 1;
	xfree_secret(buf, max + 2);
	return s;
}
