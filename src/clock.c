/*
 * clock — the system clocks and a fake clock for tests.
 */
#include "config.h"

#include "clock.h"

#include <stdio.h>
#include <time.h>

static int64_t
sys_mono(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
sys_wall(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct clock clock_system = {
	.mono_ms = sys_mono,
	.wall_ms = sys_wall,
	.arg = NULL,
};

static int64_t
fake_mono(void *arg)
{
	return ((struct clock_fake *)arg)->mono;
}

static int64_t
fake_wall(void *arg)
{
	return ((struct clock_fake *)arg)->wall;
}

void
clock_fake_init(struct clock_fake *f, int64_t mono_ms, int64_t wall_ms)
{
	f->clock.mono_ms = fake_mono;
	f->clock.wall_ms = fake_wall;
	f->clock.arg = f;
	f->mono = mono_ms;
	f->wall = wall_ms;
}

void
clock_fake_advance(struct clock_fake *f, int64_t ms)
{
	f->mono += ms;
	f->wall += ms;
}

const char *
clock_rfc3339(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(wall_ms % 1000));
	return buf;
}
