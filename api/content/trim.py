"""Trimming a content to a range of its source, undoing it, and suggesting where the sermon is.

A trim is a new generation made from the range through the normal plan; the original source is
kept, so a trim can be moved or undone, and the generation being served stays served until the
new one is ready (the orchestrator switches only then).
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.content.editing_schemas import AutoTrimIn, SuggestionOut, TrimIn, TrimOut
from api.content.service import load_owned_content
from api.errors import Conflict, NotFound
from models import Content, Job, Transcript, utcnow
from models.editing import check_range
from pipelines.media.sermon_range import suggest_sermon
from workers import control


def source_duration(content: Content) -> float:
    """The whole source's length: remembered when it was first trimmed (the probe of a trimmed
    generation measures the cut), else the probe's."""
    remembered = (content.edit or {}).get("source_duration")
    duration = remembered if remembered is not None else content.duration
    if duration is None:
        raise Conflict("the content has not been processed yet; trim it once it is")
    return float(duration)


def _editable(content: Content) -> None:
    if content.kind == "clip":
        raise Conflict("a clip's range is fixed when it is made: make a new clip instead")
    if not content.source_key or content.status in ("draft", "uploading"):
        raise Conflict("the content has no whole source yet; upload one first")


async def _new_generation(content_id: str) -> int:
    """Make the next generation through the one path reprocessing takes (it also stops the jobs
    of an older generation still running, such as a trim this one replaces)."""
    try:
        return await anyio.to_thread.run_sync(lambda: control.reprocess_content(content_id))
    except control.ContentNotFound as exc:
        raise NotFound(str(exc)) from None
    except control.ControlError as exc:
        raise Conflict(str(exc)) from None


def _out(content: Content, generation: int, duration: float | None) -> TrimOut:
    return TrimOut(
        id=content.id,
        status="processing",
        generation=generation,
        start_s=content.range_start_s,
        end_s=content.range_end_s,
        source_duration=duration,
    )


class TrimController(Controller):
    path = "/content/{content_id:str}/trim"
    tags = ["editing"]

    @post("/", status_code=202, summary="Make the next generation from a range of the source")
    async def trim(
        self,
        content_id: FromPath[str],
        data: JSONBody[TrimIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> TrimOut:
        content = await load_owned_content(db, content_id, user, lock=True)
        _editable(content)
        duration = source_duration(content)
        check_range(data.start_s, data.end_s, duration)
        content.range_start_s, content.range_end_s = data.start_s, data.end_s
        content.edit = {**(content.edit or {}), "source_duration": duration}
        content.updated_at = utcnow()
        await db.commit()
        return _out(content, await _new_generation(content_id), duration)

    @delete("/", status_code=200, summary="Undo the trim: the next generation is the whole source")
    async def undo(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> TrimOut:
        content = await load_owned_content(db, content_id, user, lock=True)
        _editable(content)
        if content.range_start_s is None:
            raise Conflict("the content is not trimmed")
        duration = source_duration(content)
        content.range_start_s = content.range_end_s = None
        content.updated_at = utcnow()
        await db.commit()
        return _out(content, await _new_generation(content_id), duration)

    @get("/suggestion", summary="Where the sermon seems to start and end, to accept or move")
    async def suggestion(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> SuggestionOut:
        content = await load_owned_content(db, content_id, user)
        duration = source_duration(content)
        segments = await _segments(db, content)
        profile = await _speech_profile(db, content.id)
        found = suggest_sermon(segments, profile, duration)
        return SuggestionOut(
            content_id=content.id,
            start_s=found.start_s if found else None,
            end_s=found.end_s if found else None,
            evidence=list(found.evidence) if found else [],
            confidence=found.confidence if found else 0.0,
        )

    @put("/auto", status_code=200, summary="A live recording trims itself once processed")
    async def auto(
        self,
        content_id: FromPath[str],
        data: JSONBody[AutoTrimIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> AutoTrimIn:
        content = await load_owned_content(db, content_id, user, lock=True)
        if content.kind != "recording":
            raise Conflict("only a live recording trims itself; trim other content by hand")
        content.auto_trim = None if data.mode == "off" else data.mode
        await db.commit()
        return data


async def _segments(db: AsyncSession, content: Content) -> list[dict[str, Any]]:
    """The transcript's segments in the whole source's time: a trimmed content's transcript was
    made from the cut, so it is shifted back by the cut's start."""
    row = (await db.scalars(select(Transcript).where(Transcript.content_id == content.id))).first()
    if row is None:
        return []
    offset = content.range_start_s or 0.0
    return [
        {**s, "start": float(s["start"]) + offset, "end": float(s["end"]) + offset}
        for s in row.segments or []
    ]


async def _speech_profile(db: AsyncSession, content_id: str) -> list[str]:
    """The latest speech profile of the whole source (only unedited generations make one)."""
    result = (
        await db.scalars(
            select(Job.result)
            .where(
                Job.content_id == content_id,
                Job.step == "speech_profile",
                Job.status == "succeeded",
            )
            .order_by(Job.generation.desc())
            .limit(1)
        )
    ).first()
    return list(((result or {}).get("data") or {}).get("speech_profile") or [])
