"""A fake OpenAI Chat Completions server: streams `chat.completion.chunk` SSE as the real API does.

Each test scripts the model's turns: every request takes the next one, which is a tool call, a
reply in words, or an HTTP error. A reply may quote the last tool output (`{tool}` in its text),
so a test sees the tool's result reach the spoken answer. A failure with `persist=True` is never
used up: every later request fails too, so the client's retries run out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import FakeHTTPServer, Recorded


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    text: str  # "{tool}" is replaced by the content of the last tool message


@dataclass(frozen=True)
class Failure:
    status: int = 500
    persist: bool = False


Turn = ToolCall | Reply | Failure


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class FakeOpenAIChat(FakeHTTPServer):
    def __init__(self, *turns: Turn) -> None:
        super().__init__()
        self.turns = list(turns)
        self.calls = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.completions)]

    def tool_outputs(self, request_index: int = -1) -> list[str]:
        """The tool messages the model was sent in one request (the last by default)."""
        messages = self.requests[request_index].json["messages"]
        return [m["content"] for m in messages if m.get("role") == "tool"]

    def _next_turn(self) -> Turn | None:
        with self._lock:
            if not self.turns:
                return None
            turn = self.turns[0]
            if not (isinstance(turn, Failure) and turn.persist):
                self.turns.pop(0)
            return turn

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.record(Recorded(request.method, request.path, dict(request.headers), {}, json=body))
        if request.headers.get("Authorization") != "Bearer test-key":
            return web.json_response(
                {"error": {"message": "bad key", "type": "invalid_request_error"}}, status=401
            )
        turn = self._next_turn()
        if turn is None:
            turn = Reply("(the fake model has no more scripted turns)")
        if isinstance(turn, Failure):
            error = {"message": "the fake model failed", "type": "server_error"}
            return web.json_response({"error": error}, status=turn.status)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if isinstance(turn, ToolCall):
            self.calls += 1
            call = {
                "index": 0,
                "id": f"call_{self.calls}",
                "type": "function",
                "function": {"name": turn.name, "arguments": json.dumps(turn.arguments)},
            }
            await response.write(_chunk({"role": "assistant", "tool_calls": [call]}))
            await response.write(_chunk({}, "tool_calls"))
        else:
            tools = [m["content"] for m in body["messages"] if m.get("role") == "tool"]
            text = turn.text.replace("{tool}", tools[-1] if tools else "")
            await response.write(_chunk({"role": "assistant", "content": text}))
            await response.write(_chunk({}, "stop"))
        await response.write(b"data: [DONE]\n\n")
        return response
