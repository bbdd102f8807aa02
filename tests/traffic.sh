# Shell helpers for the tests that measure traffic with a real Prometheus:
# tests/trafficd.py serves a service whose requests follow the weights of
# the VirtualService edge/storefront held by tests/kubeapi.py; its last 30
# minutes are backfilled with promtool, and Debian's prometheus (loopback
# port, throwaway data dir) scrapes it every second from then on.  Source
# after tests/lib.sh and tests/kubeapi.sh, call after kubeapi_start:
#   traffic_start ARGS...   trafficd.py (ARGS passed on), the backfill and
#                           prometheus, until the scraped samples are in;
#                           four TAP lines; sets ISTIO, APISIX, Q, TPORT,
#                           PPORT
#   tctl METHOD PATH        trafficd.py's test controls (the error spike)

traffic_start() {
	local qry
	ISTIO=istio-ingressgateway.istio-system.svc.cluster.local
	APISIX=apisix-gateway.apisix.svc.cluster.local
	Q="plural=virtualservices&namespace=edge&name=storefront"
	# The traffic, its past written for promtool.
	"$PYTHON3" "$top_srcdir/tests/trafficd.py" \
		--weights-url "http://127.0.0.1:$PORT/_test/object?$Q" \
		--istio "$ISTIO" --apisix "$APISIX" --history "$T/history.om" \
		"$@" >"$T/traffic.out" 2>"$T/traffic.err" &
	track $!
	wait_for 10 grep -q '^ready ' "$T/traffic.out"
	TPORT=$(awk '/^ready /{print $2}' "$T/traffic.out")
	ok "trafficd.py is ready" test -n "$TPORT"

	mkdir -p "$T/data"
	"$PROMTOOL" tsdb create-blocks-from openmetrics "$T/history.om" \
		"$T/data" >"$T/promtool.log" 2>&1
	ok "promtool backfills the last 30 minutes" test -n "$(ls "$T/data")"
	cat >"$T/prometheus.yml" <<PROMCONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: traffic
    static_configs:
      - targets: ['127.0.0.1:$TPORT']
    # The backfilled series go on: same labels, no job or instance.
    metric_relabel_configs:
      - action: labeldrop
        regex: job|instance
PROMCONF
	PPORT=$(free_port)
	"$PROMETHEUS" --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/data" \
		--web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
	track $!
	wait_for 30 curl -sf "http://127.0.0.1:$PPORT/-/ready"
	ok "prometheus is ready" curl -sf "http://127.0.0.1:$PPORT/-/ready"
	# Scraped samples have joined the backfilled ones: a 10s window holds
	# at least five (a slow start leaves a gap after the history's end).
	wait_for 30 traffic_scraped
	ok "prometheus scrapes the traffic" traffic_scraped
}

traffic_scraped() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode \
		'query=count_over_time(apisix_http_status{code="200"}[10s]) >= 5' |
		grep -q '"value"'
}

tctl() {
	ctl_at "$TPORT" "$1" "$2"
}
