"""A fake Deepgram prerecorded API: `POST /v1/listen` as api.deepgram.com speaks it.

Checks `Authorization: Token <key>`, takes the audio as the raw request body (any content type,
chunked or not) or `{"url": ...}` as JSON, records the query options, and answers with a real
Deepgram response (the fixtures in /work/shared/fixtures/providers/).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes import FakeHTTPServer, Recorded, json_response

FIXTURES = Path("/work/shared/fixtures/providers")


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


class FakeDeepgram(FakeHTTPServer):
    def __init__(self, api_key: str, response: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.response = response or load_fixture("deepgram-utterances.json")

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/listen", self.listen)]

    async def listen(self, request: web.Request) -> web.Response:
        body = await request.read()
        recorded = Recorded(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query={k: request.query.getall(k) for k in request.query},
            body=body,
        )
        if request.content_type == "application/json":
            recorded.json = json.loads(body or b"null")
        self.record(recorded)
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            # What Deepgram answers for a wrong key.
            return json_response(
                401,
                {
                    "err_code": "INVALID_AUTH",
                    "err_msg": "Invalid credentials.",
                    "request_id": str(uuid.uuid4()),
                },
            )
        scripted = self.scripted()
        if scripted is not None:
            return json_response(scripted.status, scripted.body or {}, scripted.headers)
        if "model" not in request.query:
            return json_response(400, {"err_code": "Bad Request", "err_msg": "model is required"})
        if recorded.json is not None:
            if not isinstance(recorded.json, dict) or not str(recorded.json.get("url", "")):
                return json_response(400, {"err_code": "Bad Request", "err_msg": "Invalid URL"})
        elif not body:
            return json_response(
                400,
                {"err_code": "Bad Request", "err_msg": "Bad Request: failed to process audio"},
            )
        return json_response(200, self.response, {"dg-request-id": str(uuid.uuid4())})
