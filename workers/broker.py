"""The Redis broker, set up once per process before any actor is declared."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from settings import Settings, get_settings
from workers.redis_clients import sync_client

QUEUES = ("transcode", "media", "io", "default")


def build_broker(settings: Settings) -> RedisBroker:
    # Dramatiq's defaults re-deliver a killed worker's messages only after minutes (a 60 s heartbeat
    # and a 0.1% maintenance chance); these settings bring it to seconds.
    # A client that retries on a new connection: after a Redis restart, every pooled connection
    # of a plain client fails its next command, and a send after a committed change would fail.
    broker = RedisBroker(
        client=sync_client(settings.redis_url),
        namespace=settings.broker_namespace,
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
        dead_message_ttl=7 * 86_400_000,
    )
    broker.add_middleware(CurrentMessage())
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


def setup_broker(settings: Settings | None = None) -> dramatiq.Broker:
    """Set the process's broker unless one is set already (tests may set a StubBroker first)."""
    current = dramatiq.broker.global_broker
    if current is not None and isinstance(current, RedisBroker | StubBroker):
        return current
    broker = build_broker(settings or get_settings())
    dramatiq.set_broker(broker)
    return broker
