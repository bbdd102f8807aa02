"""fixtures.py -- the data cutover's benchmarks run against.

pods(n): n pods in the example plan's three groups (10% Istio ingress
gateway, 10% APISIX, 80% the application with an istio-proxy sidecar),
shaped like what a real API server returns (labels, owner references,
managedFields, container statuses; about 3.5 KB of compact JSON each).  Most are
Running and Ready; every 20th is crash-looping (not ready, restarts,
CrashLoopBackOff), every 50th is Pending, every 7th has restarted.

prom_openmetrics(path, start, end, step, churn): the counters and
histogram buckets behind the plan's eight queries, from start to end
(end may be in the future: promtool writes the blocks and Prometheus
answers instant queries "now" from them).  churn=False gives constant
rates, so every refresh sees the same numbers; churn=True changes the
rates at every step, so every refresh (step 1 s, refresh 1 s) sees new
numbers for every metric.

Deterministic: no randomness that is not seeded.
"""
import json
import random
import zlib

GROUPS = [
    # name, namespace, labels, share, sidecar
    ("istio-ingressgateway", "istio-system",
     {"app": "istio-ingressgateway", "istio": "ingressgateway"}, 0.1,
     "gateway"),
    ("apisix", "apisix",
     {"app.kubernetes.io/name": "apisix", "app.kubernetes.io/instance":
      "apisix"}, 0.1, "none"),
    ("voiceassistant", "voiceassistant-prod",
     {"app": "voiceassistant", "tier": "frontend"}, 0.8, "sidecar"),
]

TS = "2026-11-24T09:00:00Z"


def _managed_fields():
    spec = {"f:metadata": {"f:labels": {".": {}, "f:app": {},
                                         "f:pod-template-hash": {}},
                            "f:ownerReferences": {".": {}, "k:{\"uid\":1}":
                                                  {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"main\"}": {
                ".": {}, "f:image": {}, "f:imagePullPolicy": {},
                "f:name": {}, "f:ports": {".": {}}, "f:resources": {
                    ".": {}, "f:limits": {".": {}, "f:memory": {}},
                    "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}}},
                "f:terminationMessagePath": {},
                "f:terminationMessagePolicy": {}}},
                "f:dnsPolicy": {}, "f:enableServiceLinks": {},
                "f:restartPolicy": {}, "f:schedulerName": {},
                "f:securityContext": {}, "f:terminationGracePeriodSeconds":
                {}}}
    status = {"f:status": {"f:conditions": {
        "k:{\"type\":\"ContainersReady\"}": {".": {}, "f:status": {}},
        "k:{\"type\":\"Initialized\"}": {".": {}, "f:status": {}},
        "k:{\"type\":\"Ready\"}": {".": {}, "f:status": {}}},
        "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {},
        "f:podIP": {}, "f:podIPs": {".": {}}, "f:startTime": {}}}
    return [
        {"manager": "kube-controller-manager", "operation": "Update",
         "apiVersion": "v1", "time": TS, "fieldsType": "FieldsV1",
         "fieldsV1": spec},
        {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
         "time": TS, "fieldsType": "FieldsV1", "fieldsV1": status,
         "subresource": "status"},
    ]


MANAGED = _managed_fields()   # shared: only ever serialised


def _cstatus(name, image, ready, restarts, waiting=None):
    st = {"name": name, "ready": ready, "started": ready,
          "restartCount": restarts, "image": image,
          "imageID": image + "@sha256:" + "0" * 64,
          "containerID": "containerd://" + "%012x" % zlib.crc32(name.encode())}
    if waiting:
        st["state"] = {"waiting": {"reason": waiting,
                                   "message": "back-off 5m0s restarting "
                                   "failed container"}}
        st["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                          "startedAt": TS,
                                          "finishedAt": TS}}
    else:
        st["state"] = {"running": {"startedAt": TS}}
        st["lastState"] = {}
    return st


def pod(group, i):
    gname, ns, labels, _, kind = group
    h = "%08x5" % zlib.crc32(gname.encode())
    name = "%s-%s-%05d" % (gname, h[:9], i)
    crash = i % 20 == 19
    pending = i % 50 == 37
    restarts = (i % 7 == 3) * (1 + i % 4) + (12 if crash else 0)
    ready = not crash and not pending
    lab = dict(labels)
    lab["pod-template-hash"] = h[:9]
    containers, statuses = [], []
    if kind == "gateway":
        img = "docker.io/istio/proxyv2:1.26.2"
        containers.append({"name": "istio-proxy", "image": img,
                           "ports": [{"containerPort": 8080},
                                     {"containerPort": 8443}]})
        statuses.append(_cstatus("istio-proxy", img, ready, restarts,
                                 "CrashLoopBackOff" if crash else None))
    else:
        img = "registry.example/%s:1.4.%d" % (gname, i % 3)
        containers.append({"name": gname, "image": img,
                           "resources": {"requests": {"cpu": "250m",
                                                      "memory": "256Mi"},
                                         "limits": {"memory": "512Mi"}},
                           "ports": [{"containerPort": 8080,
                                      "protocol": "TCP"}]})
        statuses.append(_cstatus(gname, img, ready, restarts,
                                 "CrashLoopBackOff" if crash else None))
        if kind == "sidecar":
            pimg = "docker.io/istio/proxyv2:1.26.2"
            containers.append({"name": "istio-proxy", "image": pimg,
                               "args": ["proxy", "sidecar", "--domain",
                                        "$(POD_NAMESPACE).svc.cluster.local"]})
            statuses.append(_cstatus("istio-proxy", pimg, not pending, 0))
    md = {"name": name, "namespace": ns, "uid": "uid-%s" % name,
          "labels": lab, "creationTimestamp": TS, "resourceVersion": "4711",
          "generateName": "%s-%s-" % (gname, h[:9]),
          "ownerReferences": [{"apiVersion": "apps/v1",
                               "kind": "ReplicaSet",
                               "name": "%s-%s" % (gname, h[:9]),
                               "uid": "rs-%s" % h, "controller": True,
                               "blockOwnerDeletion": True}],
          "managedFields": MANAGED}
    if kind == "sidecar":
        md["annotations"] = {"sidecar.istio.io/status": json.dumps(
            {"initContainers": ["istio-init"],
             "containers": ["istio-proxy"],
             "volumes": ["istio-envoy", "istio-data"]})}
    conds = [{"type": t, "status": "True" if (ready or t in (
        "PodScheduled", "Initialized")) else "False",
        "lastProbeTime": None, "lastTransitionTime": TS}
        for t in ("Initialized", "Ready", "ContainersReady",
                  "PodScheduled")]
    status = {"phase": "Pending" if pending else "Running",
              "conditions": conds, "qosClass": "Burstable"}
    if not pending:
        status.update({"hostIP": "10.0.%d.%d" % (i // 250 % 250, i % 250),
                       "podIP": "10.1.%d.%d" % (i // 250 % 250, i % 250),
                       "startTime": TS, "containerStatuses": statuses})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"containers": containers, "nodeName": "node-%d" %
                     (i % 40), "restartPolicy": "Always",
                     "serviceAccountName": gname, "dnsPolicy":
                     "ClusterFirst", "schedulerName": "default-scheduler",
                     "terminationGracePeriodSeconds": 30},
            "status": status}


def pods(n):
    """n pods over the three groups; (list, {group name: count})."""
    out, counts = [], {}
    left = n
    for gi, g in enumerate(GROUPS):
        k = left if gi == len(GROUPS) - 1 else max(1, int(round(n * g[3])))
        left -= k
        counts[g[0]] = k
        out.extend(pod(g, i) for i in range(k))
    return out, counts


def write_pods(path, n):
    items, counts = pods(n)
    with open(path, "w") as f:
        json.dump({"kind": "PodList", "apiVersion": "v1", "items": items},
                  f, separators=(",", ":"))
    return counts


# --- Prometheus --------------------------------------------------------------

GW = ('reporter="source",source_workload="istio-ingressgateway",'
      'source_workload_namespace="istio-system"')
DST = ('reporter="destination",'
       'destination_workload_namespace="voiceassistant-prod"')
IB = [("50", 0.1), ("100", 0.4), ("250", 0.7), ("500", 0.9),
      ("1000", 0.975), ("2500", 1.0), ("+Inf", 1.0)]
AB = [("50", 0.33), ("100", 0.66), ("250", 0.92), ("500", 0.98),
      ("1000", 1.0), ("+Inf", 1.0)]


def _series():
    """(name, labels, base rate /s, kind) of every series."""
    s = [("istio_requests_total", GW + ',response_code="200"', 19.9, "ok"),
         ("istio_requests_total", GW + ',response_code="503"', 0.02, "err"),
         ("istio_requests_total", DST + ',response_code="200",'
          'connection_security_policy="mutual_tls"', 9.9, "ok"),
         ("istio_requests_total", DST + ',response_code="200",'
          'connection_security_policy="none"', 0.1, "err")]
    for le, f in IB:
        s.append(("istio_request_duration_milliseconds_bucket",
                  GW + ',le="%s"' % le, 20.0 * f, "bucket"))
    s.append(("apisix_http_status", 'code="200",route="api"', 180.0, "ok"))
    s.append(("apisix_http_status", 'code="502",route="api"', 0.1, "err"))
    for le, f in AB:
        s.append(("apisix_http_latency_bucket",
                  'type="request",route="api",le="%s"' % le, 180.1 * f,
                  "bucket"))
    return s


def prom_openmetrics(path, start, end, step, churn):
    rnd = random.Random(4711)
    series = _series()
    ts = list(range(start, end + 1, step))
    # per-step multipliers: one for traffic, one for errors, one for latency
    if churn:
        mult = [(rnd.uniform(0.7, 1.3), rnd.uniform(0.2, 3.0),
                 rnd.uniform(0.0, 1.0)) for _ in ts]
    else:
        mult = [(1.0, 1.0, 0.0)] * len(ts)
    with open(path, "w") as f:
        for name in sorted(set(x[0] for x in series)):
            f.write("# TYPE %s unknown\n" % name)
            for n, labels, rate, kind in series:
                if n != name:
                    continue
                v = 1000.0
                for t, (m_all, m_err, m_lat) in zip(ts, mult):
                    r = rate * m_all
                    if kind == "err":
                        r *= m_err
                    elif kind == "bucket" and 'le="+Inf"' not in labels:
                        # shift latency: lower buckets fill less when slow
                        r *= 1.0 - 0.3 * m_lat * (1.0 - rate / 200.0)
                    f.write("%s{%s} %.6f %d\n" % (n, labels, v, t))
                    v += r * step
        f.write("# EOF\n")
