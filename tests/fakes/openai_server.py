"""A fake OpenAI audio API: `POST /v1/audio/transcriptions` as api.openai.com speaks it.

Checks `Authorization: Bearer <key>`, reads the multipart form (file, model, language,
response_format, `timestamp_granularities[]`), measures the uploaded audio with ffprobe (so a
file that is not audio is refused as OpenAI refuses it), and answers in the documented
verbose_json shape: the `script` words spread across the upload's real duration.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes import FakeHTTPServer, Recorded, json_response

Responder = Callable[[Recorded, float], list[str]]


def audio_seconds(data: bytes) -> float | None:
    with tempfile.NamedTemporaryFile(suffix=".audio") as handle:
        handle.write(data)
        handle.flush()
        done = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
             handle.name],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    try:
        return float(done.stdout.strip())
    except ValueError:
        return None


def verbose_json(words: list[str], duration: float, language: str = "english") -> dict[str, Any]:
    """The documented TranscriptionVerbose: words evenly over the audio, a segment a sentence."""
    span = max(duration - 0.2, 0.1)
    step = span / max(len(words), 1)
    timed: list[dict[str, Any]] = [
        {"word": w, "start": round(0.1 + i * step, 3), "end": round(0.1 + (i + 0.8) * step, 3)}
        for i, w in enumerate(words)
    ]
    segment_words = [dict(w) for w in timed]
    for word in timed:
        # whisper-1's word list has no punctuation; the segment text keeps it.
        word["word"] = word["word"].strip(".,;:!?")
    segments: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for word in segment_words:
        current.append(word)
        if word["word"].endswith((".", "?", "!")) or word is segment_words[-1]:
            segments.append(
                {
                    "id": len(segments), "seek": 0, "start": current[0]["start"],
                    "end": current[-1]["end"], "text": " " + " ".join(w["word"] for w in current),
                    "tokens": [50364], "temperature": 0.0, "avg_logprob": -0.2,
                    "compression_ratio": 1.3, "no_speech_prob": 0.01,
                }
            )  # fmt: skip
            current = []
    return {
        "task": "transcribe",
        "language": language,
        "duration": duration,
        "text": " ".join(words),
        "words": timed,
        "segments": segments,
        "usage": {"type": "duration", "seconds": round(duration)},
    }


class FakeOpenAI(FakeHTTPServer):
    def __init__(
        self,
        api_key: str,
        script: str = "",
        responder: Responder | None = None,
        word_timestamps: bool = True,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.script = script
        self.responder = responder
        # False: a self-hosted server that answers with timed segments only.
        self.word_timestamps = word_timestamps

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/audio/transcriptions", self.transcriptions)]

    async def transcriptions(self, request: web.Request) -> web.Response:
        recorded = Recorded(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query={k: request.query.getall(k) for k in request.query},
        )
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: OpenAI takes none
                data = bytes(await part.read())
                if part.filename:
                    content_type = part.headers.get("Content-Type", "")
                    recorded.files[part.name or ""] = (part.filename, content_type, data)
                else:
                    recorded.form.setdefault(part.name or "", []).append(data.decode())
        self.record(recorded)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return json_response(401, _error(
                "Incorrect API key provided: sk-wr***key. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error", "invalid_api_key",
            ))  # fmt: skip
        scripted = self.scripted()
        if scripted is not None:
            body = scripted.body or _error("The server had an error", "server_error", None)
            return json_response(scripted.status, body, scripted.headers)
        if "file" not in recorded.files or "model" not in recorded.form:
            return json_response(
                400, _error("file and model are required", "invalid_request_error", None)
            )
        duration = audio_seconds(recorded.files["file"][2])
        if duration is None:
            return json_response(400, _error(
                "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', "
                "'mpga', 'oga', 'ogg', 'wav', 'webm']", "invalid_request_error", None,
            ))  # fmt: skip
        words = self.responder(recorded, duration) if self.responder else self.script.split()
        answer = verbose_json(words, duration)
        granularities = recorded.form.get("timestamp_granularities[]", [])
        if "word" not in granularities or not self.word_timestamps:
            del answer["words"]  # OpenAI sends words only when asked for them
        if recorded.form.get("response_format", ["json"])[0] != "verbose_json":
            answer = {"text": answer["text"], "usage": {"type": "duration", "seconds": 1}}
        return web.Response(
            text=json.dumps(answer),
            content_type="application/json",
            headers={"x-request-id": "req_fake"},
        )


def _error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
