/*
 * podcache — pods by uid with running totals (see podcache.h).
 *
 * The pods live in one dense array; an open-addressing table (linear
 * probing, at most half full, backward-shift deletion, no tombstones)
 * maps a key's hash to its index + 1.  Deleting swaps the last pod into
 * the hole and repoints its slot, so the array never has gaps.
 *
 * Invariants:
 * - The totals (ready, restarts, ...) are always the sums over the array:
 *   a put subtracts the old pod's share before adding the new one's.
 * - rank[r] counts the pods whose reason has podhealth_reason_rank() r;
 *   the worst known reason is the highest r with a count.  Reasons of
 *   rank 1 (not in podhealth's list) are arbitrary text: one of them is
 *   remembered in `other` and looked for again only when its pods left.
 * - recent[] holds the last-restart time of every pod whose last restart
 *   was recent when it was put; publishing drops the ones that aged out.
 */
#include "config.h"

#include "podcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct podcache_pod {
	char key[PODCACHE_KEY_MAX];
	uint32_t hash;
	struct pod_health ph;
};

struct podcache {
	struct podcache_pod *pods;
	int npods, cap;
	uint32_t *slots;	/* index + 1, 0 = empty */
	size_t nslots;		/* a power of two */

	int ready, oomkilled, terminating, with_sidecar, sidecar_ready;
	int sidecar_missing;
	int64_t restarts;
	int rank[PODHEALTH_RANKS];
	char other[64];		/* a reason of rank 1 held by some pod */
	bool other_lost;	/* a pod with `other` left: look again */
	int64_t *recent;	/* last restarts still (maybe) recent */
	int nrecent, recent_cap;
};

/* FNV-1a. */
static uint32_t
podcache_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}

struct podcache *
podcache_new(void)
{
	struct podcache *c = xcalloc(1, sizeof(*c));

	c->nslots = 16;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	return c;
}

void
podcache_free(struct podcache *c)
{
	if (c == NULL)
		return;
	free(c->pods);
	free(c->slots);
	free(c->recent);
	free(c);
}

void
podcache_clear(struct podcache *c)
{
	free(c->pods);
	free(c->recent);
	free(c->slots);
	memset(c, 0, sizeof(*c));
	c->nslots = 16;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
podcache_slot(const struct podcache *c, const char *key, uint32_t hash)
{
	size_t mask = c->nslots - 1, i = hash & mask;

	while (c->slots[i] != 0) {
		const struct podcache_pod *p = &c->pods[c->slots[i] - 1];

		if (p->hash == hash && strcmp(p->key, key) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void
podcache_grow(struct podcache *c)
{
	size_t mask;

	free(c->slots);
	c->nslots *= 2;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	mask = c->nslots - 1;
	for (int k = 0; k < c->npods; k++) {
		size_t i = c->pods[k].hash & mask;

		while (c->slots[i] != 0)
			i = (i + 1) & mask;
		c->slots[i] = (uint32_t)k + 1;
	}
}

/* Remove the entry in slot i, shifting back the ones probing past it. */
static void
podcache_unslot(struct podcache *c, size_t i)
{
	size_t mask = c->nslots - 1, j = i;

	c->slots[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (c->slots[j] == 0)
			return;
		home = c->pods[c->slots[j] - 1].hash & mask;
		/* Stays unless its home is cyclically outside (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			c->slots[i] = c->slots[j];
			c->slots[j] = 0;
			i = j;
		}
	}
}

static void
podcache_recent_add(struct podcache *c, int64_t t)
{
	if (c->nrecent == c->recent_cap) {
		c->recent_cap = c->recent_cap ? c->recent_cap * 2 : 8;
		c->recent = xreallocarray(c->recent, (size_t)c->recent_cap,
					  sizeof(*c->recent));
	}
	c->recent[c->nrecent++] = t;
}

static void
podcache_recent_del(struct podcache *c, int64_t t)
{
	for (int i = 0; i < c->nrecent; i++)
		if (c->recent[i] == t) {
			c->recent[i] = c->recent[--c->nrecent];
			return;
		}
}

/* Add (sign 1) or take away (sign -1) one pod's share of the totals. */
static void
podcache_count_pod(struct podcache *c, const struct pod_health *ph, int sign,
		   int64_t now_wall_ms)
{
	int r = podhealth_reason_rank(ph->reason);

	c->ready += sign * ph->ready;
	c->restarts += sign * ph->restarts;
	c->oomkilled += sign * ph->oomkilled;
	c->terminating += sign * ph->terminating;
	c->with_sidecar += sign * ph->sidecar;
	c->sidecar_ready += sign * (ph->sidecar && ph->sidecar_ready);
	c->sidecar_missing += sign * (!ph->terminating &&
				      !(ph->sidecar && ph->sidecar_ready));
	if (r >= PODHEALTH_RANKS)
		r = PODHEALTH_RANKS - 1;
	c->rank[r] += sign;
	if (r == 1 && sign > 0 && c->other[0] == '\0')
		snprintf(c->other, sizeof(c->other), "%s", ph->reason);
	if (r == 1 && sign > 0 && strcmp(c->other, ph->reason) == 0)
		c->other_lost = false;
	if (r == 1 && sign < 0 && strcmp(c->other, ph->reason) == 0)
		c->other_lost = true;
	if (ph->last_restart_wall_ms > 0) {
		if (sign > 0 && now_wall_ms - ph->last_restart_wall_ms <
		    PODHEALTH_RECENT_MS)
			podcache_recent_add(c, ph->last_restart_wall_ms);
		else if (sign < 0)
			podcache_recent_del(c, ph->last_restart_wall_ms);
	}
}

void
podcache_put(struct podcache *c, const char *key, const struct pod_health *ph,
	     int64_t now_wall_ms)
{
	uint32_t hash = podcache_hash(key);
	size_t i = podcache_slot(c, key, hash);
	struct podcache_pod *p;

	if (c->slots[i] != 0) {
		p = &c->pods[c->slots[i] - 1];
		podcache_count_pod(c, &p->ph, -1, now_wall_ms);
	} else {
		if ((size_t)(c->npods + 1) * 2 > c->nslots) {
			podcache_grow(c);
			i = podcache_slot(c, key, hash);
		}
		if (c->npods == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->pods = xreallocarray(c->pods, (size_t)c->cap,
						sizeof(*c->pods));
		}
		p = &c->pods[c->npods];
		snprintf(p->key, sizeof(p->key), "%s", key);
		p->hash = hash;
		c->slots[i] = (uint32_t)++c->npods;
	}
	p->ph = *ph;
	podcache_count_pod(c, &p->ph, 1, now_wall_ms);
}

void
podcache_del(struct podcache *c, const char *key)
{
	uint32_t hash = podcache_hash(key);
	size_t i = podcache_slot(c, key, hash);
	int k, last;

	if (c->slots[i] == 0)
		return;
	k = (int)c->slots[i] - 1;
	podcache_count_pod(c, &c->pods[k].ph, -1, 0);
	podcache_unslot(c, i);
	last = c->npods - 1;
	if (k != last) {
		size_t j = podcache_slot(c, c->pods[last].key,
					 c->pods[last].hash);

		c->pods[k] = c->pods[last];
		c->slots[j] = (uint32_t)k + 1;
	}
	c->npods--;
}

int
podcache_count(const struct podcache *c)
{
	return c->npods;
}

const struct pod_health *
podcache_get(const struct podcache *c, const char *key)
{
	size_t i = podcache_slot(c, key, podcache_hash(key));

	return c->slots[i] != 0 ? &c->pods[c->slots[i] - 1].ph : NULL;
}

void
podcache_publish(struct podcache *c, struct group_health *g,
		 int64_t now_wall_ms, int64_t now_mono_ms)
{
	int worst = 0;

	for (int i = 0; i < c->nrecent;)
		if (now_wall_ms - c->recent[i] >= PODHEALTH_RECENT_MS)
			c->recent[i] = c->recent[--c->nrecent];
		else
			i++;
	if (c->rank[1] == 0) {
		c->other[0] = '\0';
		c->other_lost = false;
	} else if (c->other_lost || c->other[0] == '\0') {
		/* Rare: the pods with the remembered reason left. */
		c->other[0] = '\0';
		for (int k = 0; k < c->npods && c->rank[1] > 0; k++)
			if (podhealth_reason_rank(c->pods[k].ph.reason) == 1) {
				snprintf(c->other, sizeof(c->other), "%s",
					 c->pods[k].ph.reason);
				break;
			}
		c->other_lost = false;
	}
	group_health_done(g);
	g->total = c->npods;
	g->ready = c->ready;
	g->restarts = c->restarts;
	g->recent_restarts = c->nrecent;
	g->oomkilled = c->oomkilled;
	g->terminating = c->terminating;
	g->with_sidecar = c->with_sidecar;
	g->sidecar_ready = c->sidecar_ready;
	g->sidecar_missing = c->sidecar_missing;
	for (int r = PODHEALTH_RANKS - 1; r > 0 && worst == 0; r--)
		if (c->rank[r] > 0)
			worst = r;
	g->worst_reason[0] = '\0';
	if (worst == 1) {
		snprintf(g->worst_reason, sizeof(g->worst_reason), "%s",
			 c->other);
	} else if (worst > 1) {
		snprintf(g->worst_reason, sizeof(g->worst_reason), "%s",
			 podhealth_reason_name(worst));
	}
	g->state = SOURCE_OK;
	g->error[0] = '\0';
	g->fetched_mono_ms = now_mono_ms;
}

size_t
podcache_bytes(const struct podcache *c)
{
	return sizeof(*c) + (size_t)c->cap * sizeof(*c->pods) +
	       c->nslots * sizeof(*c->slots) +
	       (size_t)c->recent_cap * sizeof(*c->recent);
}
