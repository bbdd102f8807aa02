/*
 * test_podcache — the pod cache's running totals against podhealth_take()
 * recounting the same pods: after the fixture pods, and after every step
 * of a long random sequence of puts and deletes (which also walks the
 * hash table's growth and backward-shift deletion), with recent restarts
 * ageing out and reasons of every rank.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podcache.h"
#include "podhealth.h"
#include "xmalloc.h"

#define NOW_WALL 1795514700000LL

/* The totals of g and h agree (worst reason: same rank; same text when
 * the rank names it). */
static void
same_totals(const struct group_health *g, const struct group_health *h,
	    const char *when)
{
	cr_assert_eq(g->state, SOURCE_OK, "%s", when);
	cr_assert_eq(g->total, h->total, "%s", when);
	cr_assert_eq(g->ready, h->ready, "%s", when);
	cr_assert_eq(g->restarts, h->restarts, "%s", when);
	cr_assert_eq(g->recent_restarts, h->recent_restarts, "%s", when);
	cr_assert_eq(g->oomkilled, h->oomkilled, "%s", when);
	cr_assert_eq(g->terminating, h->terminating, "%s", when);
	cr_assert_eq(g->with_sidecar, h->with_sidecar, "%s", when);
	cr_assert_eq(g->sidecar_ready, h->sidecar_ready, "%s", when);
	cr_assert_eq(g->sidecar_missing, h->sidecar_missing, "%s", when);
	cr_assert_eq(podhealth_reason_rank(g->worst_reason),
		     podhealth_reason_rank(h->worst_reason), "%s: %s vs %s",
		     when, g->worst_reason, h->worst_reason);
	if (podhealth_reason_rank(h->worst_reason) != 1)
		cr_assert_str_eq(g->worst_reason, h->worst_reason, "%s", when);
	cr_assert_eq(group_health_ok(g, true), group_health_ok(h, true),
		     "%s", when);
}

static const char *const reasons[] = {
	"", "", "", "Completed", "CrashLoopBackOff", "OOMKilled",
	"ContainerCreating", "Weird", "AlsoWeird", "Error",
};

static void
random_pod(struct pod_health *ph, unsigned *seed, int64_t now)
{
	memset(ph, 0, sizeof(*ph));
	snprintf(ph->name, sizeof(ph->name), "pod-%u", rand_r(seed) % 1000);
	snprintf(ph->phase, sizeof(ph->phase), "Running");
	ph->ready = rand_r(seed) % 3 != 0;
	ph->terminating = rand_r(seed) % 10 == 0;
	ph->restarts = rand_r(seed) % 5;
	snprintf(ph->reason, sizeof(ph->reason), "%s",
		 reasons[rand_r(seed) % (sizeof(reasons) / sizeof(reasons[0]))]);
	ph->oomkilled = rand_r(seed) % 7 == 0;
	ph->sidecar = rand_r(seed) % 4 != 0;
	ph->sidecar_ready = rand_r(seed) % 3 != 0;
	/* Some restarts recent, some long ago, some at the edge. */
	switch (rand_r(seed) % 4) {
	case 0:
		ph->last_restart_wall_ms = 0;
		break;
	case 1:
		ph->last_restart_wall_ms = now - (rand_r(seed) % 60) * 1000;
		break;
	case 2:
		ph->last_restart_wall_ms = now - PODHEALTH_RECENT_MS +
					   (rand_r(seed) % 120) * 1000;
		break;
	default:
		ph->last_restart_wall_ms = now - 86400000;
		break;
	}
}

#define KEYS 300

Test(podcache, random_puts_and_deletes_match_a_recount)
{
	struct podcache *c = podcache_new();
	struct pod_health *model = xcalloc(KEYS, sizeof(*model));
	bool *present = xcalloc(KEYS, sizeof(*present));
	struct pod_health *live = xcalloc(KEYS, sizeof(*live));
	unsigned seed = 42;
	int64_t now = NOW_WALL;

	for (int step = 0; step < 20000; step++) {
		int i = (int)(rand_r(&seed) % KEYS);
		char key[32];

		snprintf(key, sizeof(key), "uid-%d", i);
		if (rand_r(&seed) % 3 == 0) {
			podcache_del(c, key);
			present[i] = false;
		} else {
			random_pod(&model[i], &seed, now);
			podcache_put(c, key, &model[i], now);
			present[i] = true;
		}
		/* Time passes: restarts age out of "recent". */
		now += rand_r(&seed) % 2000;
		if (step % 97 == 0) {
			struct group_health g, h;
			char when[64];
			int n = 0;

			for (int k = 0; k < KEYS; k++)
				if (present[k])
					live[n++] = model[k];
			cr_assert_eq(podcache_count(c), n);
			group_health_init(&g, 3);
			group_health_init(&h, 3);
			podcache_publish(c, &g, now, 7);
			struct pod_health *copy = xcalloc((size_t)(n ? n : 1),
							  sizeof(*copy));

			memcpy(copy, live, sizeof(*live) * (size_t)n);
			podhealth_take(&h, copy, n, now, 7);
			snprintf(when, sizeof(when), "step %d", step);
			same_totals(&g, &h, when);
			cr_assert_null(g.pods, "the cache keeps its pods");
			cr_assert_eq(g.fetched_mono_ms, 7);
			group_health_done(&g);
			group_health_done(&h);
		}
	}
	/* Every key present is found, every other one not. */
	for (int k = 0; k < KEYS; k++) {
		char key[32];
		const struct pod_health *ph;

		snprintf(key, sizeof(key), "uid-%d", k);
		ph = podcache_get(c, key);
		cr_assert_eq(ph != NULL, present[k], "%s", key);
		if (ph != NULL)
			cr_assert_str_eq(ph->name, model[k].name);
	}
	cr_assert_lt(podcache_bytes(c), 300 * 1024);
	podcache_clear(c);
	cr_assert_eq(podcache_count(c), 0);
	podcache_free(c);
	free(model);
	free(present);
	free(live);
}

Test(podcache, unknown_reason_survives_its_first_holder)
{
	struct podcache *c = podcache_new();
	struct group_health g;
	struct pod_health a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	snprintf(a.reason, sizeof(a.reason), "Weird");
	snprintf(b.reason, sizeof(b.reason), "AlsoWeird");
	podcache_put(c, "a", &a, NOW_WALL);
	podcache_put(c, "b", &b, NOW_WALL);
	group_health_init(&g, 1);
	podcache_publish(c, &g, NOW_WALL, 1);
	cr_assert_str_eq(g.worst_reason, "Weird");
	podcache_del(c, "a");
	podcache_publish(c, &g, NOW_WALL, 2);
	cr_assert_str_eq(g.worst_reason, "AlsoWeird");
	podcache_del(c, "b");
	podcache_publish(c, &g, NOW_WALL, 3);
	cr_assert_str_eq(g.worst_reason, "");
	cr_assert_eq(g.total, 0);
	/* The same key twice is one pod. */
	podcache_put(c, "a", &a, NOW_WALL);
	podcache_put(c, "a", &b, NOW_WALL);
	podcache_publish(c, &g, NOW_WALL, 4);
	cr_assert_eq(g.total, 1);
	cr_assert_str_eq(g.worst_reason, "AlsoWeird");
	group_health_done(&g);
	podcache_free(c);
}
