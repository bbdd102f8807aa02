/*
 * podcache — the pods of one group as a watch keeps them: the small
 * struct pod_health of each pod, keyed by its uid, with the group's
 * totals kept up to date as pods are put and deleted.  Publishing the
 * totals into a struct group_health costs the same for 10 pods or
 * 10,000: nothing is recounted, only the restarts that are still recent
 * are looked at.
 */
#ifndef CUTOVER_SRC_PODCACHE_H
#define CUTOVER_SRC_PODCACHE_H

#include <stdint.h>

#include "podhealth.h"

/* A uid (or namespace/name when the API gave none) is shorter. */
#define PODCACHE_KEY_MAX 128

struct podcache;

struct podcache *podcache_new(void);
void podcache_free(struct podcache *c);

/* Forget every pod (the totals go back to zero). */
void podcache_clear(struct podcache *c);

/* Add or replace the pod with this key (ADDED, MODIFIED, a list item). */
void podcache_put(struct podcache *c, const char *key,
		  const struct pod_health *ph, int64_t now_wall_ms);

/* Remove the pod with this key, if any (DELETED). */
void podcache_del(struct podcache *c, const char *key);

/* Pods held. */
int podcache_count(const struct podcache *c);

/* The pod with this key, or NULL (tests). */
const struct pod_health *podcache_get(const struct podcache *c,
				      const char *key);

/*
 * Write the totals into g (g->pods freed and left NULL), state SOURCE_OK,
 * fetched at now_mono_ms.  The restarts older than PODHEALTH_RECENT_MS are
 * forgotten here.
 */
void podcache_publish(struct podcache *c, struct group_health *g,
		      int64_t now_wall_ms, int64_t now_mono_ms);

/* Bytes held by the cache (bench, tests). */
size_t podcache_bytes(const struct podcache *c);

#endif
