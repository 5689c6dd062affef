"""The pages' static files: our stylesheet and scripts, and the npm packages they use.

Served from memory under `/static/{version}/...`: the version is a hash of every file, so a URL
never changes meaning and browsers may keep it for a year; each file is gzipped once (-9) when
first read, and sent compressed to the browsers that accept it (all of them). The npm files come
straight from `node_modules` (`make web` runs `npm ci`), under the names in VENDOR; nothing is
loaded from another host, so the pages work on a church LAN without internet.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from litestar import Request, Response, get
from litestar.params import FromPath

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# The served name of each npm file we use, and where npm put it.
VENDOR = {
    "vendor/hls.min.js": "hls.js/dist/hls.min.js",
    "vendor/wavesurfer.esm.js": "wavesurfer.js/dist/wavesurfer.esm.js",
    "vendor/livekit-client.umd.js": "livekit-client/dist/livekit-client.umd.js",
}
YEAR = "public, max-age=31536000, immutable"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str


def _sources() -> dict[str, Path]:
    files = {
        path.relative_to(STATIC_DIR).as_posix(): path
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file()
    }
    for name, relative in VENDOR.items():
        path = NODE_MODULES / relative
        if path.is_file():
            files[name] = path
        else:
            log.warning("%s is missing: run `make web` (npm ci) for the players", path)
    return files


def _media_type(name: str) -> str:
    suffix = Path(name).suffix
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """Every file, read and compressed once per process."""
    table = {}
    for name, path in _sources().items():
        body = path.read_bytes()
        table[name] = Asset(body, gzip.compress(body, 9, mtime=0), _media_type(name))
    return table


@lru_cache(maxsize=1)
def version() -> str:
    digest = hashlib.sha1()
    for name, asset in sorted(assets().items()):
        digest.update(name.encode())
        digest.update(asset.body)
    return digest.hexdigest()[:12]


def asset_url(name: str) -> str:
    """The URL of a static file, for templates: `{{ asset('css/site.css') }}`."""
    return f"/static/{version()}/{name}"


@get("/static/{tag:str}/{name:path}", include_in_schema=False, cache_control=None)
async def static_file(tag: FromPath[str], name: FromPath[str], request: Request) -> Response[bytes]:  # type: ignore[type-arg]
    asset = assets().get(name.lstrip("/"))
    if asset is None:
        return Response(b"not found", status_code=404, media_type="text/plain")
    # An old page asking for an older version gets today's file, kept briefly.
    headers = {"cache-control": YEAR if tag == version() else "public, max-age=60"}
    headers["vary"] = "accept-encoding"
    headers["x-content-type-options"] = "nosniff"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
