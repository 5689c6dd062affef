"""Prometheus metrics of the API at /metrics: requests, latencies and errors by route.

Litestar's plugin (prometheus_client underneath) saves writing the middleware and exposition;
`group_path` labels by route template, so content ids never explode the label set.
"""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

prometheus = PrometheusConfig(
    app_name="cnt-api", prefix="cnt_api", group_path=True, exclude=["^/metrics"]
)


class MetricsController(PrometheusController):
    path = "/metrics"
    # Scrapers ask often; the exposition text is cheap but never worth gzip negotiation.
    openmetrics_format = False
    # Prometheus' text format, not part of the JSON API: kept out of /schema (schemathesis found
    # it documented as application/json).
    include_in_schema = False
