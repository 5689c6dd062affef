"""Clips: a moment of a content made into a content of its own (kind `clip`), for social media.

The clip has no source of its own: its generations are rendered from its parent's source over
its range. What it says is fixed when it is made: the parent's transcript re-timed to the clip
is stored with it, so re-rendering it later gives the same captions.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.content.editing_schemas import ClipIn, ClipOut
from api.content.service import load_content, load_owned_content, visible_to
from api.errors import Conflict
from api.messages import send_advance
from models import Content, Transcript
from models.editing import check_range, clip_cues
from settings import Settings
from workers.orchestrator import start_generation


def clip_out(clip: Content) -> ClipOut:
    edit = clip.edit or {}
    assert clip.parent_id is not None
    assert clip.range_start_s is not None and clip.range_end_s is not None
    return ClipOut(
        id=clip.id,
        parent_id=clip.parent_id,
        status=clip.status,
        generation=clip.generation,
        start_s=clip.range_start_s,
        end_s=clip.range_end_s,
        aspect=edit.get("aspect", "9:16"),
        reframe=edit.get("reframe", "centre"),
        captions=bool(edit.get("captions")),
        cues=len(edit.get("cues", [])),
    )


def _parent_range(parent: Content, data: ClipIn) -> tuple[float, float]:
    """The clip's range in the parent's whole source: a trimmed parent's player shows the cut,
    so times sent against it are moved by the cut's start."""
    offset = parent.range_start_s or 0.0
    return data.start_s + offset, data.end_s + offset


class ClipsController(Controller):
    path = "/content/{content_id:str}/clips"
    tags = ["editing"]

    @post("/", status_code=202, summary="Cut a clip (a new content of kind clip) out of this one")
    async def create(
        self,
        content_id: FromPath[str],
        data: JSONBody[ClipIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> ClipOut:
        parent = await load_owned_content(db, content_id, user)
        if parent.kind == "clip":
            raise Conflict("a clip cannot be clipped again: clip its parent")
        if parent.live_generation is None or parent.duration is None:
            raise Conflict("the content is not ready yet; clip it once it plays")
        # Times are the player's: within what is served now (the cut, for a trimmed parent).
        check_range(data.start_s, data.end_s, parent.duration, max_length_s=settings.clip_max_s)
        start_s, end_s = _parent_range(parent, data)
        cues: list[dict[str, object]] = []
        if data.captions:
            transcript = (
                await db.scalars(select(Transcript).where(Transcript.content_id == parent.id))
            ).first()
            if transcript is not None:
                offset = parent.range_start_s or 0.0
                shifted = [
                    {**s, "start": s["start"] + offset, "end": s["end"] + offset}
                    for s in transcript.segments or []
                ]
                cues = clip_cues(shifted, start_s, end_s)
        clip = Content(
            owner_id=parent.owner_id,
            kind="clip",
            title=data.title,
            speaker=parent.speaker,
            language=parent.language,
            recorded_date=parent.recorded_date,
            visibility="private",
            status="draft",
            parent_id=parent.id,
            range_start_s=start_s,
            range_end_s=end_s,
            edit={
                "aspect": data.aspect,
                "reframe": data.reframe,
                "captions": data.captions,
                "cues": cues,
                "parent_media_type": parent.media_type,
                "parent_title": parent.title,
            },
        )
        db.add(clip)
        start_generation(db, clip)  # type: ignore[arg-type]
        await db.commit()
        await send_advance(clip.id)
        return clip_out(clip)

    @get("/", summary="The clips cut from this content, in the order of their moments")
    async def list_clips(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> list[ClipOut]:
        parent = await load_content(db, content_id, user)
        rows = await db.scalars(
            select(Content)
            .where(Content.parent_id == parent.id, Content.kind == "clip")
            .order_by(Content.range_start_s)
        )
        # A listener sees the clips they could open; the owner sees all.
        return [clip_out(c) for c in rows if visible_to(c, user)]
