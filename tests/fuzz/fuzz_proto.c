/*
 * fuzz_proto — what a client may send the guard: the input is a stream
 * of bytes cut into lines as the guard cuts a client's (proto_lines, at
 * the client's limit), each line decoded as the guard decodes it.  A
 * line taken must be a hello of this version or a known action.
 */
#include "config.h"

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_lines pl;
	struct proto_msg m;
	struct err e;
	const char *line;
	size_t len;
	int rc;

	proto_lines_init(&pl, PROTO_CLIENT_LINE_MAX);
	/* In two pieces, as a socket may deliver them. */
	proto_lines_feed(&pl, (const char *)data, size / 2);
	while ((rc = proto_lines_next(&pl, &line, &len)) == 1) {
		err_clear(&e);
		if (proto_decode_client(line, len, &m, &e) == 0) {
			FUZZ_ASSERT(m.type == PROTO_HELLO ||
			    m.type == PROTO_ACTION);
			if (m.type == PROTO_HELLO)
				FUZZ_ASSERT(m.u.hello.proto == PROTO_VERSION);
			else
				FUZZ_ASSERT((unsigned)m.u.act.name <
				    PROTO_ACTIONS);
		} else {
			FUZZ_ASSERT(e.msg[0] != '\0');
		}
		proto_msg_done(&m);
	}
	if (rc == 0) {
		proto_lines_feed(&pl, (const char *)data + size / 2,
		    size - size / 2);
		while ((rc = proto_lines_next(&pl, &line, &len)) == 1) {
			err_clear(&e);
			(void)proto_decode_client(line, len, &m, &e);
			proto_msg_done(&m);
		}
	}
	proto_lines_done(&pl);
	return 0;
}
