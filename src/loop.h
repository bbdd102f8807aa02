/*
 * loop — the one event loop.  A single thread waits in curl_multi_poll() on
 * every HTTP transfer plus extra descriptors (the terminal, the signal
 * self-pipe, driver child pipes); timers are deadlines on the loop's clock
 * and bound the poll timeout.  Callbacks change the model and set dirty
 * bits; they never draw and never block.
 *
 * Signals: loop_signals() installs handlers for SIGWINCH, SIGTERM, SIGHUP,
 * SIGINT and SIGCHLD that only write the signal number to a self-pipe; the
 * loop reads the pipe and calls the signal callback from normal context.
 */
#ifndef CUTOVER_SRC_LOOP_H
#define CUTOVER_SRC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "clock.h"
#include "err.h"

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);
/* Called when a transfer started with loop_add_transfer finishes. */
typedef void (*loop_xfer_cb)(CURL *easy, CURLcode result, void *arg);

/* New loop on `clock` (borrowed; must outlive the loop). */
struct loop *loop_new(const struct clock *clock);
void loop_free(struct loop *l);

const struct clock *loop_clock(const struct loop *l);
int64_t loop_now(const struct loop *l);

/* Watch fd for POLLIN/POLLOUT (`events`); one callback per fd. */
int loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb,
		void *arg);
void loop_del_fd(struct loop *l, int fd);

/* Call cb once at monotonic time `deadline_ms`.  Returns a handle. */
struct loop_timer *loop_timer_at(struct loop *l, int64_t deadline_ms,
				 loop_timer_cb cb, void *arg);
/* Cancel a pending timer (NULL is fine).  Must not be called after it ran. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Hand an easy handle to the multi; cb runs when it completes. */
int loop_add_transfer(struct loop *l, CURL *easy, loop_xfer_cb cb, void *arg);
/* Abort a transfer; its callback is not called. */
void loop_remove_transfer(struct loop *l, CURL *easy);

/* Install signal handlers writing to the self-pipe; cb gets each signal. */
int loop_signals(struct loop *l, loop_signal_cb cb, void *arg, struct err *e);

/*
 * Wait for at most max_wait_ms (or until the next timer) and dispatch what
 * is ready: descriptors, finished transfers, due timers, signals.
 */
int loop_run_once(struct loop *l, int max_wait_ms);

/* Run until loop_break() or until nothing (no fds, timers, transfers). */
void loop_run(struct loop *l);
void loop_break(struct loop *l);
bool loop_broken(const struct loop *l);
/* Number of transfers in flight. */
int loop_transfers(const struct loop *l);

#endif
