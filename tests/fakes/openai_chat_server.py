"""A fake OpenAI Chat Completions server: streams `chat.completion.chunk` SSE as the real API does.

The first turn asks for a tool call; once the request carries the tool's output it answers in
words that quote what the tool returned, so a test sees the tool's result reach the reply.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes import FakeHTTPServer, Recorded


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
    def __init__(self, tool_name: str, tool_arguments: dict[str, Any]) -> None:
        super().__init__()
        self.tool_name = tool_name
        self.tool_arguments = tool_arguments

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.completions)]

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.record(Recorded(request.method, request.path, dict(request.headers), {}, json=body))
        if request.headers.get("Authorization") != "Bearer test-key":
            return web.json_response(
                {"error": {"message": "bad key", "type": "invalid_request_error"}}, status=401
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        tool_outputs = [m for m in body["messages"] if m.get("role") == "tool"]
        if not tool_outputs:
            call = {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": self.tool_name, "arguments": json.dumps(self.tool_arguments)},
            }
            await response.write(_chunk({"role": "assistant", "tool_calls": [call]}))
            await response.write(_chunk({}, "tool_calls"))
        else:
            found = (
                json.loads(tool_outputs[-1]["content"])
                if tool_outputs[-1]["content"].startswith("[")
                else []
            )
            titles = ", ".join(item["title"] for item in found) or "nothing"
            await response.write(_chunk({"role": "assistant", "content": f"I found: {titles}."}))
            await response.write(_chunk({}, "stop"))
        await response.write(b"data: [DONE]\n\n")
        return response
