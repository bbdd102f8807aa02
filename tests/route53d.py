#!/usr/bin/env python3
"""route53d — a small Route53 stand-in for cutover's tests (127.0.0.1 only).

Serves ChangeResourceRecordSets, GetChange and ListResourceRecordSets of
one hosted zone.  Every API request's SigV4 signature is recomputed
independently with botocore (SigV4Auth over the request as received, the
query string decoded and canonicalised the way AWS does it) and compared
with the Authorization header; the ChangeBatch XML is checked for the
schema's element order.  Records are stored; a change is PENDING for
--pending GetChange polls, then INSYNC.

Test controls (unsigned):
  GET  /_state    {"changes": n, "records": [...], "requests": [...],
                   "problems": [...]}
  POST /_control  JSON, any of:
       "fail": "" | "signature" | "badkey" | "throttle" | "prior" |
               "stuck" | "malformed" | "malformed_list" | "nozone"
       "fail_count": n   (fail only the next n API requests; -1 = always)
       "pending": n      (GetChange polls answered PENDING)
       "records": [{"name","type","id","weight", "alias": {"zone","dns",
                    "eval"} | "ttl": n, "values": [...]}]
Flags: --port N (0: any; prints "ready PORT"), --zone ID, --key AKID,
--secret S, --token T (then x-amz-security-token is required), --pending N,
--fail MODE, --fail-count N, --state FILE (JSON written after each change).
"""
import argparse
import json
import os
import re
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
RRSET_ORDER = ["Name", "Type", "SetIdentifier", "Weight", "Region",
               "GeoLocation", "Failover", "MultiValueAnswer", "TTL",
               "ResourceRecords", "AliasTarget", "HealthCheckId",
               "TrafficPolicyInstanceId", "CidrRoutingConfig",
               "GeoProximityLocation"]
ALIAS_ORDER = ["HostedZoneId", "DNSName", "EvaluateTargetHealth"]

LOCK = threading.Lock()
S = {
    "changes": 0, "records": [], "requests": [], "problems": [],
    "fail": "", "fail_count": -1, "pending": 0, "change_polls": {},
    "next_change": 1,
}
ARGS = None


def default_records():
    return [
        {"name": "www.example.com.", "type": "A", "id": "istio",
         "weight": 0, "alias": {"zone": "Z2ISTIO", "eval": False,
                                "dns": "istio-lb.elb.amazonaws.com."}},
        {"name": "www.example.com.", "type": "A", "id": "apisix",
         "weight": 100, "alias": {"zone": "Z2APISIX", "eval": False,
                                  "dns": "apisix-lb.elb.amazonaws.com."}},
    ]


def norm(name):
    name = name.lower()
    return name[:-1] if name.endswith(".") else name


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def error_xml(code, message, kind="Sender"):
    return ('<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error>'
            "<Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>r-1</RequestId></ErrorResponse>"
            % (NS, kind, code, esc(message)))


def local(tag):
    return tag.split("}", 1)[-1]


def rec_xml(r):
    x = ("<ResourceRecordSet><Name>%s</Name><Type>%s</Type>"
         "<SetIdentifier>%s</SetIdentifier><Weight>%s</Weight>"
         % (esc(r["name"]), r["type"], esc(r["id"]), r["weight"]))
    if "alias" in r:
        a = r["alias"]
        x += ("<AliasTarget><HostedZoneId>%s</HostedZoneId><DNSName>%s"
              "</DNSName><EvaluateTargetHealth>%s</EvaluateTargetHealth>"
              "</AliasTarget>" % (esc(a["zone"]), esc(a["dns"]),
                                   "true" if a.get("eval") else "false"))
    else:
        if "ttl" in r:
            x += "<TTL>%s</TTL>" % r["ttl"]
        x += "<ResourceRecords>" + "".join(
            "<ResourceRecord><Value>%s</Value></ResourceRecord>" % esc(v)
            for v in r.get("values", [])) + "</ResourceRecords>"
    if r.get("health_check"):
        x += "<HealthCheckId>%s</HealthCheckId>" % esc(r["health_check"])
    return x + "</ResourceRecordSet>"


def check_order(el, order, where, problems):
    last = -1
    for child in el:
        name = local(child.tag)
        if name not in order:
            problems.append("%s: unknown element %s" % (where, name))
            continue
        i = order.index(name)
        if i <= last:
            problems.append("%s: %s out of order" % (where, name))
        last = i


def parse_change(body):
    """Return (changes, problems); changes as stored-record dicts."""
    problems = []
    root = ET.fromstring(body)
    if root.tag != "{%s}ChangeResourceRecordSetsRequest" % NS:
        problems.append("root is %s" % root.tag)
    cb = root.find("{%s}ChangeBatch" % NS)
    if cb is None:
        raise ValueError("no ChangeBatch")
    check_order(cb, ["Comment", "Changes"], "ChangeBatch", problems)
    out = []
    for ch in cb.find("{%s}Changes" % NS):
        check_order(ch, ["Action", "ResourceRecordSet"], "Change", problems)
        action = ch.find("{%s}Action" % NS).text
        rs = ch.find("{%s}ResourceRecordSet" % NS)
        check_order(rs, RRSET_ORDER, "ResourceRecordSet", problems)
        g = lambda n: rs.find("{%s}%s" % (NS, n))
        r = {"name": g("Name").text, "type": g("Type").text,
             "id": g("SetIdentifier").text, "weight": int(g("Weight").text)}
        al = g("AliasTarget")
        if al is not None:
            check_order(al, ALIAS_ORDER, "AliasTarget", problems)
            if g("TTL") is not None or g("ResourceRecords") is not None:
                problems.append("alias record with TTL or ResourceRecords")
            r["alias"] = {
                "zone": al.find("{%s}HostedZoneId" % NS).text,
                "dns": al.find("{%s}DNSName" % NS).text,
                "eval": al.find("{%s}EvaluateTargetHealth" % NS).text
                == "true"}
        else:
            if g("TTL") is not None:
                r["ttl"] = int(g("TTL").text)
            rr = g("ResourceRecords")
            r["values"] = [] if rr is None else [
                v.find("{%s}Value" % NS).text for v in rr]
        if g("HealthCheckId") is not None:
            r["health_check"] = g("HealthCheckId").text
        if not 0 <= r["weight"] <= 255:
            problems.append("weight %d" % r["weight"])
        out.append((action, r))
    return out, problems


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def send(self, code, body, ctype="text/xml"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # --- signature ---------------------------------------------------------
    def verify(self, body):
        """None if the signature is right, else (status, code, message)."""
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                     r"([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?"
                     r"Signature=([0-9a-f]{64})$", auth)
        if not m:
            return (403, "IncompleteSignature",
                    "Authorization header missing or malformed")
        akid, day, region, service, signed, sig = m.groups()
        if akid != ARGS.key:
            return (403, "InvalidClientTokenId", "The security token "
                    "included in the request is invalid.")
        if region != "us-east-1" or service != "route53":
            return (403, "SignatureDoesNotMatch", "Credential should be "
                    "scoped to a valid region/service")
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names:
            return (403, "SignatureDoesNotMatch", "host and x-amz-date "
                    "must be signed")
        token = self.headers.get("x-amz-security-token")
        if ARGS.token is not None:
            if token != ARGS.token or "x-amz-security-token" not in names:
                return (403, "InvalidClientTokenId", "The security token "
                        "included in the request is invalid.")
        elif token is not None:
            return (403, "InvalidClientTokenId", "unexpected session token")
        amzdate = self.headers.get("x-amz-date", "")
        if amzdate[:8] != day:
            return (403, "SignatureDoesNotMatch", "date mismatch")
        parts = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        headers = {}
        for n in names:
            v = self.headers.get_all(n)
            if v is None:
                return (403, "SignatureDoesNotMatch", "signed header %s "
                        "missing" % n)
            headers[n] = ",".join(v)
        req = AWSRequest(method=self.command,
                         url="http://%s%s" % (headers["host"], parts.path),
                         headers=headers, data=body, params=params)
        req.context["timestamp"] = amzdate
        signer = SigV4Auth(Credentials(ARGS.key, ARGS.secret, ARGS.token),
                           "route53", "us-east-1")
        canonical = signer.canonical_request(req)
        want = signer.signature(signer.string_to_sign(req, canonical), req)
        if want != sig:
            with LOCK:
                S["problems"].append("signature mismatch; canonical:\n" +
                                     canonical)
            return (403, "SignatureDoesNotMatch", "The request signature "
                    "we calculated does not match the signature you "
                    "provided.")
        return None

    def injected(self):
        """An injected failure for this API request, or None."""
        with LOCK:
            mode = S["fail"]
            if not mode or mode == "stuck":
                return None
            if S["fail_count"] == 0:
                return None
            if S["fail_count"] > 0:
                S["fail_count"] -= 1
            return mode

    # --- API ---------------------------------------------------------------
    def api(self, body):
        parts = urllib.parse.urlsplit(self.path)
        with LOCK:
            S["requests"].append("%s %s" % (self.command, self.path))
        bad = self.verify(body)
        if bad is None:
            mode = self.injected()
            if mode == "signature":
                bad = (403, "SignatureDoesNotMatch", "The request signature "
                       "we calculated does not match the signature you "
                       "provided.")
            elif mode == "badkey":
                bad = (403, "InvalidClientTokenId", "The security token "
                       "included in the request is invalid.")
            elif mode == "throttle":
                bad = (400, "Throttling", "Rate exceeded")
            elif mode == "prior":
                bad = (400, "PriorRequestNotComplete", "The request was "
                       "rejected because Route 53 was still processing a "
                       "prior request.")
            elif mode == "nozone":
                bad = (404, "NoSuchHostedZone", "No hosted zone found with "
                       "ID: %s" % ARGS.zone)
            elif mode == "malformed":
                return self.send(200, "<ChangeResourceRecordSetsResponse>"
                                 "<ChangeInfo><Oops")
            elif mode == "malformed_list" and self.command == "GET":
                return self.send(200, "<html>not xml</html>")
        if bad is not None:
            return self.send(bad[0], error_xml(bad[1], bad[2]))
        zone = "/2013-04-01/hostedzone/%s/rrset" % ARGS.zone
        if self.command == "POST" and parts.path in (zone, zone + "/"):
            return self.change(body)
        if self.command == "GET" and parts.path in (zone, zone + "/"):
            return self.list(parts.query)
        m = re.match(r"^/2013-04-01/change/(C[0-9A-Z]+)$", parts.path)
        if self.command == "GET" and m:
            return self.get_change(m.group(1))
        if parts.path.startswith("/2013-04-01/hostedzone/"):
            return self.send(404, error_xml("NoSuchHostedZone",
                                            "No hosted zone found"))
        return self.send(404, error_xml("InvalidAction", "no such action"))

    def change(self, body):
        try:
            changes, problems = parse_change(body)
        except (ET.ParseError, ValueError, AttributeError, TypeError) as e:
            return self.send(400, error_xml("InvalidInput", "bad XML: %s" % e))
        if problems:
            with LOCK:
                S["problems"].extend(problems)
            return self.send(400, error_xml(
                "InvalidInput", "cvc-complex-type.2.4.a: " + "; ".join(
                    problems)))
        with LOCK:
            for action, r in changes:
                if action != "UPSERT":
                    return self.send(400, error_xml("InvalidInput",
                                                    "only UPSERT here"))
            for action, r in changes:
                key = (norm(r["name"]), r["type"], r["id"])
                S["records"] = [x for x in S["records"] if
                                (norm(x["name"]), x["type"], x["id"]) != key]
                S["records"].append(r)
            S["changes"] += 1
            cid = "C%04dEXAMPLE" % S["next_change"]
            S["next_change"] += 1
            S["change_polls"][cid] = 0
            save()
        return self.send(200, '<?xml version="1.0"?>\n'
                         '<ChangeResourceRecordSetsResponse xmlns="%s">'
                         "<ChangeInfo><Id>/change/%s</Id><Status>PENDING"
                         "</Status><SubmittedAt>2026-08-01T00:00:00.000Z"
                         "</SubmittedAt></ChangeInfo>"
                         "</ChangeResourceRecordSetsResponse>" % (NS, cid))

    def get_change(self, cid):
        with LOCK:
            if cid not in S["change_polls"]:
                return self.send(404, error_xml("NoSuchChange",
                                                "no change " + cid))
            S["change_polls"][cid] += 1
            insync = (S["fail"] != "stuck" and
                      S["change_polls"][cid] > S["pending"])
        return self.send(200, '<?xml version="1.0"?>\n'
                         '<GetChangeResponse xmlns="%s"><ChangeInfo>'
                         "<Id>/change/%s</Id><Status>%s</Status>"
                         "<SubmittedAt>2026-08-01T00:00:00.000Z</SubmittedAt>"
                         "</ChangeInfo></GetChangeResponse>"
                         % (NS, cid, "INSYNC" if insync else "PENDING"))

    def list(self, query):
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        maxitems = int(q.get("maxitems", "100"))
        with LOCK:
            recs = sorted(S["records"], key=lambda r: (
                norm(r["name"]), r["type"], r["id"]))
        start = (norm(q.get("name", "")), q.get("type", ""),
                 q.get("identifier", ""))
        recs = [r for r in recs if (norm(r["name"]), r["type"], r["id"])
                >= start]
        page, rest = recs[:maxitems], recs[maxitems:]
        x = ('<?xml version="1.0"?>\n<ListResourceRecordSetsResponse '
             'xmlns="%s"><ResourceRecordSets>' % NS)
        x += "".join(rec_xml(r) for r in page)
        x += "</ResourceRecordSets><IsTruncated>%s</IsTruncated>" % (
            "true" if rest else "false")
        if rest:
            x += ("<NextRecordName>%s</NextRecordName><NextRecordType>%s"
                  "</NextRecordType><NextRecordIdentifier>%s"
                  "</NextRecordIdentifier>" % (esc(rest[0]["name"]),
                                               rest[0]["type"],
                                               esc(rest[0]["id"])))
        x += "<MaxItems>%d</MaxItems></ListResourceRecordSetsResponse>" % (
            maxitems)
        return self.send(200, x)

    # --- controls ----------------------------------------------------------
    def do_GET(self):
        if self.path == "/_state":
            with LOCK:
                return self.send(200, json.dumps(S), "application/json")
        return self.api(b"")

    def do_POST(self):
        body = self.body()
        if self.path == "/_control":
            c = json.loads(body or b"{}")
            with LOCK:
                for k in ("fail", "fail_count", "pending", "records"):
                    if k in c:
                        S[k] = c[k]
                save()
            return self.send(200, "{}", "application/json")
        return self.api(body)


def save():
    if ARGS.state:
        with open(ARGS.state + ".tmp", "w") as f:
            json.dump({"changes": S["changes"], "records": S["records"],
                       "problems": S["problems"]}, f)
        os.replace(ARGS.state + ".tmp", ARGS.state)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--zone", default="Z0TEST")
    ap.add_argument("--key", default="AKIDTEST")
    ap.add_argument("--secret", default="test/secret+key")
    ap.add_argument("--token", default=None)
    ap.add_argument("--pending", type=int, default=1)
    ap.add_argument("--fail", default="")
    ap.add_argument("--fail-count", type=int, default=-1)
    ap.add_argument("--records", default=None, help="JSON file")
    ap.add_argument("--state", default=None)
    ARGS = ap.parse_args()
    S["pending"] = ARGS.pending
    S["fail"] = ARGS.fail
    S["fail_count"] = ARGS.fail_count
    S["records"] = (json.load(open(ARGS.records)) if ARGS.records
                    else default_records())
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    save()
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
