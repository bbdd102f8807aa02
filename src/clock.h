/*
 * clock — time as the program sees it.  Everything that needs "now" takes a
 * const struct clock *, so tests substitute a fake clock and never sleep to
 * let time pass.  mono_ms is monotonic (deadlines, ages); wall_ms is UTC
 * milliseconds since the epoch (audit lines, Prometheus sample times).
 */
#ifndef CUTOVER_SRC_CLOCK_H
#define CUTOVER_SRC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct clock {
	int64_t (*mono_ms)(void *arg);
	int64_t (*wall_ms)(void *arg);
	void *arg;
};

/* The real clocks (CLOCK_MONOTONIC, CLOCK_REALTIME). */
extern const struct clock clock_system;

/* A clock that moves only when told to; for tests and the demo. */
struct clock_fake {
	struct clock clock;	/* first: &fake->clock is a struct clock * */
	int64_t mono;
	int64_t wall;
};

void clock_fake_init(struct clock_fake *f, int64_t mono_ms, int64_t wall_ms);
void clock_fake_advance(struct clock_fake *f, int64_t ms);

static inline int64_t
clock_mono(const struct clock *c)
{
	return c->mono_ms(c->arg);
}

static inline int64_t
clock_wall(const struct clock *c)
{
	return c->wall_ms(c->arg);
}

/* Format wall milliseconds as RFC 3339 UTC with milliseconds. */
const char *clock_rfc3339(int64_t wall_ms, char *buf, size_t len);

#endif
