"""The app factory: wires settings, database, Redis, auth, errors and controllers in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig

from api.admin import AdminJobsController, reprocess_content
from api.auth.controller import AuthController, UsersController
from api.auth.middleware import BearerAuthMiddleware
from api.auth.rate_limit import STORE, auth_rate_limit, rate_limit_store
from api.auth.role_cache import INFO_KEY as ROLE_CACHE_KEY
from api.auth.role_cache import RoleCache
from api.catalog.controller import CatalogController
from api.cdn import cdn_object
from api.content.added_tracks import AddedTracksController
from api.content.clips import ClipsController
from api.content.controller import ContentController
from api.content.events import content_events
from api.content.trim import TrimController
from api.deps import DEPENDENCIES
from api.errors import EXCEPTION_HANDLERS
from api.event_streams import channels_plugin
from api.health import healthz, readyz
from api.live.controller import LiveController
from api.metrics import MetricsController, prometheus
from api.openapi_errors import ErrorShapeDocs
from api.platform import PLATFORM_HANDLERS
from api.response_cache import ChangeListener, ResponseCache, ResponseCacheMiddleware
from api.series.controller import SeriesController, all_sermons_feed
from api.uploads import UploadsController
from api.web import template_config, web_handlers
from models import async_session_factory, make_async_engine
from pipelines.storage import storage_from_settings
from settings import Settings, get_settings
from workers import db as worker_db
from workers.redis_clients import async_client

API_HANDLERS: list = [
    AuthController,
    UsersController,
    ContentController,
    TrimController,
    ClipsController,
    AddedTracksController,
    CatalogController,
    UploadsController,
    content_events,
    SeriesController,
    all_sermons_feed,
    AdminJobsController,
    reprocess_content,
    LiveController,
    *PLATFORM_HANDLERS,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    cache = ResponseCache(settings.response_cache_s, settings.response_cache_entries)
    roles = RoleCache()

    @asynccontextmanager
    async def resources(app: Litestar) -> AsyncGenerator[None, None]:
        # Sized for a worker's concurrent requests: with the default 5 (+10 overflow) a burst of
        # 32 closed and reopened connections each time, costing more than the queries
        # (bench/catalog_bench.py: GET /catalog 225 -> 450 req/s on 2 cores).
        engine = make_async_engine(settings.async_database_url, pool_size=30, max_overflow=20)
        app.state.db_sessions = async_session_factory(engine)
        # The account rules forget a changed role through the session (forget_on_commit).
        app.state.db_sessions.configure(info={ROLE_CACHE_KEY: roles})
        # Admin actions run `workers.control` on the workers' blocking pools, rarely.
        worker_db.use_pre_ping()
        app.state.redis = async_client(settings.redis_url)
        app.state.response_cache = cache
        app.state.role_cache = roles
        # Only PostgreSQL tells us about changes; without that feed the cache stays off.
        listener = None
        if settings.response_cache_s > 0 and engine.dialect.name == "postgresql":
            listener = ChangeListener(cache, settings.async_database_url, roles=roles)
            listener.start()
        app.state.change_listener = listener
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            await app.state.redis.aclose()
            await engine.dispose()

    api_v1 = Router(path="/api/v1", route_handlers=API_HANDLERS)
    return Litestar(
        route_handlers=[
            api_v1,
            healthz,
            readyz,
            cdn_object,
            MetricsController,
            *web_handlers(settings),
        ],
        template_config=template_config(settings),
        dependencies=DEPENDENCIES,
        lifespan=[resources],
        plugins=[channels_plugin(settings), ErrorShapeDocs()],
        state=_initial_state(settings),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        stores={STORE: rate_limit_store(settings)},
        middleware=[
            prometheus.middleware,
            auth_rate_limit(settings).middleware,
            DefineMiddleware(
                BearerAuthMiddleware,
                exclude=[
                    "^/cdn/",
                    "^/healthz",
                    "^/schema",
                    "^/api/v1/live/webhooks$",
                    "^/metrics",  # its bearer token is METRICS_TOKEN, not an access token
                ],
            ),
            # After authentication: answers kept per audience need to know the caller's.
            ResponseCacheMiddleware(cache),
        ],
        cors_config=CORSConfig(allow_origins=["*"], expose_headers=["ETag", "Last-Event-ID"]),
        openapi_config=OpenAPIConfig(
            title="CNT Media API",
            version="1.0.0",
            description="Uploads, processing, playback, catalog, feeds and live services.",
            path="/schema",
        ),
        request_max_body_size=1_000_000,
        debug=False,
    )


def _initial_state(settings: Settings):  # type: ignore[no-untyped-def]
    from litestar.datastructures import State

    return State({"settings": settings, "storage": storage_from_settings(settings)})
