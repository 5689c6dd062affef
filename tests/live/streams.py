"""Event stream readers for tests: SSE and WebSocket clients (aiohttp) in their own threads,
collecting the events of a live session until the one that ends the story."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import aiohttp

READ_TIMEOUT_S = 120


class EventReader(threading.Thread):
    def __init__(
        self,
        url: str,
        *,
        websocket: bool = False,
        until: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.websocket, self.until = url, websocket, until
        self.headers = headers or {}
        self.events: list[dict[str, Any]] = []
        self.subscribed = threading.Event()  # the snapshot arrived: later events will follow
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(asyncio.wait_for(self._read(), READ_TIMEOUT_S))
        except BaseException as exc:  # noqa: BLE001 - reported by `result`
            self.error = exc
        finally:
            self.subscribed.set()

    def _got(self, event: dict[str, Any]) -> bool:
        self.events.append(event)
        self.subscribed.set()
        return bool(event["type"] == self.until)

    async def _read(self) -> None:
        async with aiohttp.ClientSession() as http:
            if self.websocket:
                async with http.ws_connect(self.url, headers=self.headers) as socket:
                    async for message in socket:
                        if self._got(json.loads(message.data)):
                            return
                raise AssertionError("the WebSocket closed early")
            async with http.get(self.url, headers=self.headers) as response:
                assert response.status == 200, await response.text()
                assert response.headers["Content-Type"].startswith("text/event-stream")
                data: list[str] = []
                async for raw in response.content:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("data:"):
                        data.append(line[5:].lstrip())
                    elif not line and data:
                        event = json.loads("\n".join(data))
                        data = []
                        if self._got(event):
                            return
            raise AssertionError("the event stream ended early")

    def result(self) -> list[dict[str, Any]]:
        self.join(READ_TIMEOUT_S + 5)
        if self.error is not None:
            raise AssertionError(f"{self.url}: {self.error!r}; got {self.events}") from self.error
        return self.events
