/*
 * route53_xml — the little XML the Route53 driver reads and writes.
 * Route53 answers are small, flat documents: route53_xml_find locates an
 * element by name between two pointers, route53_xml_text gives its text
 * with the five named entities and ASCII character references decoded
 * (the caller scrubs it before anyone sees it: &#27; decodes to a raw
 * ESC).  Everything is bounded by the end pointer; nothing is assumed
 * NUL-terminated.  Kept apart from the driver so that a real parser
 * (libexpat) can replace it behind the same calls.
 */
#include "config.h"

#include "route53_xml.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * Route53 answers are small, flat XML documents: find an element by name
 * between s and end, give its content.  No element we look for contains
 * another of the same name.
 */
bool
route53_xml_find(const char *s, const char *end, const char *tag,
	     const char **in, const char **in_end, const char **after)
{
	size_t n = strlen(tag);

	while (s < end) {
		const char *p = memchr(s, '<', (size_t)(end - s));
		const char *gt, *close;

		if (p == NULL)
			return false;
		if ((size_t)(end - p) > n + 1 && strncmp(p + 1, tag, n) == 0 &&
		    (p[n + 1] == '>' || p[n + 1] == ' ' || p[n + 1] == '/' ||
		    p[n + 1] == '\t' || p[n + 1] == '\n' || p[n + 1] == '\r')) {
			gt = memchr(p, '>', (size_t)(end - p));
			if (gt == NULL)
				return false;
			if (gt[-1] == '/') {	/* <Tag/> */
				*in = *in_end = gt + 1;
				if (after != NULL)
					*after = gt + 1;
				return true;
			}
			for (close = gt + 1; close < end; close++) {
				if (*close == '<' && (size_t)(end - close) >=
				    n + 3 && close[1] == '/' &&
				    strncmp(close + 2, tag, n) == 0 &&
				    close[n + 2] == '>')
					break;
			}
			if (close >= end)
				return false;
			*in = gt + 1;
			*in_end = close;
			if (after != NULL)
				*after = close + n + 3;
			return true;
		}
		s = p + 1;
	}
	return false;
}

/* The decoded, trimmed text of element `tag`, or NULL (caller frees). */
char *
route53_xml_text(const char *s, const char *end, const char *tag)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char *in, *in_end;
	char *out, *w;

	if (!route53_xml_find(s, end, tag, &in, &in_end, NULL))
		return NULL;
	while (in < in_end && isspace((unsigned char)*in))
		in++;
	while (in_end > in && isspace((unsigned char)in_end[-1]))
		in_end--;
	out = w = xmalloc((size_t)(in_end - in) + 1);
	while (in < in_end) {
		size_t i;

		if (*in == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				size_t el = strlen(ents[i].ent);

				if ((size_t)(in_end - in) >= el &&
				    strncmp(in, ents[i].ent, el) == 0) {
					*w++ = ents[i].c;
					in += el;
					break;
				}
			}
			if (i < sizeof(ents) / sizeof(ents[0]))
				continue;
			if (in + 2 < in_end && in[1] == '#') {
				char *stop;
				long c = in[2] == 'x' ?
				    strtol(in + 3, &stop, 16) :
				    strtol(in + 2, &stop, 10);

				if (stop < in_end && *stop == ';' && c > 0 &&
				    c < 128) {
					*w++ = (char)c;
					in = stop + 1;
					continue;
				}
			}
		}
		*w++ = *in++;
	}
	*w = '\0';
	return out;
}

/* Append s to b, XML-escaped. */
void
route53_xml_escape(struct strbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': strbuf_add(b, "&amp;"); break;
		case '<': strbuf_add(b, "&lt;"); break;
		case '>': strbuf_add(b, "&gt;"); break;
		case '"': strbuf_add(b, "&quot;"); break;
		default: strbuf_addn(b, s, 1); break;
		}
	}
}

/* <tag>escaped text</tag> */
void
route53_xml_elem(struct strbuf *b, const char *tag, const char *text)
{
	strbuf_add(b, "<");
	strbuf_add(b, tag);
	strbuf_add(b, ">");
	route53_xml_escape(b, text);
	strbuf_add(b, "</");
	strbuf_add(b, tag);
	strbuf_add(b, ">");
}
