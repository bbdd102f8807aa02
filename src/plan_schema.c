/*
 * plan_schema — the walker that reads and prints the plan's sections.
 *
 * The file is loaded whole with libyaml's document API (plan.c), so every
 * node keeps its start mark and every error can point at the offending key
 * or value (libyaml counts from 0; positions reported here count from 1).
 * Sections are described by tables of fields (key, type, offset, bounds);
 * one walker checks node kinds, unknown and duplicate keys and values for
 * every table; `check`'s printout and the list of keys walk the same tables.
 *
 * The walk is driven by the schema, not by the document, so YAML aliases
 * (even cyclic ones) cannot make it loop.  Nothing here stores or prints a
 * secret: plan strings are scrubbed before they are printed.
 */
#include "config.h"

#include "plan_schema.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"


/* ------------------------------------------------------------------------
 * Values
 */

/* Parse a duration; on failure *why says what is wrong. */
int
dur_parse(const char *s, int64_t *ms, const char **why)
{
	int64_t total = 0;
	const char *q = s;

	if (*s == '\0') {
		*why = "empty";
		return -1;
	}
	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*q != '\0') {
		int64_t n = 0, mult;

		if (!isdigit((unsigned char)*q)) {
			*why = "expected a number";
			return -1;
		}
		while (isdigit((unsigned char)*q)) {
			if (n > (INT64_MAX - 9) / 10) {
				*why = "too large";
				return -1;
			}
			n = n * 10 + (*q - '0');
			q++;
		}
		if (strncmp(q, "ms", 2) == 0) {
			mult = 1;
			q += 2;
		} else if (*q == 's') {
			mult = SEC;
			q++;
		} else if (*q == 'm') {
			mult = MIN;
			q++;
		} else if (*q == 'h') {
			mult = HOUR;
			q++;
		} else if (*q == '\0') {
			*why = "missing unit";
			return -1;
		} else if (*q == '.') {
			*why = "fractions are not supported";
			return -1;
		} else {
			*why = "unknown unit";
			return -1;
		}
		if (n > INT64_MAX / mult || total > INT64_MAX - n * mult) {
			*why = "too large";
			return -1;
		}
		total += n * mult;
	}
	*ms = total;
	return 0;
}

int
plan_parse_duration(const char *s, int64_t *ms)
{
	const char *why;
	int64_t v;

	if (s == NULL || dur_parse(s, &v, &why) == -1)
		return -1;
	*ms = v;
	return 0;
}

/* Strict decimal: digits, optional fraction; no sign, exponent, space. */
int
decimal_span(const char *s)
{
	const char *q = s;
	int digits = 0;

	while (isdigit((unsigned char)*q)) {
		q++;
		digits++;
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			q++;
			digits++;
		}
	}
	return digits > 0 ? (int)(q - s) : -1;
}

int
pct_parse(const char *s, double *frac, const char **why)
{
	int n;

	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	n = decimal_span(s);
	if (n < 0) {
		*why = "expected a number followed by %";
		return -1;
	}
	if (s[n] == '\0') {
		*why = "missing % (write 0.5% for half a percent)";
		return -1;
	}
	if (s[n] != '%' || s[n + 1] != '\0') {
		*why = "expected a number followed by %";
		return -1;
	}
	*frac = strtod(s, NULL) / 100.0;
	if (!(*frac <= 1.0)) {
		*why = "above 100%";
		return -1;
	}
	return 0;
}

int
plan_parse_percent(const char *s, double *frac)
{
	const char *why;
	double v;

	if (s == NULL || pct_parse(s, &v, &why) == -1)
		return -1;
	*frac = v;
	return 0;
}

void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? xstrdup(v) : NULL;
}

void
argv_free(struct plan_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

/* ------------------------------------------------------------------------
 * Printing
 */

void
fmt_dur(int64_t ms, char *buf, size_t len)
{
	size_t n = 0;
	int64_t h, m, s;

	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	h = ms / HOUR;
	ms %= HOUR;
	m = ms / MIN;
	ms %= MIN;
	s = ms / SEC;
	ms %= SEC;
	buf[0] = '\0';
	if (h > 0)
		n += snprintf(buf + n, len - n, "%" PRId64 "h", h);
	if (m > 0 && n < len)
		n += snprintf(buf + n, len - n, "%" PRId64 "m", m);
	if (s > 0 && n < len)
		n += snprintf(buf + n, len - n, "%" PRId64 "s", s);
	if (ms > 0 && n < len)
		snprintf(buf + n, len - n, "%" PRId64 "ms", ms);
}

void
fmt_pct(double frac, char *buf, size_t len)
{
	if (isnan(frac))
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%g%%", frac * 100.0);
}

/*
 * Plan strings are scrubbed (text.h): a password in a URL, a token in an
 * argv or a header, or a control character never reach the terminal.
 */
void
pr_str(FILE *out, const char *key, const char *v)
{
	char *k = text_scrub_dup(key);
	char *t = text_scrub_dup(v != NULL ? v : "(none)");

	fprintf(out, "%s: %s\n", k, t);
	free(k);
	free(t);
}

void
pr_dur(FILE *out, const char *key, int64_t ms)
{
	char buf[64];

	fmt_dur(ms, buf, sizeof(buf));
	fprintf(out, "%s: %s\n", key, buf);
}

void
pr_argv(FILE *out, const char *key, const struct plan_argv *a)
{
	fprintf(out, "%s: [", key);
	for (int i = 0; i < a->argc; i++) {
		char *t = text_scrub_dup(a->argv[i]);

		fprintf(out, "%s\"%s\"", i ? ", " : "", t);
		free(t);
	}
	fprintf(out, "]\n");
}

const char *
side_name(enum side s)
{
	return s == SIDE_ISTIO ? "istio" : s == SIDE_APISIX ? "apisix" : "none";
}

/* ------------------------------------------------------------------------
 * The walker
 */

yaml_node_t *
node_at(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

int
errn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set_at(c->e, c->file, n ? (int)n->start_mark.line + 1 : 0,
			  n ? (int)n->start_mark.column + 1 : 0, "%s", msg);
}

const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = scalar(n);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return is_null(n) ? "nothing" : "a scalar";
	default:
		return "nothing";
	}
}

/* A scalar that is not null; else an error naming `what`. */
int
want_scalar(struct ctx *c, const yaml_node_t *n, const char *key,
	    const char *what)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return errn(c, n, "expected %s for '%s', got %s", what, key,
			    kind_name(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return errn(c, n, "'%s' contains a NUL byte", key);
	return 0;
}

int
want_kind(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t,
	  const char *key)
{
	if (n->type == t)
		return 0;
	return errn(c, n, "expected %s for '%s', got %s",
		    t == YAML_MAPPING_NODE ? "a mapping" : "a list", key,
		    kind_name(n));
}

bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > PLAN_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return false;
	return true;
}

bool
valid_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '-'))
			return false;
	return true;
}

char *
expand_path(const char *v)
{
	const char *home = getenv("HOME");

	if (v[0] == '~' && v[1] == '/' && home != NULL && home[0] != '\0')
		return xasprintf("%s%s", home, v + 1);
	return xstrdup(v);
}

static int
parse_argv(struct ctx *c, const struct field *f, yaml_node_t *n,
	   struct plan_argv *a)
{
	yaml_node_item_t *it;
	int count;

	if (n->type != YAML_SEQUENCE_NODE)
		return errn(c, n, "expected a list of arguments for '%s' "
			    "(e.g. [./script, canary, \"{istio}\"]), got %s",
			    f->key, kind_name(n));
	count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > PLAN_ARGV_MAX)
		return errn(c, n, "too many arguments for '%s' (at most %d)",
			    f->key, PLAN_ARGV_MAX);
	argv_free(a);
	a->argv = xcalloc((size_t)count + 1, sizeof(char *));
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = node_at(c, *it);

		if (want_scalar(c, v, f->key, "a string argument") == -1)
			return -1;
		a->argv[a->argc++] = xstrdup(scalar(v));
	}
	return 0;
}

static int
parse_value(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	void *dst = (char *)base + f->off;
	const char *v, *why;
	int64_t ms;
	double d;
	char *end;

	switch (f->type) {
	case F_FN:
		return f->fn(c, f, n, base);
	case F_ARGV:
		return parse_argv(c, f, n, dst);
	default:
		break;
	}

	switch (f->type) {
	case F_DUR:
	case F_DURD:
		if (want_scalar(c, n, f->key, "a duration (e.g. 30s, 5m)") == -1)
			return -1;
		break;
	case F_BOOL:
		if (want_scalar(c, n, f->key, "true or false") == -1)
			return -1;
		break;
	case F_INT:
		if (want_scalar(c, n, f->key, "an integer") == -1)
			return -1;
		break;
	case F_NUM:
		if (want_scalar(c, n, f->key, "a number") == -1)
			return -1;
		break;
	case F_PCT:
		if (want_scalar(c, n, f->key, "a percentage (e.g. 0.5%)") == -1)
			return -1;
		break;
	default:
		if (want_scalar(c, n, f->key, "a string") == -1)
			return -1;
		break;
	}
	v = scalar(n);

	switch (f->type) {
	case F_STR:
	case F_PATH:
	case F_URL:
	case F_NAME:
	case F_DNS:
	case F_CHOICE:
		if (v[0] == '\0')
			return errn(c, n, "'%s' must not be empty", f->key);
		break;
	default:
		break;
	}

	switch (f->type) {
	case F_STR:
	case F_STR0:
		set_str(dst, v);
		return 0;
	case F_PATH:
		free(*(char **)dst);
		*(char **)dst = expand_path(v);
		return 0;
	case F_URL:
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return errn(c, n, "'%s' must be an http:// or https:// "
				    "URL, got '%s'", f->key, v);
		if (strpbrk(v, " \t\r\n") != NULL)
			return errn(c, n, "'%s' must not contain white space",
				    f->key);
		set_str(dst, v);
		return 0;
	case F_NAME:
		if (!valid_name(v))
			return errn(c, n, "invalid %s '%s' (expected letters, "
				    "digits, '.', '_' or '-', at most %d)",
				    f->key, v, PLAN_NAME_MAX);
		set_str(dst, v);
		return 0;
	case F_DNS:
		if (!valid_dns_label(v))
			return errn(c, n, "invalid %s '%s' (expected a "
				    "Kubernetes namespace: lower-case letters, "
				    "digits and '-', at most 63)", f->key, v);
		set_str(dst, v);
		return 0;
	case F_CHOICE:
		for (int i = 0; f->choices[i] != NULL; i++) {
			if (strcmp(v, f->choices[i]) == 0) {
				set_str(dst, v);
				return 0;
			}
		}
		{
			char list[256] = "";
			size_t len = 0;

			for (int i = 0; f->choices[i] != NULL; i++)
				len += snprintf(list + len, sizeof(list) - len,
						"%s%s", i ? ", " : "",
						f->choices[i]);
			return errn(c, n, "invalid %s '%s' (expected one of: "
				    "%s)", f->key, v, list);
		}
	case F_DUR:
	case F_DURD:
		if (dur_parse(v, &ms, &why) == -1)
			return errn(c, n, "invalid duration '%s' for '%s': %s "
				    "(use ms, s, m, h: 250ms, 30s, 5m, 1h30m)",
				    v, f->key, why);
		if ((double)ms < f->lo || (double)ms > f->hi) {
			char lo[64], hi[64];

			fmt_dur((int64_t)f->lo, lo, sizeof(lo));
			fmt_dur((int64_t)f->hi, hi, sizeof(hi));
			return errn(c, n, "'%s' must be between %s and %s, got "
				    "'%s'", f->key, lo, hi, v);
		}
		if (f->type == F_DUR)
			*(int64_t *)dst = ms;
		else
			*(double *)dst = (double)ms;
		return 0;
	case F_BOOL:
		if (strcmp(v, "true") == 0)
			*(bool *)dst = true;
		else if (strcmp(v, "false") == 0)
			*(bool *)dst = false;
		else
			return errn(c, n, "expected true or false for '%s', got "
				    "'%s'", f->key, v);
		return 0;
	case F_INT: {
		long l;

		errno = 0;
		l = strtol(v, &end, 10);
		if (!(isdigit((unsigned char)v[0]) ||
		      (v[0] == '-' && isdigit((unsigned char)v[1]))) ||
		    *end != '\0' || errno != 0)
			return errn(c, n, "expected an integer for '%s', got "
				    "'%s'", f->key, v);
		if ((double)l < f->lo || (double)l > f->hi)
			return errn(c, n, "'%s' must be between %.0f and %.0f, "
				    "got %ld", f->key, f->lo, f->hi, l);
		*(int *)dst = (int)l;
		return 0;
	}
	case F_NUM:
		if (v[0] == '-' && decimal_span(v + 1) == (int)strlen(v + 1))
			return errn(c, n, "'%s' must not be negative, got '%s'",
				    f->key, v);
		if (decimal_span(v) != (int)strlen(v))
			return errn(c, n, "expected a number for '%s', got '%s'",
				    f->key, v);
		d = strtod(v, NULL);
		if (!isfinite(d) || d < f->lo || d > f->hi)
			return errn(c, n, "'%s' must be between %g and %g, got "
				    "'%s'", f->key, f->lo, f->hi, v);
		*(double *)dst = d;
		return 0;
	case F_PCT:
		if (pct_parse(v, &d, &why) == -1)
			return errn(c, n, "invalid percentage '%s' for '%s': %s",
				    v, f->key, why);
		*(double *)dst = d;
		return 0;
	default:
		return errn(c, n, "internal: bad field type");
	}
}

/* "a, b, c" of a field table, for unknown-key messages. */
static void
key_list(const struct field *fields, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; fields[i].key != NULL && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
			      fields[i].key);
}

/*
 * Walk a mapping against a field table.  *seen gets bit i for each field i
 * given (tables have fewer than 64 fields).  `section` names the place
 * for messages ("top level", "traffic.route53", "stage 2").
 */
int
parse_map(struct ctx *c, yaml_node_t *n, const char *section,
	  const struct field *fields, void *base, uint64_t *seen)
{
	yaml_node_pair_t *pr;

	if (seen != NULL)
		*seen = 0;
	if (n->type != YAML_MAPPING_NODE)
		return errn(c, n, "expected a mapping for '%s', got %s", section,
			    kind_name(n));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
		const char *key;
		int i;

		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return errn(c, k, "expected a key name in %s, got %s",
				    section, kind_name(k));
		key = scalar(k);
		if (strlen(key) != k->data.scalar.length)
			return errn(c, k, "a key in %s contains a NUL byte",
				    section);
		for (i = 0; fields[i].key != NULL; i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (fields[i].key == NULL) {
			char list[512];

			key_list(fields, list, sizeof(list));
			return errn(c, k, "unknown key '%s' in %s (expected one "
				    "of: %s)", key, section, list);
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr;
		     q++) {
			yaml_node_t *qk = node_at(c, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(qk), key) == 0)
				return errn(c, k, "duplicate key '%s' in %s "
					    "(first given at line %d)", key,
					    section,
					    (int)qk->start_mark.line + 1);
		}
		c->key = k;
		if (parse_value(c, &fields[i], v, base) == -1)
			return -1;
		if (seen != NULL)
			*seen |= UINT64_C(1) << i;
	}
	return 0;
}

static int
field_index(const struct field *fields, const char *key)
{
	for (int i = 0; fields[i].key != NULL; i++)
		if (strcmp(fields[i].key, key) == 0)
			return i;
	return -1;
}

bool
has(const struct field *fields, uint64_t seen, const char *key)
{
	int i = field_index(fields, key);

	return i >= 0 && (seen & (UINT64_C(1) << i)) != 0;
}

/* Every key in `keys` (NULL-terminated) must have been given. */
int
require(struct ctx *c, yaml_node_t *n, const char *section,
	const struct field *fields, uint64_t seen, const char *const *keys,
	const char *why)
{
	for (int i = 0; keys[i] != NULL; i++)
		if (!has(fields, seen, keys[i]))
			return errn(c, n, "missing required key '%s' in %s%s",
				    keys[i], section, why ? why : "");
	return 0;
}

/* The value node of `key` in mapping n, or NULL. */
yaml_node_t *
map_get(struct ctx *c, yaml_node_t *n, const char *key, yaml_node_t **keynode)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(c, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0) {
			if (keynode != NULL)
				*keynode = k;
			return node_at(c, pr->value);
		}
	}
	return NULL;
}
/*
 * check's printout walks the same tables as the parser: each field as
 * "prefix.key: value", a typed field by its type, any field with a `pr`
 * by that (a section, a list, a value kept elsewhere).
 */
static void
print_value(FILE *out, const char *key, const struct field *f,
	    const void *base)
{
	const void *src = (const char *)base + f->off;
	char buf[64];

	switch (f->type) {
	case F_FN:
		return;
	case F_ARGV:
		pr_argv(out, key, src);
		return;
	case F_DUR:
		pr_dur(out, key, *(const int64_t *)src);
		return;
	case F_DURD:
		snprintf(buf, sizeof(buf), "%gms", *(const double *)src);
		break;
	case F_PCT:
		fmt_pct(*(const double *)src, buf, sizeof(buf));
		break;
	case F_INT:
		snprintf(buf, sizeof(buf), "%d", *(const int *)src);
		break;
	case F_NUM:
		snprintf(buf, sizeof(buf), "%g", *(const double *)src);
		break;
	case F_BOOL:
		pr_str(out, key, *(const bool *)src ? "true" : "false");
		return;
	default:
		pr_str(out, key, *(char *const *)src);
		return;
	}
	fprintf(out, "%s: %s\n", key, buf);
}

void
print_map(FILE *out, const char *prefix, const struct field *fields,
	  const void *base, const struct plan *p)
{
	char key[128];

	for (const struct field *f = fields; f->key != NULL; f++) {
		snprintf(key, sizeof(key), "%s%s%s", prefix,
			 prefix[0] != '\0' ? "." : "", f->key);
		if (f->pr != NULL)
			f->pr(out, key, f, base, p);
		else
			print_value(out, key, f, base);
	}
}

void
schema_walk(const char *section, const struct field *fields,
	    void (*fn)(const char *, const char *, void *), void *arg)
{
	char sub[64];

	for (const struct field *f = fields; f->key != NULL; f++) {
		fn(section, f->key, arg);
		snprintf(sub, sizeof(sub), "%s%s%s", section,
			 section[0] != '\0' ? "." : "", f->key);
		if (f->sub != NULL)
			schema_walk(sub, f->sub, fn, arg);
		if (f->walk != NULL)
			f->walk(sub, fn, arg);
	}
}
