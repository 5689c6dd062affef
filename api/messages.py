"""Sending work to the workers. The API only ever sends ids; the database holds the state."""

from __future__ import annotations

import anyio

from workers import messages


async def send_advance(content_id: str) -> None:
    """Ask the orchestrator to enqueue whatever the content's plan has ready."""
    await send("advance", content_id)


async def send(actor_name: str, *args: str) -> None:
    """Send a message by its actor's name, off the event loop (Redis calls block)."""
    await anyio.to_thread.run_sync(lambda: messages.send(actor_name, *args))
