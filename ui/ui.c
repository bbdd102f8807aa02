/*
 * ui — screen set-up, the loop, keys, dialogs (see ui.h).
 *
 * Dialogs are overlays on a small stack: while one is open the loop goes
 * on refreshing sources and evaluating gates, and a confirmation asked in
 * one state is withdrawn when the state changes under it (the operator
 * said yes to something that no longer exists).  Signal handlers only
 * write to the loop's self-pipe; resizing, SIGHUP and SIGTERM are handled
 * here in normal context.  Quitting never changes traffic.
 */
#include "config.h"

#include "ui.h"

#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dialog.h"
#include "keymap.h"
#include "logview.h"
#include "pane.h"
#include "theme.h"
#include "xmalloc.h"

#define ALL_PANES ((1u << PANE_COUNT) - 1)

static struct ui *oom_ui;

static void
restore_terminal(void)
{
	if (oom_ui != NULL && !isendwin())
		endwin();
}

/* The panes that `changes` (SESSION_DIRTY_* | PANE_DIRTY_*) make dirty. */
static unsigned
panes_for(unsigned changes)
{
	unsigned m = 0;

	for (int i = 0; i < PANE_COUNT; i++)
		if (pane_table[i]->dirty & changes)
			m |= 1u << i;
	return m;
}

/* The session as it is now (also in u->view for the panes). */
static const struct session_view *
look(struct ui *u)
{
	session_view_fill(u->s, &u->view);
	return &u->view;
}

static void
note(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->note, sizeof(u->note), fmt, ap);
	va_end(ap);
	u->note_until = clock_mono(u->s->clock) + 8000;
	u->dirty |= panes_for(PANE_DIRTY_NOTE);
}

/* --- windows --------------------------------------------------------------- */

static void
free_windows(struct ui *u)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (u->win[i] != NULL)
			delwin(u->win[i]);
		u->win[i] = NULL;
	}
}

static void
make_windows(struct ui *u);

/* The size is known to curses: new windows, everything redrawn. */
static void
relayout(struct ui *u)
{
	clearok(curscr, TRUE);
	make_windows(u);
}

static void
make_windows(struct ui *u)
{
	int min_h[PANE_COUNT];

	free_windows(u);
	for (int i = 0; i < PANE_COUNT; i++)
		min_h[i] = pane_table[i]->min_h;
	layout_compute_board(&u->lay, LINES, COLS, look(u)->plan->ngroups,
			     1 + (look(u)->plan->probes.n > 2 ?
				  look(u)->plan->probes.n : 2), min_h);
	if (u->lay.too_small)
		return;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct rect *r = &u->lay.pane[i];

		/* newwin(0, ...) would reach the bottom of the screen. */
		u->win[i] = r->h > 0 ? newwin(r->h, r->w, r->y, r->x) : NULL;
	}
	u->dirty = ALL_PANES;
}

/*
 * Tell curses the terminal's size when it changed (on SIGWINCH, and once a
 * loop pass, since a SIGWINCH can be lost between two quick resizes).
 * resizeterm() queues a KEY_RESIZE, which the input handler takes as "the
 * size changed, lay out again"; it must not call resizeterm() again, or
 * every key would queue another.
 */
static void
resize(struct ui *u)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 ||
	    ws.ws_col == 0 || (ws.ws_row == LINES && ws.ws_col == COLS))
		return;
	resizeterm(ws.ws_row, ws.ws_col);
	relayout(u);
}

/* --- drawing ------------------------------------------------------------------ */

/* The panes that the session's changes `d` make dirty. */
static void
take_session_dirt(struct ui *u, unsigned d)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_ops *ops = pane_table[i];

		if (!(ops->dirty & d))
			continue;
		if (ops->changed != NULL)
			ops->changed(u, d);
		u->dirty |= 1u << i;
	}
}

static void
draw_too_small(void)
{
	const char *msg = "cutover needs at least 80x24";
	char size[64];

	erase();
	snprintf(size, sizeof(size), "this terminal is %dx%d", COLS, LINES);
	mvaddnstr(LINES / 2 - 1, 0, msg, COLS);
	mvaddnstr(LINES / 2, 0, size, COLS);
	mvaddnstr(LINES / 2 + 1, 0, "q quits; traffic is not touched", COLS);
	wnoutrefresh(stdscr);
}

/* Each dialog in a window of its own size: the panes beside it stay. */
static void
draw_dialogs(struct ui *u)
{
	for (int i = 0; i < u->ndialogs; i++) {
		int w = COLS - 8 < 70 ? COLS - 8 : 70;
		int h = LINES - 6 < 18 ? LINES - 6 : 18;
		int bw, bh;
		WINDOW *dw;

		if (u->dialogs[i].kind == PENDING_INFO) {
			w = COLS - 2 < 80 ? COLS - 2 : 80;
			h = LINES - 2;
		}
		dialog_size(u->dialogs[i].dialog, w, h, &bw, &bh);
		if (bw < 1 || bh < 1)
			continue;
		dw = newwin(bh, bw, (LINES - bh) / 2, (COLS - bw) / 2);
		if (dw == NULL)
			continue;
		dialog_draw(u->dialogs[i].dialog, dw, 0, 0, bw, bh);
		wnoutrefresh(dw);
		delwin(dw);
	}
}

/* Draw what the session's changes `d` and the ui's own made dirty. */
static void
draw(struct ui *u, unsigned d)
{
	look(u);
	take_session_dirt(u, d);
	if (session_view_take_bell(u->s))
		beep();
	if (u->lay.too_small) {
		draw_too_small();
		doupdate();
		u->dirty = 0;
		return;
	}
	if (u->lv.open) {
		/* The whole log over the panes: redrawn as lines come. */
		if (u->dirty != 0 || (d & SESSION_DIRTY_LOG))
			logview_draw(u);
		u->dirty = 0;
		doupdate();
		return;
	}
	/* An overlay covers panes: redraw everything under it. */
	if (u->ndialogs > 0 && u->dirty != 0)
		u->dirty = ALL_PANES;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct rect *r = &u->lay.pane[i];

		if (!(u->dirty & (1u << i)) || u->win[i] == NULL)
			continue;
		pane_table[i]->draw(u, u->win[i], r->h, r->w);
		/* An overlay may have covered it: copy it all, curses sends
		 * only what differs from the terminal. */
		touchwin(u->win[i]);
		wnoutrefresh(u->win[i]);
	}
	if (u->ndialogs > 0 && u->dirty != 0)
		draw_dialogs(u);
	u->dirty = 0;
	doupdate();
}

/* --- dialogs ------------------------------------------------------------------ */

static void
push_dialog(struct ui *u, struct dialog *d, enum action_kind kind, bool force)
{
	const struct cutover_state *st = &look(u)->state;
	struct pending *p;

	if (u->ndialogs == UI_DIALOGS_MAX) {
		dialog_free(d);
		return;
	}
	p = &u->dialogs[u->ndialogs++];
	p->dialog = d;
	p->kind = kind;
	p->force = force;
	p->reason_step = false;
	p->phase = st->phase;
	p->stage = st->stage;
	p->seq = st->seq;
	u->dirty = ALL_PANES;
}

static void
pop_dialog(struct ui *u)
{
	if (u->ndialogs == 0)
		return;
	dialog_free(u->dialogs[--u->ndialogs].dialog);
	u->dirty = ALL_PANES;
}

/* A confirmation asked in another state is no longer valid. */
static void
withdraw_stale(struct ui *u)
{
	const struct cutover_state *st = &look(u)->state;

	for (int i = u->ndialogs - 1; i >= 0; i--) {
		struct pending *p = &u->dialogs[i];

		if (p->kind == PENDING_INFO || p->kind == PENDING_QUIT)
			continue;
		if (p->phase == st->phase && p->stage == st->stage &&
		    p->seq == st->seq)
			continue;
		/* Only the top one can go without reordering; drop all above. */
		while (u->ndialogs > i)
			pop_dialog(u);
		session_log(u->s, EVLOG_WARN, "confirmation withdrawn: the "
			    "state changed (now %s, stage %d)",
			    cutover_phase_name(st->phase), st->stage);
		note(u, "confirmation withdrawn: the state changed");
	}
}

static void
act_why(struct ui *u, enum event_type type, bool force, const char *reason)
{
	const char *why = NULL;

	if (session_act(u->s, type, force, reason, &why) != 0)
		note(u, "%s refused: %s", cutover_event_name(type), why);
}

static void
act(struct ui *u, enum event_type type, bool force)
{
	act_why(u, type, force, NULL);
}

/*
 * After a yes to an advance or a rollback: the reason for the record (a
 * change ticket), optional unless the plan requires one for an advance.
 * A rollback is never held up for one: an empty line rolls back, and the
 * record says that none was given.  The prompt belongs to the state the
 * question was asked in, so a change withdraws it too.
 */
static void
ask_reason(struct ui *u, const struct pending *p)
{
	bool rollback = p->kind == PENDING_ROLLBACK;
	bool required = look(u)->plan->require_reason && !rollback;
	struct dialog *d = dialog_new(DIALOG_TEXT, rollback ?
				      "Reason for the rollback" :
				      "Reason for the advance",
				      rollback && look(u)->plan->require_reason ?
				      "For the audit log: the plan asks for "
				      "one; Enter alone still rolls back." :
				      "For the audit log: a change ticket, "
				      "an incident, a few words.", NULL);
	struct pending *q;

	dialog_set_required(d, required);
	if (u->ndialogs == UI_DIALOGS_MAX) {
		dialog_free(d);
		return;
	}
	q = &u->dialogs[u->ndialogs++];
	*q = *p;
	q->dialog = d;
	q->reason_step = true;
	u->dirty = ALL_PANES;
}

static void
confirmed(struct ui *u, const struct pending *p, const char *reason)
{
	if ((p->kind == PENDING_ADVANCE || p->kind == PENDING_ROLLBACK) &&
	    !p->reason_step) {
		ask_reason(u, p);
		return;
	}
	switch (p->kind) {
	case PENDING_ADVANCE:
		act_why(u, EV_ADVANCE, p->force, reason != NULL &&
			reason[0] != '\0' ? reason : NULL);
		break;
	case PENDING_ROLLBACK:
		act_why(u, EV_ROLLBACK, false, reason != NULL &&
			reason[0] != '\0' ? reason : NULL);
		break;
	case PENDING_RETRY:
		act(u, EV_RETRY, false);
		break;
	case PENDING_QUIT:
		u->quit = true;
		break;
	case PENDING_INFO:
	case PENDING_NONE:
		break;
	}
}

static void
ask_advance(struct ui *u)
{
	const struct session_view *v = look(u);
	const struct cutover_state *st = &v->state;
	const char *why = v->act[SESSION_VIEW_ADVANCE].why;
	int next = st->phase == PHASE_ROLLED_BACK ? 1 : st->stage + 1;
	int now_istio = v->drift ? v->drift_weights.istio : st->applied.istio;
	struct weights to = cutover_stage_weights(v->plan, next);
	char title[96];
	char body[512];

	if (u->opt.demo && v->autopilot)
		note(u, "demo autopilot is on (--no-autopilot to drive)");
	if (v->act[SESSION_VIEW_ADVANCE].allowed) {
		snprintf(title, sizeof(title), "Advance to stage %d?", next);
		snprintf(body, sizeof(body), "Istio %d%% -> %d%%, APISIX %d%% "
			 "-> %d%%.\n\nThe driver applies the new weights now.",
			 st->applied.istio, to.istio, st->applied.apisix,
			 to.apisix);
		push_dialog(u, dialog_new(DIALOG_CONFIRM, title, body, NULL),
			    PENDING_ADVANCE, false);
		return;
	}
	if (!v->act[SESSION_VIEW_FORCE].allowed) {
		/* Refused even when forced: audited and logged as such. */
		act(u, EV_ADVANCE, false);
		return;
	}
	snprintf(title, sizeof(title), "FORCE advance to stage %d?", next);
	snprintf(body, sizeof(body), "Not safe by the plan: %s.\n\nIstio %d%% "
		 "-> %d%%.  Type 'advance' and Enter to go on anyway; Esc "
		 "cancels.", why, now_istio, to.istio);
	{
		struct dialog *d = dialog_new(DIALOG_TYPED, title, body,
					      "advance");

		dialog_set_role(d, ROLE_WARN);
		push_dialog(u, d, PENDING_ADVANCE, true);
	}
}

static void
ask(struct ui *u, enum action_kind kind)
{
	const struct session_view *v = look(u);
	const struct cutover_state *st = &v->state;
	struct event ev = { .type = kind == PENDING_RETRY ? EV_RETRY :
					    EV_ROLLBACK };
	char body[256];
	struct dialog *d;

	if (v->read_only) {
		note(u, "read-only: another cutover holds this plan");
		return;
	}
	if (!v->act[kind == PENDING_RETRY ? SESSION_VIEW_RETRY :
		    SESSION_VIEW_ROLLBACK].allowed) {
		/* Audited and logged as a refusal, noted on the hints line. */
		act(u, ev.type, false);
		return;
	}
	if (kind == PENDING_ROLLBACK) {
		snprintf(body, sizeof(body), "All traffic back to APISIX: "
			 "Istio %d%% -> 0%%.\nIstio keeps running for "
			 "diagnosis.", st->applied.istio);
		d = dialog_new(DIALOG_CONFIRM, "Roll back?", body, NULL);
		dialog_set_role(d, ROLE_CRIT);
	} else {
		snprintf(body, sizeof(body), "Retry the failed driver step "
			 "(%s)?", st->retry_rollback ? "the rollback" :
			 "the shift");
		d = dialog_new(DIALOG_CONFIRM, "Retry?", body, NULL);
	}
	push_dialog(u, d, kind, false);
}

static void
show_help(struct ui *u)
{
	char *keys = keymap_help();
	char *body = xasprintf("%s\nA stage advances only on the operator's "
			       "key (or the demo autopilot).  Gates are "
			       "pass, fail or no data; no data never "
			       "passes.\nThe log view (l): Up/Down and "
			       "PgUp/PgDn scroll, / searches, n and N go to "
			       "the next and previous match, Esc or l goes "
			       "back.\nAges of data: dim when fresh, amber "
			       "when late, red when stale.  A pane that hides "
			       "rows says how many (+2 groups); Tab focuses "
			       "it, j/k scroll it.\n"
			       "j/k and PgUp/PgDn scroll this help; "
			       "any other key closes it.", keys);

	push_dialog(u, dialog_new(DIALOG_INFO, "cutover keys", body, NULL),
		    PENDING_INFO, false);
	free(body);
	free(keys);
}

/* Tab: the next pane that takes the focus, in the table's order. */
static void
next_focus(struct ui *u)
{
	int i = u->focus;

	do
		i = (i + 1) % PANE_COUNT;
	while (!pane_table[i]->focusable && i != u->focus);
	u->focus = i;
	u->dirty |= panes_for(PANE_DIRTY_FOCUS);
}

static void
key(struct ui *u, int k)
{
	enum action a;

	if (u->ndialogs > 0) {
		struct pending *p = &u->dialogs[u->ndialogs - 1];
		enum dialog_result r = dialog_key(p->dialog, k);

		u->dirty = ALL_PANES;
		if (r == DIALOG_PENDING)
			return;
		{
			struct pending copy = *p;
			char reason[DIALOG_INPUT_MAX * 4 + 1];

			snprintf(reason, sizeof(reason), "%s",
				 dialog_input(p->dialog));
			copy.dialog = NULL;
			pop_dialog(u);
			if (r == DIALOG_YES)
				confirmed(u, &copy, copy.reason_step ?
					  reason : NULL);
			else if (copy.kind != PENDING_INFO)
				note(u, "cancelled; nothing changed");
		}
		return;
	}
	if (u->lay.too_small) {
		if (k == 'q')
			u->quit = true;
		return;
	}
	if (u->lv.open) {
		if (!logview_key(u, k)) {
			/* Back to the panes: all of them again. */
			clearok(curscr, TRUE);
		}
		u->dirty = ALL_PANES;
		return;
	}
	a = keymap_lookup(k);
	/* The focused pane first, then the global keymap (tig's order). */
	if (a != ACT_NONE && pane_table[u->focus]->key != NULL) {
		int r = pane_table[u->focus]->key(u, a);

		if (r & PANE_KEY_REDRAW)
			u->dirty |= 1u << u->focus;
		if (r & PANE_KEY_HANDLED)
			return;
	}
	switch (a) {
	case ACT_ADVANCE:
		if (look(u)->guard_down)
			note(u, "the guard is down: g starts it again");
		else if (look(u)->read_only)
			note(u, "read-only: another cutover holds this plan");
		else
			ask_advance(u);
		break;
	case ACT_PAUSE:
		if (look(u)->state.phase == PHASE_PAUSED)
			act(u, EV_RESUME, false);
		else
			act(u, EV_PAUSE, false);
		break;
	case ACT_ROLLBACK:
		ask(u, PENDING_ROLLBACK);
		break;
	case ACT_RETRY:
		ask(u, PENDING_RETRY);
		break;
	case ACT_ACK:
		if (session_acknowledge(u->s) != 0)
			note(u, "no alarm to acknowledge");
		break;
	case ACT_GUARD: {
		const char *why;

		if (session_guard_restart(u->s, &why) != 0)
			note(u, "%s", why);
		else
			note(u, "starting the guard again");
		break;
	}
	case ACT_LOG:
		logview_open(u);
		u->dirty = ALL_PANES;
		break;
	case ACT_HELP:
		show_help(u);
		break;
	case ACT_QUIT:
		look(u);
		if (u->view.busy && !u->view.reading_back) {
			push_dialog(u, dialog_new(DIALOG_CONFIRM, "Quit now?",
				    "A driver step is running.  Quitting "
				    "abandons it; traffic is not changed and "
				    "the next start reads the weights back.",
				    NULL), PENDING_QUIT, false);
		} else {
			u->quit = true;
		}
		break;
	case ACT_FOCUS:
		next_focus(u);
		break;
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		/* Scrolling is the focused pane's; this one has none. */
		break;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		u->dirty = ALL_PANES;
		break;
	case ACT_NONE:
	case ACT_COUNT:
		break;
	}
}

static void
on_input(int fd, short revents, void *arg)
{
	struct ui *u = arg;
	wint_t wc;
	int rc;

	(void)fd;
	if (revents & (POLLHUP | POLLERR)) {
		/* The terminal went away (ssh dropped): leave quietly. */
		u->quit = true;
		return;
	}
	while ((rc = get_wch(&wc)) != ERR) {
		if (rc == KEY_CODE_YES && wc == KEY_RESIZE) {
			relayout(u);
			continue;
		}
		key(u, (int)wc);
		if (u->quit)
			break;
	}
}

static void
on_signal(int signo, void *arg)
{
	struct ui *u = arg;

	switch (signo) {
	case SIGWINCH:
		resize(u);
		break;
	case SIGHUP:
	case SIGTERM:
	case SIGINT:
		session_log(u->s, EVLOG_WARN, "signal %d: saving and leaving; "
			    "traffic untouched", signo);
		/* Who closed the terminal is not known; that it closed is. */
		session_record(u->s, "dashboard_exit", signo == SIGHUP ?
			       "SIGHUP: the terminal hung up; traffic "
			       "untouched" : signo == SIGTERM ? "SIGTERM: "
			       "terminated; traffic untouched" : "SIGINT: "
			       "interrupted; traffic untouched", "ok");
		u->quit = true;
		u->exit_code = 128 + signo;
		break;
	default:
		break;
	}
}

static void
wake(void *arg)
{
	(void)arg;
}

int
ui_run(struct session *s, const struct cli_ui_options *o)
{
	struct ui u;
	struct err e;
	const char *cs;
	SCREEN *scr;

	memset(&u, 0, sizeof(u));
	u.s = s;
	u.opt = *o;
	/* The focus starts on the first pane that takes it. */
	while (u.focus < PANE_COUNT - 1 && !pane_table[u.focus]->focusable)
		u.focus++;
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	widget_set_ascii(o->ascii || cs == NULL || strcmp(cs, "UTF-8") != 0);
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		fprintf(stderr, "cutover: cannot start the terminal (TERM=%s)\n",
			getenv("TERM") != NULL ? getenv("TERM") : "");
		return CLI_USAGE;
	}
	oom_ui = &u;
	xmalloc_set_oom_hook(restore_terminal);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	/* Always finish a frame: curses would otherwise stop mid-update when
	 * a key is waiting, and leave half a dialog on the screen until the
	 * next redraw. */
	typeahead(-1);
	theme_init(o->no_color);
	u.log = textlog_new(EVLOG_MAX);
	textlog_follow(u.log, true);
	look(&u);
	for (int i = 0; i < PANE_COUNT; i++)
		if (pane_table[i]->init != NULL)
			pane_table[i]->init(&u);
	if (session_signals(s, on_signal, &u, &e) != 0)
		session_log(s, EVLOG_WARN, "signals: %s", e.msg);
	loop_add_fd(s->loop, STDIN_FILENO, POLLIN, on_input, &u);
	session_view_on_change(s, wake, &u);
	make_windows(&u);
	u.exit_code = 0;
	draw(&u, session_view_take_dirty(s) | SESSION_DIRTY_ALL);
	while (!u.quit) {
		loop_run_once(s->loop, 1000);
		resize(&u);
		withdraw_stale(&u);
		if (u.note[0] != '\0' &&
		    clock_mono(s->clock) > u.note_until) {
			u.note[0] = '\0';
			u.dirty |= panes_for(PANE_DIRTY_NOTE);
		}
		{
			unsigned d = session_view_take_dirty(s);

			if (d != 0 || u.dirty != 0)
				draw(&u, d);
		}
	}
	loop_del_fd(s->loop, STDIN_FILENO);
	session_view_on_change(s, NULL, NULL);
	while (u.ndialogs > 0)
		pop_dialog(&u);
	free_windows(&u);
	textlog_free(u.log);
	endwin();
	delscreen(scr);
	oom_ui = NULL;
	return u.exit_code;
}
