"""Messages as data: every message the platform sends, built from an actor's name and ids.

Sending never imports the module that declares actors (`workers.actors`): a message names its
actor and its queue, and the broker only puts it on that queue. So the API, the CLI and the
clock send work without loading the worker machinery, and no import cycle runs through here.
A step's queue comes from its `StepSpec`; the other actors' queues are in `ACTOR_QUEUES`, which
`workers.actors` declares them with.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from pipelines.plans import STEPS
from workers.broker import setup_broker

log = logging.getLogger(__name__)

# The actors that are not plan steps, and their queues.
ACTOR_QUEUES: dict[str, str] = {
    "advance": "default",
    "cleanup_generation": "io",
    "start_egress": "io",
    "ingest_recording": "io",
    "auto_trim": "default",
    "remove_audio_track": "io",
}

Message = dramatiq.Message[Any]


def queue_of(actor_name: str) -> str:
    spec = STEPS.get(actor_name)
    return spec.queue if spec is not None else ACTOR_QUEUES[actor_name]


def message(actor_name: str, *args: Any) -> Message:
    """A message for `actor_name` with positional `args` (ids and numbers only)."""
    return dramatiq.Message(
        queue_name=queue_of(actor_name), actor_name=actor_name, args=args, kwargs={}, options={}
    )


def enqueue(outgoing: Message, delay_ms: int | None = None) -> None:
    """Put a built message on its queue (after `delay_ms`, when given)."""
    setup_broker().enqueue(outgoing, delay=delay_ms or None)


def send(actor_name: str, *args: Any, delay_ms: int | None = None) -> Message:
    """Build and send a message; returns it (its id names it on a job row)."""
    outgoing = message(actor_name, *args)
    enqueue(outgoing, delay_ms)
    log.debug("sent %s%s as %s", actor_name, args, outgoing.message_id)
    return outgoing
