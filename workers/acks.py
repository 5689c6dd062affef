"""Acks held back until a step's success is committed.

A worker thread that has run a step hands its success to the ledger and takes its next message
at once; the message it ran stays unacknowledged in Redis until the ledger's round commits. If
the process dies in between, Redis delivers the message again and the step runs again, as after
any crash: a message is acknowledged only once its job row says how it ended.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import current_millis

log = logging.getLogger(__name__)

# A late ack that meets a Redis restart tries again for about this long; after that the message
# stays with this worker until it stops, and is then delivered again (its job is done: a skip).
ACK_PATIENCE_S = 30.0


class AckHold:
    """One message's ack: sent when both the consumer has asked for it and the hold is released."""

    __slots__ = ("_lock", "_ack", "_released")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ack: tuple[HoldingConsumer, Any] | None = None
        self._released = False

    def defer(self, consumer: HoldingConsumer, message: Any) -> None:
        """The consumer's ack: kept for the release, or sent now if that came first."""
        with self._lock:
            if not self._released:
                self._ack = (consumer, message)
                return
        consumer.ack_now(message)

    def release(self) -> None:
        """The success is committed (or the message sent again): the ack may go."""
        with self._lock:
            self._released = True
            ack, self._ack = self._ack, None
        if ack is None:
            return
        batch: list[tuple[HoldingConsumer, Any]] | None = getattr(_batch, "acks", None)
        if batch is not None:
            batch.append(ack)
        else:
            _ack_patiently([ack])


_holds: dict[str, AckHold] = {}
_holds_lock = threading.Lock()
_batch = threading.local()


def hold(message_id: str) -> AckHold:
    """Hold back the ack of a message this process is running."""
    held = AckHold()
    with _holds_lock:
        _holds[message_id] = held
    return held


def _take(message_id: str) -> AckHold | None:
    with _holds_lock:
        return _holds.pop(message_id, None)


@contextmanager
def together() -> Iterator[None]:
    """Acks released in this thread inside the block are sent at its end, in one round trip."""
    _batch.acks = []
    try:
        yield
    finally:
        acks, _batch.acks = _batch.acks, None
        if acks:
            _ack_patiently(acks)


def _ack_patiently(acks: list[tuple[HoldingConsumer, Any]]) -> None:
    deadline, pause = time.monotonic() + ACK_PATIENCE_S, 0.25
    while True:
        try:
            _ack_all(acks)
            return
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() + pause > deadline:
                log.warning("%d held acks could not reach Redis; they come back later", len(acks))
                return
            time.sleep(pause)
            pause = min(pause * 2, 4.0)


def _ack_all(acks: list[tuple[HoldingConsumer, Any]]) -> None:
    """Dramatiq's own ack command for each message, pipelined: one round trip for them all."""
    pipeline = acks[0][0].broker.client.pipeline(transaction=False)
    for consumer, message in acks:
        consumer.ack_in(pipeline, message)
    pipeline.execute()


class HoldingConsumer(_RedisConsumer):  # type: ignore[misc]
    """The Redis consumer, with acks that may be held (see `hold`)."""

    def ack(self, message: Any) -> None:
        held = _take(message.message_id)
        if held is None:
            super().ack(message)
            return
        # The thread is free: the message no longer counts against the prefetch.
        self.queued_message_ids.discard(message.message_id)
        held.defer(self, message)

    def ack_now(self, message: Any) -> None:
        super().ack(message)

    def ack_in(self, pipeline: Any, message: Any) -> None:
        """Queue the message's ack on a Redis pipeline: the arguments `RedisBroker._dispatch`
        passes to its `dispatch` script (Dramatiq as pinned in constraints.txt; the held-ack
        tests read Redis back to see the message gone)."""
        broker = self.broker
        broker.scripts["dispatch"](
            keys=[broker.namespace],
            args=[
                "ack",
                current_millis(),
                self.queue_name,
                broker.broker_id,
                broker.heartbeat_timeout,
                broker.dead_message_ttl,
                0,  # no maintenance on an ack, as Dramatiq's own
                broker._max_unpack_size(),
                message.options["redis_message_id"],
            ],
            client=pipeline,
        )  # (a held message left the prefetch count when its ack was asked for)

    def nack(self, message: Any) -> None:
        _take(message.message_id)  # a rejected message's ack is never sent
        super().nack(message)


class HoldingRedisBroker(RedisBroker):  # type: ignore[misc]
    """Dramatiq's Redis broker, whose consumers can hold an ack back."""

    @property
    def consumer_class(self) -> type[HoldingConsumer]:
        return HoldingConsumer


def can_hold(broker: Any) -> bool:
    return isinstance(broker, HoldingRedisBroker)
