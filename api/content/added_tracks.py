"""Adding an audio track in another language to a ready video (an interpreter's recording,
aligned by its start), listing the added tracks, and removing one.

The recording is streamed up like a source (constant memory, hashed, size-limited) and kept
with the content's sources; the orchestrator gives the generation being served an
`add_audio_track` job for it (and every later generation too), and the worker probes it with
the same allowlists and limits as any upload: a file that is not media fails that job, never
the video.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.content.added_track_service import (
    TrackState,
    added_track_key,
    check_can_add,
    forget_added_jobs,
    parse_language,
    track_states,
    unfinished_track_jobs,
)
from api.content.service import load_owned_content
from api.content.source import receive_content_file
from api.errors import Conflict, NotFound
from api.messages import send_advance, send_committed
from models import AddedTrack, Content, utcnow
from pipelines.media.added_track import track_name
from pipelines.storage import Storage
from settings import Settings


class AddedTracksController(Controller):
    path = "/content/{content_id:str}/audio-tracks"
    tags = ["content"]
    guards = [signed_in]

    @get("/", summary="The audio tracks added to a video, each with how it stands")
    async def list_tracks(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> list[TrackState]:
        content = await load_owned_content(db, content_id, user)
        return await track_states(db, content)

    @put(
        "/{language:str}",
        request_max_body_size=None,
        status_code=202,
        summary="Stream a recording in another language up as the body; it joins the master",
    )
    async def add_track(
        self,
        content_id: FromPath[str],
        language: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> TrackState:
        tag = parse_language(language)
        content = await load_owned_content(db, content_id, user)
        await check_can_add(db, content, tag)
        await db.rollback()  # hold no transaction open while bytes stream in
        key = added_track_key(content_id, tag, request.headers.get("x-filename", ""))
        size, sha256 = await receive_content_file(
            db,
            request,
            storage,
            content_id,
            key,
            settings.upload_max_bytes,
            settings.upload_part_size,
        )
        try:
            replaced = await _record_track(db, content_id, tag, key, size, sha256)
        except BaseException:
            await db.rollback()
            await anyio.to_thread.run_sync(storage.delete, key)
            raise
        await send_advance(content_id)
        if replaced:
            await anyio.to_thread.run_sync(storage.delete, replaced)
        return TrackState(language=tag, name=track_name(tag), status="waiting", bytes=size)

    @delete(
        "/{language:str}",
        status_code=202,
        summary="Take an added track out of the master and delete it",
    )
    async def remove_track(
        self,
        content_id: FromPath[str],
        language: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> TrackState:
        tag = parse_language(language)
        await load_owned_content(db, content_id, user, lock=True)
        track = await _track(db, content_id, tag)
        if track is None:
            raise NotFound(f"the video has no added {tag} track")
        busy = await unfinished_track_jobs(db, content_id)
        if busy:
            raise Conflict(
                f"a {busy[0]} track is being added to the video; remove this one once it is done"
            )
        track.status, track.updated_at = "removing", utcnow()
        await db.commit()
        await send_committed("remove_audio_track", content_id, tag)
        return TrackState(
            language=tag, name=track.name, status="removing", bytes=track.source_bytes
        )


async def _track(db: AsyncSession, content_id: str, language: str) -> AddedTrack | None:
    track: AddedTrack | None = await db.scalar(
        select(AddedTrack).where(
            AddedTrack.content_id == content_id, AddedTrack.language == language
        )
    )
    return track


async def _record_track(
    db: AsyncSession, content_id: str, language: str, key: str, size: int, sha256: str
) -> str | None:
    """Record the whole recording as the content's `language` track; returns the recording it
    replaced, for the caller to delete once this is committed."""
    content = await db.scalar(select(Content).where(Content.id == content_id).with_for_update())
    if content is None:
        raise NotFound("the content was deleted while the recording was arriving")
    # Checked again under the lock: the video may have been reprocessed, or the same language
    # sent twice at once, while the bytes arrived.
    await check_can_add(db, content, language)
    track = await _track(db, content_id, language)
    replaced = None
    if track is None:
        track = AddedTrack(content_id=content_id, language=language, name=track_name(language))
        db.add(track)
    else:
        replaced = track.source_key
        track.updated_at = utcnow()
    track.source_key, track.source_bytes, track.source_sha256 = key, size, sha256
    track.status = "active"
    await forget_added_jobs(db, content_id, language)
    await db.commit()
    return replaced
