/*
 * route53_xml — find and decode elements of a Route53 answer, write the
 * elements of a request (route53_xml.c).
 */
#ifndef CUTOVER_SRC_DRIVERS_ROUTE53_XML_H
#define CUTOVER_SRC_DRIVERS_ROUTE53_XML_H

#include <stdbool.h>

#include "strbuf.h"

/*
 * The first element `tag` between s and end: its content [in, in_end),
 * and where the element ends (after, may be NULL).  false when there is
 * none, or it is not closed before end.
 */
bool route53_xml_find(const char *s, const char *end, const char *tag,
		      const char **in, const char **in_end,
		      const char **after);
/* The decoded, trimmed text of element `tag`, or NULL (caller frees). */
char *route53_xml_text(const char *s, const char *end, const char *tag);

void route53_xml_escape(struct strbuf *b, const char *s);
/* <tag>escaped text</tag> */
void route53_xml_elem(struct strbuf *b, const char *tag, const char *text);

#endif
