/*
 * test_loop — timers fire in deadline order on a fake clock and may be
 * cancelled or added from callbacks; descriptors, signals and loop_break
 * reach their callbacks; a pass with nothing due returns within its bound.
 * No test sleeps: time moves by clock_fake_advance().
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

static struct clock_fake fake;
static struct loop *l;

static void
setup(void)
{
	clock_fake_init(&fake, 1000, 1700000000000);
	l = loop_new(&fake.clock);
	cr_assert_not_null(l);
}

static void
teardown(void)
{
	loop_free(l);
}

TestSuite(loop, .init = setup, .fini = teardown);

/* A log of which callbacks ran, in order. */
static char trace[64];

static void
mark(void *arg)
{
	size_t n = strlen(trace);

	if (n + 1 < sizeof(trace)) {
		trace[n] = *(const char *)arg;
		trace[n + 1] = '\0';
	}
}

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(loop, clock_is_the_given_one)
{
	cr_assert_eq(loop_clock(l), &fake.clock);
	cr_assert_eq(loop_now(l), 1000);
	clock_fake_advance(&fake, 250);
	cr_assert_eq(loop_now(l), 1250);
}

Test(loop, timers_fire_in_deadline_order)
{
	trace[0] = '\0';
	loop_timer_at(l, 1300, mark, "c");
	loop_timer_at(l, 1100, mark, "a");
	loop_timer_at(l, 1200, mark, "b");
	loop_timer_at(l, 1200, mark, "B");	/* same deadline: set order */

	cr_assert_eq(loop_run_once(l, 0), 0);
	cr_assert_str_eq(trace, "", "nothing is due at 1000");

	clock_fake_advance(&fake, 100);
	loop_run_once(l, 0);
	cr_assert_str_eq(trace, "a");

	clock_fake_advance(&fake, 250);	/* 1350: all the rest, in order */
	loop_run_once(l, 0);
	cr_assert_str_eq(trace, "abBc");

	clock_fake_advance(&fake, 1000);
	loop_run_once(l, 0);
	cr_assert_str_eq(trace, "abBc", "each timer runs once");
}

Test(loop, cancelled_timer_never_fires)
{
	struct loop_timer *t;

	trace[0] = '\0';
	loop_timer_at(l, 1100, mark, "a");
	t = loop_timer_at(l, 1050, mark, "x");
	loop_timer_at(l, 1200, mark, "b");
	loop_timer_cancel(l, t);
	loop_timer_cancel(l, NULL);

	clock_fake_advance(&fake, 500);
	loop_run_once(l, 0);
	cr_assert_str_eq(trace, "ab");
}

struct rearm {
	int count;
	int64_t at[8];
};

static void
rearm_cb(void *arg)
{
	struct rearm *r = arg;

	r->at[r->count++] = loop_now(l);
	if (r->count < 3)
		loop_timer_at(l, loop_now(l) + 100, rearm_cb, r);
	/* A timer added for "now" waits for the next pass. */
	if (r->count == 3)
		loop_timer_at(l, loop_now(l), mark, "n");
}

Test(loop, timer_added_from_callback)
{
	struct rearm r = { 0 };

	trace[0] = '\0';
	loop_timer_at(l, 1100, rearm_cb, &r);
	for (int i = 0; i < 5; i++) {
		clock_fake_advance(&fake, 100);
		loop_run_once(l, 0);
	}
	cr_assert_eq(r.count, 3);
	cr_assert_eq(r.at[0], 1100);
	cr_assert_eq(r.at[1], 1200);
	cr_assert_eq(r.at[2], 1300);
	cr_assert_str_eq(trace, "n");
}

static void
cancel_other(void *arg)
{
	struct loop_timer **other = arg;

	mark("1");
	loop_timer_cancel(l, *other);
}

Test(loop, callback_cancels_a_due_timer)
{
	struct loop_timer *other;

	trace[0] = '\0';
	loop_timer_at(l, 1010, cancel_other, &other);
	other = loop_timer_at(l, 1020, mark, "2");
	clock_fake_advance(&fake, 100);
	loop_run_once(l, 0);
	cr_assert_str_eq(trace, "1");
}

struct fdseen {
	int calls;
	short revents;
	char data[16];
	ssize_t got;
};

static void
fd_cb(int fd, short revents, void *arg)
{
	struct fdseen *s = arg;

	s->calls++;
	s->revents = revents;
	s->got = read(fd, s->data, sizeof(s->data) - 1);
	if (s->got <= 0)
		loop_del_fd(l, fd);
}

Test(loop, fd_callback_on_pipe_with_data)
{
	int p[2];
	struct fdseen s = { 0 };

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(loop_add_fd(l, p[0], POLLIN, fd_cb, &s), 0);

	loop_run_once(l, 0);
	cr_assert_eq(s.calls, 0, "no data, no call");

	cr_assert_eq(write(p[1], "hi", 2), 2);
	loop_run_once(l, 1000);
	cr_assert_eq(s.calls, 1);
	cr_assert(s.revents & POLLIN);
	cr_assert_eq(s.got, 2);
	cr_assert_str_eq(s.data, "hi");

	/* EOF (POLLHUP alone) reaches the callback too. */
	close(p[1]);
	loop_run_once(l, 1000);
	cr_assert_eq(s.calls, 2);
	cr_assert_eq(s.got, 0);
	loop_run_once(l, 0);
	cr_assert_eq(s.calls, 2, "removed in its callback");
	close(p[0]);
}

static void
del_other_fd(int fd, short revents, void *arg)
{
	int *other = arg;
	char c;

	(void)revents;
	(void)!read(fd, &c, 1);
	loop_del_fd(l, *other);
	mark("d");
}

static void
must_not_run(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
	mark("X");
}

Test(loop, fd_removed_by_earlier_callback_is_not_called)
{
	int a[2], b[2];

	trace[0] = '\0';
	cr_assert_eq(pipe(a), 0);
	cr_assert_eq(pipe(b), 0);
	cr_assert_eq(loop_add_fd(l, a[0], POLLIN, del_other_fd, &b[0]), 0);
	cr_assert_eq(loop_add_fd(l, b[0], POLLIN, must_not_run, NULL), 0);
	cr_assert_eq(write(a[1], "x", 1), 1);
	cr_assert_eq(write(b[1], "x", 1), 1);
	loop_run_once(l, 1000);
	cr_assert_str_eq(trace, "d");
	loop_del_fd(l, a[0]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

Test(loop, nothing_due_returns_promptly)
{
	int64_t t0;

	/* A timer far away on the fake clock must not hold the pass. */
	loop_timer_at(l, 1000 + 3600 * 1000, mark, "x");
	t0 = real_ms();
	cr_assert_eq(loop_run_once(l, 50), 0);
	cr_assert_lt(real_ms() - t0, 1000);
	t0 = real_ms();
	loop_run_once(l, 0);
	cr_assert_lt(real_ms() - t0, 500);
}

struct sigseen {
	int count;
	int last;
};

static void
sig_cb(int signo, void *arg)
{
	struct sigseen *s = arg;

	s->count++;
	s->last = signo;
}

Test(loop, signal_reaches_callback)
{
	struct sigseen s = { 0 };
	struct err e;
	struct sigaction sa;

	err_clear(&e);
	cr_assert_eq(loop_signals(l, sig_cb, &s, &e), 0, "%s", e.msg);
	cr_assert_eq(raise(SIGWINCH), 0);
	cr_assert_eq(s.count, 0, "never from the handler itself");
	loop_run_once(l, 1000);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.last, SIGWINCH);

	/* Repeats before a pass are one event. */
	raise(SIGWINCH);
	raise(SIGWINCH);
	loop_run_once(l, 1000);
	cr_assert_eq(s.count, 2);

	/* loop_free puts back the previous handler. */
	loop_free(l);
	l = NULL;
	cr_assert_eq(sigaction(SIGWINCH, NULL, &sa), 0);
	cr_assert_eq(sa.sa_handler, SIG_DFL);
}

Test(loop, second_loop_cannot_own_signals)
{
	struct loop *other = loop_new(&fake.clock);
	struct err e;

	err_clear(&e);
	cr_assert_eq(loop_signals(l, sig_cb, NULL, &e), 0);
	cr_assert_eq(loop_signals(other, sig_cb, NULL, &e), -1);
	cr_assert_str_neq(e.msg, "");
	loop_free(other);
}

static void
break_cb(void *arg)
{
	(void)arg;
	mark("b");
	loop_break(l);
}

Test(loop, break_stops_run)
{
	trace[0] = '\0';
	cr_assert(!loop_broken(l));
	/* Due now, so loop_run never waits on the fake clock. */
	loop_timer_at(l, 1000, break_cb, NULL);
	loop_timer_at(l, 1000 + 3600 * 1000, mark, "x");
	loop_run(l);
	cr_assert(loop_broken(l));
	cr_assert_str_eq(trace, "b");
}

Test(loop, run_returns_when_nothing_is_left)
{
	trace[0] = '\0';
	loop_timer_at(l, 1000, mark, "a");
	loop_run(l);
	cr_assert_str_eq(trace, "a");
	cr_assert(!loop_broken(l));
	cr_assert_eq(loop_transfers(l), 0);
}
