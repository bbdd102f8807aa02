/*
 * test_podhealth — pod JSON into pod and group health: where Istio's
 * sidecar is (classic container, native sidecar init container with
 * restartPolicy Always, gateway main container, and an init container that
 * is merely *named* istio-proxy), the worst reason, OOMKilled in
 * lastState, terminating pods, and group_health_ok with and without the
 * sidecar requirement and min_ready.
 *
 * Fixtures: tests/fixtures/kube/pods/ (the same pods kubeapi.py
 * serves to test_kube and kubectl_check.sh).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podhealth.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* 2026-11-24T10:05:00Z, a few minutes after the fixtures' events. */
#define NOW_WALL 1795514700000LL

static json_t *
load_pod(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	json_error_t je;
	json_t *pod;

	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	snprintf(path, sizeof(path), "%s/tests/fixtures/kube/pods/%s.json",
		 top, name);
	pod = json_load_file(path, 0, &je);
	cr_assert_not_null(pod, "%s: %s", path, je.text);
	return pod;
}

static void
pod_of(const char *name, struct pod_health *ph)
{
	json_t *pod = load_pod(name);

	cr_assert_eq(podhealth_pod(pod, NOW_WALL, ph, NULL), 0);
	json_decref(pod);
}

/* A group from fixture pod names, split over two "pages". */
static void
group_of(struct group_health *g, int min_ready, const char *const *names)
{
	json_t *pages[2] = { json_array(), json_array() };
	int n = 0;

	group_health_init(g, min_ready);
	for (const char *const *p = names; *p != NULL; p++, n++)
		json_array_append_new(pages[n % 2], load_pod(*p));
	cr_assert_eq(podhealth_summarise(g, pages, 2, NOW_WALL, 1234), 0);
	json_decref(pages[0]);
	json_decref(pages[1]);
}

Test(podhealth, time_constant_is_what_it_says)
{
	/* Guard for NOW_WALL: 2026-11-24T10:05:00Z. */
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-g5h6i", &ph);
	/* finishedAt 09:59:30Z is 5.5 minutes before NOW_WALL. */
	cr_assert_eq(NOW_WALL - ph.last_restart_wall_ms, 330000);
}

Test(podhealth, classic_sidecar)
{
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-a1b2c", &ph);
	cr_assert_str_eq(ph.name, "api-7d9f8c6b5-a1b2c");
	cr_assert_str_eq(ph.phase, "Running");
	cr_assert(ph.ready);
	cr_assert(ph.sidecar);
	cr_assert(ph.sidecar_ready);
	cr_assert_not(ph.terminating);
	cr_assert_eq(ph.restarts, 0);
	cr_assert_not(ph.oomkilled);
	/* istio-init's "Completed" is how init containers end: no reason. */
	cr_assert_str_eq(ph.reason, "");
}

Test(podhealth, native_sidecar_in_init_containers)
{
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-d3e4f", &ph);
	cr_assert(ph.ready);
	cr_assert(ph.sidecar, "istio-proxy with restartPolicy Always");
	cr_assert(ph.sidecar_ready);
	cr_assert_str_eq(ph.reason, "");
}

Test(podhealth, native_sidecar_not_ready)
{
	json_t *pod = load_pod("api-7d9f8c6b5-d3e4f");
	json_t *ics = json_object_get(json_object_get(pod, "status"),
				      "initContainerStatuses");
	struct pod_health ph;

	/* The proxy's status is read from initContainerStatuses. */
	json_object_set_new(json_array_get(ics, 1), "ready", json_false());
	cr_assert_eq(podhealth_pod(pod, NOW_WALL, &ph, NULL), 0);
	cr_assert(ph.sidecar);
	cr_assert_not(ph.sidecar_ready);
	json_decref(pod);
}

Test(podhealth, init_container_named_istio_proxy_is_not_a_sidecar)
{
	struct pod_health ph;

	pod_of("legacy-6f5e4d3c2-t3u4v", &ph);
	cr_assert_not(ph.sidecar);
	cr_assert_not(ph.sidecar_ready);
	cr_assert(ph.ready);
}

Test(podhealth, gateway_runs_istio_proxy_as_main_container)
{
	struct pod_health ph;

	pod_of("istio-ingressgateway-7b9c6d5f4-w5x6y", &ph);
	cr_assert(ph.sidecar);
	cr_assert(ph.sidecar_ready);
	cr_assert(ph.ready);
}

Test(podhealth, no_sidecar)
{
	struct pod_health ph;

	pod_of("worker-5c4b3a2b1-q1r2s", &ph);
	cr_assert_not(ph.sidecar);
	cr_assert(ph.ready);
}

Test(podhealth, crashloop_with_oomkilled_last_state)
{
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-g5h6i", &ph);
	cr_assert_not(ph.ready);
	cr_assert_eq(ph.restarts, 7);
	cr_assert(ph.oomkilled);
	cr_assert_str_eq(ph.reason, "CrashLoopBackOff");
	/* The app crashes but its proxy is fine. */
	cr_assert(ph.sidecar_ready);
}

Test(podhealth, oomkilled_alone_is_the_reason)
{
	json_t *pod = load_pod("api-7d9f8c6b5-g5h6i");
	json_t *cs = json_array_get(json_object_get(json_object_get(pod,
							       "status"),
					    "containerStatuses"), 0);
	struct pod_health ph;

	/* Restarted and running again: only lastState tells. */
	json_object_set_new(cs, "state",
			    json_pack("{s:{s:s}}", "running", "startedAt",
				      "2026-11-24T09:59:31Z"));
	cr_assert_eq(podhealth_pod(pod, NOW_WALL, &ph, NULL), 0);
	cr_assert(ph.oomkilled);
	cr_assert_str_eq(ph.reason, "OOMKilled");
	json_decref(pod);
}

Test(podhealth, terminating_pod_is_not_ready)
{
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-j7k8l", &ph);
	cr_assert(ph.terminating);
	cr_assert_not(ph.ready, "Ready condition True, but being deleted");
}

Test(podhealth, pending_pod)
{
	struct pod_health ph;

	pod_of("api-7d9f8c6b5-m9n0p", &ph);
	cr_assert_str_eq(ph.phase, "Pending");
	cr_assert_not(ph.ready);
	cr_assert_str_eq(ph.reason, "ContainerCreating");
	cr_assert(ph.sidecar);
	cr_assert_not(ph.sidecar_ready);
}

Test(podhealth, not_a_pod)
{
	struct pod_health ph;
	json_t *s = json_string("pod");

	struct err e;

	err_clear(&e);
	cr_assert_eq(podhealth_pod(s, NOW_WALL, &ph, &e), -1);
	cr_assert(strstr(e.msg, "not a pod") != NULL, "%s", e.msg);
	json_decref(s);
}

/* One pod whose two containers have the given restartCount texts. */
static json_t *
pod_restarts(const char *a, const char *b)
{
	char text[512];
	json_error_t je;
	json_t *pod;

	snprintf(text, sizeof(text),
		 "{\"metadata\": {\"name\": \"web-1\"}, \"status\": "
		 "{\"phase\": \"Running\", \"containerStatuses\": ["
		 "{\"name\": \"app\", \"restartCount\": %s}, "
		 "{\"name\": \"istio-proxy\", \"restartCount\": %s}]}}",
		 a, b);
	pod = json_loads(text, 0, &je);
	cr_assert_not_null(pod, "%s: %s", text, je.text);
	return pod;
}

/*
 * restartCount is an int32 >= 0: anything else is the server's error,
 * never a wrapped number (2147483648 once read as -2147483648).
 */
Test(podhealth, restart_count_out_of_range_is_an_error)
{
	static const char *const bad[] = {
		"2147483648", "9223372036854775807", "-1", "1.5", "1e3",
		"\"3\"", "true",
	};
	struct pod_health ph;
	struct err e;
	json_t *pod;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pod = pod_restarts("0", bad[i]);
		err_clear(&e);
		cr_assert_eq(podhealth_pod(pod, NOW_WALL, &ph, &e), -1,
			     "%s accepted", bad[i]);
		cr_assert(strstr(e.msg, "web-1") != NULL &&
			  strstr(e.msg, "istio-proxy") != NULL &&
			  strstr(e.msg, "restartCount") != NULL, "%s: %s",
			  bad[i], e.msg);
		json_decref(pod);
	}

	/* The largest counts the API can hold add up without wrapping. */
	pod = pod_restarts("2147483647", "2147483647");
	cr_assert_eq(podhealth_pod(pod, NOW_WALL, &ph, NULL), 0);
	cr_assert_eq(ph.restarts, 4294967294LL);
	json_decref(pod);
}

/* A bad pod puts the group in error; its earlier pods stay. */
Test(podhealth, summarise_a_bad_pod_keeps_the_old_pods)
{
	static const char *const names[] = { "api-7d9f8c6b5-a1b2c", NULL };
	struct group_health g;
	json_t *page = json_array();

	group_of(&g, 1, names);
	cr_assert_eq(g.total, 1);
	json_array_append_new(page, pod_restarts("1", "4294967296"));
	cr_assert_eq(podhealth_summarise(&g, &page, 1, NOW_WALL, 9), -1);
	cr_assert_eq(g.state, SOURCE_ERROR);
	cr_assert(strstr(g.error, "restartCount") != NULL, "%s", g.error);
	cr_assert_eq(g.total, 1);
	cr_assert_eq(g.npods, 1);
	json_decref(page);
	group_health_done(&g);
}

Test(podhealth, group_summary_and_worst_reason)
{
	static const char *const names[] = {
		"api-7d9f8c6b5-a1b2c", "api-7d9f8c6b5-d3e4f",
		"api-7d9f8c6b5-g5h6i", "api-7d9f8c6b5-j7k8l",
		"api-7d9f8c6b5-m9n0p", NULL
	};
	struct group_health g;

	group_of(&g, 2, names);
	cr_assert_eq(g.state, SOURCE_OK);
	cr_assert_eq(g.fetched_mono_ms, 1234);
	cr_assert_eq(g.total, 5);
	cr_assert_eq(g.npods, 5);
	cr_assert_eq(g.ready, 2);
	cr_assert_eq(g.restarts, 7);
	cr_assert_eq(g.recent_restarts, 1);
	cr_assert_eq(g.oomkilled, 1);
	cr_assert_eq(g.terminating, 1);
	cr_assert_eq(g.with_sidecar, 5);
	cr_assert_eq(g.sidecar_ready, 4);
	/* CrashLoopBackOff beats ContainerCreating. */
	cr_assert_str_eq(g.worst_reason, "CrashLoopBackOff");
	group_health_done(&g);
}

Test(podhealth, group_ok_min_ready)
{
	static const char *const names[] = {
		"api-7d9f8c6b5-a1b2c", "api-7d9f8c6b5-d3e4f",
		"api-7d9f8c6b5-j7k8l", NULL
	};
	struct group_health g;

	group_of(&g, 2, names);
	cr_assert_eq(g.ready, 2);
	cr_assert(group_health_ok(&g, false));
	/* The terminating pod needs no sidecar; the others have one. */
	cr_assert(group_health_ok(&g, true));
	g.min_ready = 3;
	cr_assert_not(group_health_ok(&g, false), "only 2 of 3 ready");
	group_health_done(&g);
}

Test(podhealth, group_ok_sidecar_required)
{
	static const char *const with_pending[] = {
		"api-7d9f8c6b5-a1b2c", "api-7d9f8c6b5-d3e4f",
		"api-7d9f8c6b5-j7k8l", "api-7d9f8c6b5-m9n0p", NULL
	};
	static const char *const no_sidecar[] = {
		"worker-5c4b3a2b1-q1r2s", "legacy-6f5e4d3c2-t3u4v", NULL
	};
	struct group_health g;

	/*
	 * Counts alone would pass: 3 ready sidecars (one on the terminating
	 * pod) for 4 - 1 pods.  The pending pod without a ready proxy must
	 * fail the requirement.
	 */
	group_of(&g, 1, with_pending);
	cr_assert(group_health_ok(&g, false));
	cr_assert_not(group_health_ok(&g, true));
	group_health_done(&g);

	group_of(&g, 2, no_sidecar);
	cr_assert_eq(g.with_sidecar, 0);
	cr_assert(group_health_ok(&g, false));
	cr_assert_not(group_health_ok(&g, true));
	group_health_done(&g);
}

Test(podhealth, group_not_ok_without_data)
{
	struct group_health g;

	group_health_init(&g, 0);
	cr_assert_not(group_health_ok(&g, false), "never fetched");
	g.state = SOURCE_ERROR;
	cr_assert_not(group_health_ok(&g, false));
	group_health_done(&g);
}

Test(podhealth, empty_group)
{
	struct group_health g;
	json_t *page = json_array();

	group_health_init(&g, 1);
	cr_assert_eq(podhealth_summarise(&g, &page, 1, NOW_WALL, 5), 0);
	cr_assert_eq(g.total, 0);
	cr_assert_eq(g.state, SOURCE_OK);
	cr_assert_not(group_health_ok(&g, false), "min_ready 1, no pods");
	g.min_ready = 0;
	cr_assert(group_health_ok(&g, true));
	json_decref(page);
	group_health_done(&g);
}
