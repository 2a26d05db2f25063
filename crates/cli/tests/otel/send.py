"""Sends usage to a running `edgecost serve` with the official OpenTelemetry Python SDK and the
official CloudEvents SDK, as an edge node would, and prints what it recorded as JSON.

    send.py metrics --endpoint URL --token T --account A --region R
                    [--temporality delta|cumulative] [--encoding protobuf|json] [--retry]
    send.py events  --endpoint URL --token T --account A --region R

`metrics` records three rounds of requests on two routes and exports after each round. With
`--encoding protobuf` the SDK's own OTLP/HTTP exporter sends them (gzip-compressed); with
`--encoding json` the SDK's own OTLP encoder builds each request and it is sent as OTLP/JSON
(the protobuf JSON mapping, integer enums), since the SDK's exporter speaks only protobuf.
With `--retry` the first answer of every round is lost on the way back (a proxy answers 503
after the server has stored it), so the exporter sends the same data again; with JSON the
same request is simply posted twice.

`events` sends a batch of CloudEvents (application/cloudevents-batch+json), one event in
structured mode and one in binary mode, then the whole batch again.

Output: {"requests": N, "compute_ms": N, "egress_bytes": N, "answers": [...]}.
"""

import argparse
import http.server
import json
import sys
import threading
import urllib.request
import uuid
from datetime import datetime, timezone

import requests

# Durations and sizes exactly representable in binary, so every sum is exact.
ROUNDS = [
    # (route, duration seconds, response bytes, times)
    [("/api/orders", 0.25, 1024, 40), ("/api/users", 0.5, 4096, 10)],
    [("/api/orders", 0.125, 2048, 25)],
    [("/api/orders", 0.25, 512, 5), ("/api/users", 1.0, 8192, 3)],
]


def record_rounds(meter_provider, on_round):
    meter = meter_provider.get_meter("edge-proxy", "1.0.0")
    duration = meter.create_histogram("http.server.request.duration", unit="s")
    body = meter.create_histogram("http.server.response.body.size", unit="By")
    totals = {"requests": 0, "compute_ms": 0, "egress_bytes": 0}
    for i, rnd in enumerate(ROUNDS):
        for route, seconds, size, times in rnd:
            attrs = {"http.route": route, "http.request.method": "GET"}
            for _ in range(times):
                duration.record(seconds, attrs)
                body.record(size, attrs)
            totals["requests"] += times
            totals["compute_ms"] += int(seconds * 1000) * times
            totals["egress_bytes"] += size * times
        on_round(i)
    return totals


class LosingProxy:
    """Forwards every request to the server; the first answer of each round is replaced by
    503, so the client retries a request the server has already stored."""

    def __init__(self, target):
        self.target = target
        self.lose_next = False
        self.log = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                req = urllib.request.Request(proxy.target + self.path, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(req) as r:
                        status, answer, ctype = r.status, r.read(), r.headers.get("Content-Type")
                except urllib.error.HTTPError as e:
                    status, answer, ctype = e.code, e.read(), e.headers.get("Content-Type")
                lost = proxy.lose_next and status == 200
                proxy.log.append({"status": status, "lost": lost})
                if lost:
                    proxy.lose_next = False
                    status, answer, ctype = 503, b"", "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/octet-stream")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def metrics(args):
    from opentelemetry.sdk.metrics import Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    temporality = AggregationTemporality.DELTA if args.temporality == "delta" else AggregationTemporality.CUMULATIVE
    resource = Resource.create({
        "service.name": "edge-proxy",
        "edgecost.account.id": args.account,
        "edgecost.region": args.region,
        # Compute time is the request duration on this node.
        "edgecost.compute.source": "http.server.request.duration",
    })
    answers = []
    if args.encoding == "protobuf":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        proxy = LosingProxy(args.endpoint) if args.retry else None
        exporter = OTLPMetricExporter(
            endpoint=(proxy.url if proxy else args.endpoint) + "/v1/metrics",
            headers={"Authorization": f"Bearer {args.token}"},
            compression=Compression.Gzip,
            preferred_temporality={Histogram: temporality},
        )
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=resource, metric_readers=[reader])

        def on_round(_):
            if proxy:
                proxy.lose_next = True
            assert provider.force_flush(60_000), "the exporter gave up"

        totals = record_rounds(provider, on_round)
        if proxy:
            answers = proxy.log
            assert any(a["lost"] for a in answers), answers
        provider.shutdown()
    else:
        from google.protobuf import json_format
        from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

        reader = InMemoryMetricReader(preferred_temporality={Histogram: temporality})
        provider = MeterProvider(resource=resource, metric_readers=[reader])

        def on_round(_):
            request = encode_metrics(reader.get_metrics_data())
            body = json_format.MessageToJson(request, use_integers_for_enums=True)
            for _ in range(2 if args.retry else 1):
                r = requests.post(
                    args.endpoint + "/v1/metrics",
                    data=body,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {args.token}"},
                    timeout=60,
                )
                answers.append({"status": r.status_code, "body": r.json()})
                assert r.status_code == 200, r.text

        totals = record_rounds(provider, on_round)
    totals["answers"] = answers
    print(json.dumps(totals))


def events(args):
    from cloudevents.core.bindings import http as ce_http
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    fmt = JSONFormat()
    now = datetime.now(timezone.utc).replace(microsecond=0, minute=0, second=0)
    usage = [("/api/orders", 120, 3000, 65536), ("/api/users", 30, 900, 4096), ("/api/orders", 7, 70, 512)]
    made = []
    for i, (route, req, ms, egress) in enumerate(usage):
        made.append(CloudEvent(
            attributes={
                "id": str(uuid.uuid4()), "source": "//edge/fra-1", "type": "edgecost.usage",
                "subject": args.account, "time": now, "datacontenttype": "application/json",
            },
            data={"route": route, "region": args.region, "window_seconds": 60,
                  "requests": str(req), "compute_ms": ms, "egress_bytes": egress},
        ))
    auth = {"Authorization": f"Bearer {args.token}"}
    answers = []

    def post(body, headers):
        r = requests.post(args.endpoint + "/v1/events", data=body, headers={**headers, **auth}, timeout=60)
        answers.append({"status": r.status_code, "body": r.json()})
        assert r.status_code == 200, r.text

    # A batch of the first two (batched mode: a JSON array of structured events).
    batch = "[" + ",".join(fmt.write(e).decode() for e in made[:2]) + "]"
    post(batch, {"Content-Type": "application/cloudevents-batch+json"})
    # The third in binary mode, then in structured mode (the same event: counted once).
    binary = ce_http.to_binary(made[2], fmt)
    post(binary.body, dict(binary.headers))
    structured = ce_http.to_structured(made[2], fmt)
    post(structured.body, dict(structured.headers))
    # The batch again, as a sender that never got its answer would.
    post(batch, {"Content-Type": "application/cloudevents-batch+json"})
    totals = {"requests": sum(u[1] for u in usage), "compute_ms": sum(u[2] for u in usage),
              "egress_bytes": sum(u[3] for u in usage), "answers": answers}
    print(json.dumps(totals))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["metrics", "events"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--temporality", choices=["delta", "cumulative"], default="delta")
    p.add_argument("--encoding", choices=["protobuf", "json"], default="protobuf")
    p.add_argument("--retry", action="store_true")
    args = p.parse_args()
    (metrics if args.mode == "metrics" else events)(args)


if __name__ == "__main__":
    sys.exit(main())
