"""Sending work to the workers. The API only ever sends ids; the database holds the state."""

from __future__ import annotations

import anyio


async def send_advance(content_id: str) -> None:
    """Ask the orchestrator to enqueue whatever the content's plan has ready."""
    from workers.actors import advance  # imported late: declaring actors sets up the broker

    await anyio.to_thread.run_sync(advance.send, content_id)
