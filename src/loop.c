/*
 * loop — the one event loop (see loop.h).
 *
 * One pass of loop_run_once(): compute the poll timeout from the earliest
 * timer and the caller's bound, wait in curl_multi_poll() on the transfers
 * plus the registered descriptors and the signal self-pipe, then dispatch in
 * this order: curl_multi_perform(); finished transfers (each easy handle is
 * removed from the multi before its callback runs, and the callback owns it
 * afterwards); descriptors that are ready; timers that are due by
 * loop_now(); signals read from the self-pipe.
 *
 * Invariants:
 * - Callbacks may add and remove descriptors, timers and transfers while the
 *   loop dispatches.  Descriptors are found again by a registration id after
 *   every callback, so a removed descriptor is never called; a timer added
 *   during the timer pass waits for the next pass, so a callback that
 *   re-arms itself at "now" cannot spin the loop.
 * - The poll timeout never exceeds max_wait_ms of real time, whatever the
 *   clock says, so a test on a fake clock never waits.
 * - curl_multi_poll() reports only POLLIN/POLLOUT/POLLPRI for extra
 *   descriptors; a pipe whose writer closed shows only POLLHUP.  The loop
 *   therefore asks poll(2) itself, without waiting, which descriptors are
 *   ready, so EOF, errors and closed descriptors reach their callbacks.
 * - Only one loop at a time owns the signal handlers; the handler writes the
 *   signal number into a non-blocking pipe and touches nothing else.
 */
#include "config.h"

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

struct loop_fd {
	int fd;
	short events;
	unsigned long id;
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	struct loop_timer *next;
	int64_t deadline;
	unsigned long seq;
	loop_timer_cb cb;
	void *arg;
};

struct loop_xfer {
	CURL *easy;
	loop_xfer_cb cb;
	void *arg;
};

static const int loop_signos[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT,
				   SIGCHLD };
#define LOOP_NSIGNALS (sizeof(loop_signos) / sizeof(loop_signos[0]))

struct loop {
	const struct clock *clock;
	CURLM *multi;

	struct loop_fd *fds;
	size_t nfds, fds_cap;
	unsigned long next_fd_id;

	struct loop_timer *timers;	/* sorted by deadline, then seq */
	unsigned long next_seq;

	struct loop_xfer *xfers;
	size_t nxfers, xfers_cap;

	int sig_pipe[2];
	loop_signal_cb sig_cb;
	void *sig_arg;
	struct sigaction sig_old[LOOP_NSIGNALS];

	bool broken;
};

/* The write end of the self-pipe of the loop that owns the signals. */
static volatile sig_atomic_t loop_sig_wfd = -1;

static int
loop_clamp_ms(int64_t ms)
{
	if (ms < 0)
		return 0;
	if (ms > INT_MAX)
		return INT_MAX;
	return (int)ms;
}

struct loop *
loop_new(const struct clock *clock)
{
	struct loop *l;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->clock = clock;
	l->multi = curl_multi_init();
	if (l->multi == NULL) {
		free(l);
		curl_global_cleanup();
		return NULL;
	}
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	l->next_fd_id = 1;
	return l;
}

static void
loop_signals_restore(struct loop *l)
{
	if (l->sig_pipe[1] < 0)
		return;
	for (size_t i = 0; i < LOOP_NSIGNALS; i++)
		sigaction(loop_signos[i], &l->sig_old[i], NULL);
	if (loop_sig_wfd == l->sig_pipe[1])
		loop_sig_wfd = -1;
	close(l->sig_pipe[0]);
	close(l->sig_pipe[1]);
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
}

void
loop_free(struct loop *l)
{
	struct loop_timer *t, *next;

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nxfers; i++) {
		curl_multi_remove_handle(l->multi, l->xfers[i].easy);
		curl_easy_cleanup(l->xfers[i].easy);
	}
	free(l->xfers);
	for (t = l->timers; t != NULL; t = next) {
		next = t->next;
		free(t);
	}
	free(l->fds);
	loop_signals_restore(l);
	curl_multi_cleanup(l->multi);
	free(l);
	curl_global_cleanup();
}

const struct clock *
loop_clock(const struct loop *l)
{
	return l->clock;
}

int64_t
loop_now(const struct loop *l)
{
	return clock_mono(l->clock);
}

/* --- descriptors --------------------------------------------------------- */

static struct loop_fd *
loop_fd_find(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

static struct loop_fd *
loop_fd_by_id(struct loop *l, unsigned long id)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].id == id)
			return &l->fds[i];
	return NULL;
}

int
loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	struct loop_fd *f;

	if (fd < 0 || cb == NULL)
		return -1;
	f = loop_fd_find(l, fd);
	if (f == NULL) {
		if (l->nfds == l->fds_cap) {
			l->fds_cap = l->fds_cap ? l->fds_cap * 2 : 8;
			l->fds = xreallocarray(l->fds, l->fds_cap,
					       sizeof(*l->fds));
		}
		f = &l->fds[l->nfds++];
	}
	f->fd = fd;
	f->events = events;
	f->id = l->next_fd_id++;
	f->cb = cb;
	f->arg = arg;
	return 0;
}

void
loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd *f = loop_fd_find(l, fd);
	size_t i;

	if (f == NULL)
		return;
	i = (size_t)(f - l->fds);
	memmove(&l->fds[i], &l->fds[i + 1],
		(l->nfds - i - 1) * sizeof(*l->fds));
	l->nfds--;
}

/* --- timers -------------------------------------------------------------- */

struct loop_timer *
loop_timer_at(struct loop *l, int64_t deadline_ms, loop_timer_cb cb,
	      void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));
	struct loop_timer **pp;

	t->deadline = deadline_ms;
	t->seq = l->next_seq++;
	t->cb = cb;
	t->arg = arg;
	/* After every timer with the same deadline: equal deadlines fire in
	 * the order they were set. */
	for (pp = &l->timers; *pp != NULL && (*pp)->deadline <= deadline_ms;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	if (t == NULL)
		return;
	for (pp = &l->timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

static void
loop_timers_dispatch(struct loop *l)
{
	unsigned long gen = l->next_seq;

	for (;;) {
		int64_t now = loop_now(l);
		struct loop_timer **pp, *t;
		loop_timer_cb cb;
		void *arg;

		for (pp = &l->timers; *pp != NULL && (*pp)->deadline <= now &&
		     (*pp)->seq >= gen; pp = &(*pp)->next)
			;
		t = *pp;
		if (t == NULL || t->deadline > now)
			break;
		*pp = t->next;
		cb = t->cb;
		arg = t->arg;
		free(t);
		cb(arg);
	}
}

/* --- transfers ----------------------------------------------------------- */

static ssize_t
loop_xfer_index(const struct loop *l, CURL *easy)
{
	for (size_t i = 0; i < l->nxfers; i++)
		if (l->xfers[i].easy == easy)
			return (ssize_t)i;
	return -1;
}

static void
loop_xfer_unlink(struct loop *l, size_t i)
{
	memmove(&l->xfers[i], &l->xfers[i + 1],
		(l->nxfers - i - 1) * sizeof(*l->xfers));
	l->nxfers--;
}

int
loop_add_transfer(struct loop *l, CURL *easy, loop_xfer_cb cb, void *arg)
{
	if (easy == NULL || cb == NULL || loop_xfer_index(l, easy) >= 0)
		return -1;
	if (l->nxfers == l->xfers_cap) {
		l->xfers_cap = l->xfers_cap ? l->xfers_cap * 2 : 8;
		l->xfers = xreallocarray(l->xfers, l->xfers_cap,
					 sizeof(*l->xfers));
	}
	if (curl_multi_add_handle(l->multi, easy) != CURLM_OK)
		return -1;
	l->xfers[l->nxfers].easy = easy;
	l->xfers[l->nxfers].cb = cb;
	l->xfers[l->nxfers].arg = arg;
	l->nxfers++;
	return 0;
}

void
loop_remove_transfer(struct loop *l, CURL *easy)
{
	ssize_t i = loop_xfer_index(l, easy);

	if (i < 0)
		return;
	loop_xfer_unlink(l, (size_t)i);
	curl_multi_remove_handle(l->multi, easy);
}

int
loop_transfers(const struct loop *l)
{
	return (int)l->nxfers;
}

/*
 * Read one message at a time: a callback may remove other transfers, and
 * curl_multi_remove_handle() drops their pending messages from the queue.
 */
static void
loop_xfers_dispatch(struct loop *l)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		ssize_t i;
		loop_xfer_cb cb;
		void *arg;

		if (msg->msg != CURLMSG_DONE)
			continue;
		i = loop_xfer_index(l, easy);
		if (i < 0) {
			curl_multi_remove_handle(l->multi, easy);
			continue;
		}
		cb = l->xfers[i].cb;
		arg = l->xfers[i].arg;
		loop_xfer_unlink(l, (size_t)i);
		curl_multi_remove_handle(l->multi, easy);
		cb(easy, result, arg);
	}
}

/* --- signals ------------------------------------------------------------- */

static void
loop_sig_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	int fd = loop_sig_wfd;

	if (fd >= 0)
		(void)!write(fd, &b, 1);	/* a full pipe drops a repeat */
	errno = saved;
}

int
loop_signals(struct loop *l, loop_signal_cb cb, void *arg, struct err *e)
{
	struct sigaction sa;

	if (l->sig_pipe[1] >= 0) {
		l->sig_cb = cb;
		l->sig_arg = arg;
		return 0;
	}
	if (loop_sig_wfd >= 0)
		return err_set(e, "signal handlers already owned by a loop");
	if (pipe2(l->sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return err_set(e, "cannot create signal pipe: %s",
			       strerror(errno));
	l->sig_cb = cb;
	l->sig_arg = arg;
	loop_sig_wfd = l->sig_pipe[1];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (size_t i = 0; i < LOOP_NSIGNALS; i++) {
		if (sigaction(loop_signos[i], &sa, &l->sig_old[i]) != 0) {
			int saved = errno;

			while (i-- > 0)
				sigaction(loop_signos[i], &l->sig_old[i],
					  NULL);
			loop_sig_wfd = -1;
			close(l->sig_pipe[0]);
			close(l->sig_pipe[1]);
			l->sig_pipe[0] = l->sig_pipe[1] = -1;
			return err_set(e, "cannot install signal handler: %s",
				       strerror(saved));
		}
	}
	return 0;
}

static void
loop_signals_dispatch(struct loop *l)
{
	unsigned char buf[64];
	bool seen[256] = { false };
	unsigned char order[256];
	size_t norder = 0;
	ssize_t n;

	if (l->sig_pipe[0] < 0)
		return;
	/* Several deliveries of one signal before a pass are one event. */
	while ((n = read(l->sig_pipe[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (!seen[buf[i]]) {
				seen[buf[i]] = true;
				order[norder++] = buf[i];
			}
		}
	}
	for (size_t i = 0; i < norder; i++) {
		/* The callback may have been cleared by a previous one. */
		if (l->sig_cb != NULL)
			l->sig_cb(order[i], l->sig_arg);
	}
}

/* --- the pass ------------------------------------------------------------ */

static short
loop_to_curl_events(short events)
{
	short w = 0;

	if (events & POLLIN)
		w |= CURL_WAIT_POLLIN;
	if (events & POLLPRI)
		w |= CURL_WAIT_POLLPRI;
	if (events & POLLOUT)
		w |= CURL_WAIT_POLLOUT;
	return w;
}

int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct curl_waitfd *wfds;
	struct pollfd *pfds;
	unsigned long *ids;
	size_t n = l->nfds, nw;
	int timeout, rc = 0, running;

	timeout = max_wait_ms < 0 ? INT_MAX : max_wait_ms;
	if (l->timers != NULL) {
		int until = loop_clamp_ms(l->timers->deadline - loop_now(l));

		if (until < timeout)
			timeout = until;
	}

	/* Snapshot: callbacks below may change l->fds. */
	wfds = xcalloc(n + 1, sizeof(*wfds));
	pfds = xcalloc(n + 1, sizeof(*pfds));
	ids = xcalloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		wfds[i].fd = l->fds[i].fd;
		wfds[i].events = loop_to_curl_events(l->fds[i].events);
		pfds[i].fd = l->fds[i].fd;
		pfds[i].events = l->fds[i].events;
		ids[i] = l->fds[i].id;
	}
	nw = n;
	if (l->sig_pipe[0] >= 0) {
		wfds[nw].fd = l->sig_pipe[0];
		wfds[nw].events = CURL_WAIT_POLLIN;
		nw++;
	}

	if (curl_multi_poll(l->multi, wfds, (unsigned)nw, timeout, NULL) !=
	    CURLM_OK)
		rc = -1;
	if (curl_multi_perform(l->multi, &running) != CURLM_OK)
		rc = -1;
	loop_xfers_dispatch(l);

	if (n > 0 && poll(pfds, n, 0) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct loop_fd *f;

			if (pfds[i].revents == 0)
				continue;
			f = loop_fd_by_id(l, ids[i]);
			if (f != NULL)
				f->cb(f->fd, pfds[i].revents, f->arg);
		}
	}
	free(wfds);
	free(pfds);
	free(ids);

	loop_timers_dispatch(l);
	loop_signals_dispatch(l);
	return rc;
}

void
loop_run(struct loop *l)
{
	while (!l->broken &&
	       (l->nfds > 0 || l->timers != NULL || l->nxfers > 0))
		loop_run_once(l, -1);
}

void
loop_break(struct loop *l)
{
	l->broken = true;
}

bool
loop_broken(const struct loop *l)
{
	return l->broken;
}
