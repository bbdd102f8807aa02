/*
 * rusage — run a command and write its resource usage to a file.
 *
 *	rusage OUTFILE COMMAND [ARG...]
 *
 * Forks, execs COMMAND, waits for it with wait4() and writes one line to
 * OUTFILE: user and system CPU seconds (microseconds), peak resident set
 * size in KiB and the raw wait status.  Exits as the command did (128+n
 * for a signal).  These are the numbers /usr/bin/time -v prints, with
 * microsecond CPU times instead of centiseconds.
 *
 * Why not measure from the Python driver directly: Linux carries a
 * process's peak RSS across execve(), so a child forked from a 20 MB
 * Python interpreter reports at least 20 MB.  This helper is small, and
 * its child starts from its few hundred KiB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	pid_t pid;
	int status;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 64;
	}
	pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 71;
		}
	}
	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror(argv[1]);
		return 73;
	}
	fprintf(f, "%ld.%06ld %ld.%06ld %ld %d\n",
		(long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
		ru.ru_maxrss, status);
	fclose(f);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
