"""/cdn: the embedded setup's CDN, serving stored objects from local disk."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import File

from api.errors import NotFound
from pipelines.storage import cache_control_for, check_key, content_type_for


@get("/cdn/{key:path}", tags=["delivery"], summary="A stored object (embedded setup)", include_in_schema=False)
async def cdn_object(key: FromPath[str], state: State) -> File:
    root: Path = state.settings.storage_path
    try:
        relative = check_key(key.lstrip("/"))
    except ValueError:
        raise NotFound("no such object") from None
    if not relative.startswith("media/"):
        raise NotFound("no such object")  # sources and internals are never served
    path = root / relative
    if not path.is_file():
        raise NotFound("no such object")
    return File(
        path=path,
        media_type=content_type_for(relative),
        content_disposition_type="inline",
        headers={"Cache-Control": cache_control_for(relative), "Access-Control-Allow-Origin": "*"},
    )
