/*
 * dialog — confirm, typed-word and info overlays.
 *
 * Layout, top to bottom: border with " title " in it, the body wrapped to
 * the inner width, a blank line, for DIALOG_TYPED a prompt line and an
 * input line, the key footer (ROLE_DIM), the bottom border.  The inner
 * width is the widest of title, body lines and footer, between 24 and 56
 * columns (76 for an info), shrunk to the box.  Body lines that do not fit
 * the height are dropped from the end, the last shown one replaced by
 * "..."; an info scrolls instead, its footer saying which lines show.
 * The typed answer is kept as UTF-8 and compared byte for byte.
 */
#include "config.h"

#include "dialog.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct dialog {
	enum dialog_kind kind;
	enum role role;
	char *title;
	char *body;
	char *word;
	char input[DIALOG_INPUT_MAX * 4 + 1];
	size_t ninput;
	bool mismatch;		/* Enter was pressed on a wrong word */
	bool required;		/* DIALOG_TEXT: an empty line is refused */
	int top;		/* DIALOG_INFO: first body line shown */
	int page;		/* ... body lines shown at the last draw */
	int max_top;		/* ... and the last top there is */
	enum dialog_result result;
};

struct dialog *
dialog_new(enum dialog_kind kind, const char *title, const char *body,
	   const char *word)
{
	struct dialog *d = xcalloc(1, sizeof(*d));

	d->kind = kind;
	d->role = ROLE_NORMAL;
	d->title = xstrdup(title != NULL ? title : "");
	d->body = xstrdup(body != NULL ? body : "");
	d->word = xstrdup(word != NULL ? word : "");
	d->result = DIALOG_PENDING;
	return d;
}

void
dialog_free(struct dialog *d)
{
	if (d == NULL)
		return;
	free(d->title);
	free(d->body);
	free(d->word);
	free(d);
}

void
dialog_set_role(struct dialog *d, enum role r)
{
	d->role = r;
}

enum dialog_result
dialog_result(const struct dialog *d)
{
	return d->result;
}

const char *
dialog_input(const struct dialog *d)
{
	return d->input;
}

static bool
dialog_is_enter(int key)
{
	return key == '\n' || key == '\r' || key == KEY_ENTER;
}

static bool
dialog_is_backspace(int key)
{
	return key == KEY_BACKSPACE || key == 127 || key == '\b';
}

/* Drop the last UTF-8 character of the input. */
static void
dialog_backspace(struct dialog *d)
{
	while (d->ninput > 0) {
		unsigned char c = (unsigned char)d->input[--d->ninput];

		if ((c & 0xc0) != 0x80)
			break;
	}
	d->input[d->ninput] = '\0';
}

/* Append code point key to the input as UTF-8, if it is printable. */
static void
dialog_append(struct dialog *d, int key)
{
	char buf[4];
	int n = 0;
	unsigned u = (unsigned)key;

	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) ||
	    key > 0x10ffff || (key >= 0xd800 && key <= 0xdfff))
		return;
	if (widget_text_width(d->input) >= DIALOG_INPUT_MAX)
		return;
	if (u < 0x80) {
		buf[n++] = (char)u;
	} else if (u < 0x800) {
		buf[n++] = (char)(0xc0 | u >> 6);
		buf[n++] = (char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		buf[n++] = (char)(0xe0 | u >> 12);
		buf[n++] = (char)(0x80 | (u >> 6 & 0x3f));
		buf[n++] = (char)(0x80 | (u & 0x3f));
	} else {
		buf[n++] = (char)(0xf0 | u >> 18);
		buf[n++] = (char)(0x80 | (u >> 12 & 0x3f));
		buf[n++] = (char)(0x80 | (u >> 6 & 0x3f));
		buf[n++] = (char)(0x80 | (u & 0x3f));
	}
	if (d->ninput + (size_t)n >= sizeof(d->input))
		return;
	memcpy(d->input + d->ninput, buf, (size_t)n);
	d->ninput += (size_t)n;
	d->input[d->ninput] = '\0';
}

void
dialog_set_required(struct dialog *d, bool required)
{
	d->required = required;
}

enum dialog_result
dialog_key(struct dialog *d, int key)
{
	bool fkey = key >= KEY_MIN && key <= KEY_MAX;

	if (d->result != DIALOG_PENDING || key == KEY_RESIZE)
		return d->result;
	switch (d->kind) {
	case DIALOG_INFO:
		if (key == KEY_UP || key == 'k')
			d->top--;
		else if (key == KEY_DOWN || key == 'j')
			d->top++;
		else if (key == KEY_PPAGE)
			d->top -= d->page > 1 ? d->page - 1 : 1;
		else if (key == KEY_NPAGE || key == ' ')
			d->top += d->page > 1 ? d->page - 1 : 1;
		else if (key == KEY_HOME)
			d->top = 0;
		else if (key == KEY_END)
			d->top = d->max_top;
		else
			d->result = DIALOG_YES;
		if (d->top > d->max_top)
			d->top = d->max_top;
		if (d->top < 0)
			d->top = 0;
		break;
	case DIALOG_CONFIRM:
		if (key == 'y' || key == 'Y')
			d->result = DIALOG_YES;
		else if (key == 'n' || key == 'N' || key == 27 ||
		    dialog_is_enter(key))
			d->result = DIALOG_NO;
		break;
	case DIALOG_TYPED:
	case DIALOG_TEXT:
		if (key == 27) {
			d->result = DIALOG_NO;
		} else if (dialog_is_enter(key)) {
			if (d->kind == DIALOG_TEXT &&
			    (d->ninput > 0 || !d->required))
				d->result = DIALOG_YES;
			else if (d->kind == DIALOG_TEXT)
				d->mismatch = true;
			else if (strcmp(d->input, d->word) == 0)
				d->result = DIALOG_YES;
			else
				d->mismatch = true;
		} else if (dialog_is_backspace(key)) {
			dialog_backspace(d);
			d->mismatch = false;
		} else if (key == 21) {		/* Ctrl-U */
			d->ninput = 0;
			d->input[0] = '\0';
			d->mismatch = false;
		} else if (!fkey) {
			dialog_append(d, key);
			d->mismatch = false;
		}
		break;
	}
	return d->result;
}

static int dialog_body_width(const char *s);

static const char *
dialog_footer(const struct dialog *d)
{
	switch (d->kind) {
	case DIALOG_CONFIRM:
		return "y: yes   n/Esc/Enter: no";
	case DIALOG_TYPED:
	case DIALOG_TEXT:
		return "Enter: confirm   Esc: cancel";
	case DIALOG_INFO:
		break;
	}
	return "any key: close";
}

/* The inner width, and the rows taken besides the body. */
static int
dialog_inner(const struct dialog *d, int width, int *extra)
{
	int inner = dialog_body_width(d->body);
	int most = d->kind == DIALOG_INFO ? 76 : 56;

	if (widget_text_width(d->title) + 4 > inner)
		inner = widget_text_width(d->title) + 4;
	if (widget_text_width(dialog_footer(d)) > inner)
		inner = widget_text_width(dialog_footer(d));
	if (d->kind == DIALOG_TYPED &&
	    widget_text_width(d->word) + 24 > inner)
		inner = widget_text_width(d->word) + 24;
	if (inner < 24)
		inner = 24;
	if (inner > most)
		inner = most;
	if (inner > width - 4)
		inner = width - 4;
	*extra = 2 + 1 + 1 + (d->kind == DIALOG_TYPED ||
			      d->kind == DIALOG_TEXT ? 2 : 0);
	return inner;
}

/* Widest body paragraph, in columns. */
static int
dialog_body_width(const char *s)
{
	int best = 0;

	while (s != NULL && *s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		int wd = widget_textn_width(s, len);

		if (wd > best)
			best = wd;
		s = nl != NULL ? nl + 1 : NULL;
	}
	return best;
}

static int
dialog_body_lines(const char *s, int width)
{
	int n = 0;
	size_t len;

	while (s != NULL) {
		s = widget_wrap(s, width, &len);
		n++;
	}
	return n;
}

void
dialog_size(const struct dialog *d, int width, int height, int *bw, int *bh)
{
	int extra;
	int inner = dialog_inner(d, width, &extra);
	int nbody = dialog_body_lines(d->body, inner > 0 ? inner : 1);

	*bw = inner + 4 < width ? inner + 4 : width;
	*bh = nbody + extra < height ? nbody + extra : height;
	if (*bw < 0)
		*bw = 0;
	if (*bh < 0)
		*bh = 0;
}

void
dialog_draw(struct dialog *d, WINDOW *w, int y, int x, int width, int height)
{
	int inner, bw, bh, nbody, total, extra, by, bx, row;
	bool scrolls;
	const char *s;
	size_t len;
	char *prompt;

	inner = dialog_inner(d, width, &extra);
	if (inner < 1 || height < 3)
		return;
	bw = inner + 4;
	total = nbody = dialog_body_lines(d->body, inner);
	if (nbody + extra > height)
		nbody = height - extra;
	if (nbody < 0)
		nbody = 0;
	scrolls = d->kind == DIALOG_INFO && nbody < total;
	d->page = nbody;
	d->max_top = scrolls ? total - nbody : 0;
	if (d->top > d->max_top)
		d->top = d->max_top;
	bh = nbody + extra;
	if (bh > height)
		bh = height;
	by = y + (height - bh) / 2;
	bx = x + (width - bw) / 2;

	for (int i = 1; i < bh - 1; i++)
		widget_blank(w, by + i, bx + 1, bw - 2);
	widget_box(w, by, bx, bh, bw, d->role);
	if (d->title[0] != '\0') {
		int tw = widget_text(w, by, bx + 2, 1, d->role, " ");

		tw += widget_text(w, by, bx + 2 + tw, bw - 5, ROLE_TITLE,
		    d->title);
		widget_text(w, by, bx + 2 + tw, 1, d->role, " ");
	}
	row = by + 1;
	s = d->body;
	/* A scrolled info starts further down its body. */
	for (int i = 0; scrolls && i < d->top && s != NULL; i++)
		s = widget_wrap(s, inner, &len);
	for (int i = 0; i < nbody && s != NULL; i++) {
		const char *seg = s;

		s = widget_wrap(s, inner, &len);
		if (i == nbody - 1 && s != NULL && !scrolls)
			widget_text(w, row, bx + 2, inner, ROLE_NORMAL, "...");
		else
			widget_textn(w, row, bx + 2, inner, ROLE_NORMAL, seg,
			    len);
		row++;
	}
	row++;
	if ((d->kind == DIALOG_TYPED || d->kind == DIALOG_TEXT) &&
	    row + 2 < by + bh) {
		if (d->kind == DIALOG_TEXT)
			prompt = xasprintf("%s", d->mismatch ? "a reason is "
					   "required:" : d->required ?
					   "reason (required):" :
					   "reason (optional; Enter skips):");
		else if (d->mismatch)
			prompt = xasprintf("does not match; type \"%s\":",
			    d->word);
		else
			prompt = xasprintf("type \"%s\" and press Enter:",
			    d->word);
		widget_text(w, row++, bx + 2, inner,
		    d->mismatch ? ROLE_CRIT : ROLE_NORMAL, prompt);
		free(prompt);
		{
			int used = widget_text(w, row, bx + 2, inner,
			    ROLE_FOCUS, "> ");
			int iw = widget_text_width(d->input);
			const char *in = d->input;

			/* keep the end of a long answer in view */
			while (iw > inner - used - 1 && *in != '\0') {
				in++;
				while ((*in & 0xc0) == 0x80)
					in++;
				iw = widget_text_width(in);
			}
			used += widget_text(w, row, bx + 2 + used,
			    inner - used, ROLE_FOCUS, in);
			widget_fill(w, row, bx + 2 + used, inner - used,
			    ROLE_FOCUS);
		}
		row++;
	}
	if (row < by + bh - 1 && scrolls) {
		char *f = xasprintf("%d-%d of %d  j/k PgUp/PgDn: scroll, "
				    "other keys close", d->top + 1,
				    d->top + nbody, total);

		widget_text(w, row, bx + 2, inner, ROLE_DIM, f);
		free(f);
	} else if (row < by + bh - 1) {
		widget_text(w, row, bx + 2, inner, ROLE_DIM, dialog_footer(d));
	}
}
