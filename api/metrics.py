"""Prometheus metrics of the API at /metrics: requests, latencies and errors by route.

Litestar's plugin (prometheus_client underneath) saves writing the middleware and exposition;
`group_path` labels by route template, so content ids never explode the label set.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from api.errors import Forbidden, Unauthorized
from settings import Settings
from workers.metrics import bearer_matches

prometheus = PrometheusConfig(
    app_name="cnt-api", prefix="cnt_api", group_path=True, exclude=["^/metrics"]
)


def metrics_token_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    settings: Settings = connection.app.state.settings
    if settings.env == "production" and not settings.metrics_token:
        # The API's port faces the world in production: its metrics name every route.
        raise Forbidden("metrics are closed in production until METRICS_TOKEN is set")
    if settings.metrics_token and not bearer_matches(
        connection.headers.get("authorization"), settings.metrics_token
    ):
        raise Unauthorized("metrics need the bearer token set in METRICS_TOKEN")


class MetricsController(PrometheusController):
    path = "/metrics"
    guards = [metrics_token_guard]
    # Scrapers ask often; the exposition text is cheap but never worth gzip negotiation.
    openmetrics_format = False
    # Prometheus' text format, not part of the JSON API: kept out of /schema (schemathesis found
    # it documented as application/json).
    include_in_schema = False
