"""Audio tracks added to a ready video: what may be added, the rows that record it, and how
each track stands on the generation being served."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, InvalidInput
from models import AddedTrack, Content, Job
from pipelines.media.added_track import STEP, track_name
from pipelines.media.tracks import language_tag

__all__ = [
    "TrackState",
    "added_track_key",
    "check_can_add",
    "parse_language",
    "track_states",
    "unfinished_track_jobs",
]

# A BCP 47 tag as a language menu needs it: a 2-3 letter primary language (ISO 639-1 or -2/3)
# and optional subtags (a region, a script). Checked before `language_tag` normalises it: the
# tag names a storage folder, so nothing else may pass.
_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


def parse_language(raw: str) -> str:
    """The path's language as the master's LANGUAGE ("spa" -> "es"), or a 400."""
    language = language_tag(raw) if _TAG.match(raw) else "und"
    if language == "und":
        raise InvalidInput(
            f"{raw!r} is not a language tag: use a BCP 47 or ISO 639 code such as es, pt-BR or spa",
            extra={"field": "language"},
        )
    return language


def added_track_key(content_id: str, language: str, filename: str = "") -> str:
    """Where a recording is kept: with the content's sources, a fresh name per upload (a
    replacement never overwrites the recording a running job reads)."""
    suffix = ""
    if "." in filename:
        suffix = "." + "".join(c for c in filename.rsplit(".", 1)[1].lower() if c.isalnum())[:8]
    return f"sources/{content_id}/tracks/{language}/{uuid.uuid4().hex}{suffix}"


async def _own_tracks(db: AsyncSession, content: Content) -> list[dict[str, Any]]:
    """The video's own audio renditions, from its served encode."""
    result = await db.scalar(
        select(Job.result).where(
            Job.content_id == content.id,
            Job.generation == content.live_generation,
            Job.step == "encode_video",
            Job.status == "succeeded",
        )
    )
    variants = ((result or {}).get("data") or {}).get("variants") or []
    return [v for v in variants if v.get("group_id")]


async def unfinished_track_jobs(db: AsyncSession, content_id: str) -> list[str]:
    """The languages whose add_audio_track job is queued or running."""
    rows = await db.scalars(
        select(Job.track).where(
            Job.content_id == content_id, Job.step == STEP, Job.status.in_(("queued", "running"))
        )
    )
    return list(rows)


async def check_can_add(db: AsyncSession, content: Content, language: str) -> None:
    """A 409 unless `language` can be added to the video now."""
    if content.media_type != "video" or content.live_generation is None:
        raise Conflict("audio tracks are added to a video once it has been processed")
    if content.status != "ready":
        raise Conflict(f"the video is {content.status}; add a track once it is ready")
    own = await _own_tracks(db, content)
    if not own:
        # Its variants name no audio group: a player would never offer the track.
        raise Conflict("the video has no sound of its own; upload it again with its sound")
    if language in {track.get("language") for track in own}:
        raise Conflict(f"the video already has a {track_name(language)} ({language}) track")
    if language in await unfinished_track_jobs(db, content.id):
        raise Conflict(f"a {language} track is being added; send another once it is done")
    track = await db.scalar(
        select(AddedTrack).where(
            AddedTrack.content_id == content.id, AddedTrack.language == language
        )
    )
    if track is not None and track.status == "removing":
        raise Conflict(f"the {language} track is being removed; add it again once it is gone")


async def forget_added_jobs(db: AsyncSession, content_id: str, language: str) -> None:
    """Drop the finished jobs that added an earlier recording of `language`: the orchestrator
    then adds the new one to the generation being served."""
    await db.execute(
        delete(Job).where(Job.content_id == content_id, Job.step == STEP, Job.track == language)
    )


class TrackState(msgspec.Struct, kw_only=True):
    language: str
    name: str
    # waiting (for the video's other steps or another track) | queued | running | ready |
    # failed | removing
    status: str
    error: str | None = None
    job_id: str | None = None
    bytes: int = 0


def _status(track: AddedTrack, job: Job | None) -> str:
    if track.status == "removing":
        return "removing"
    if job is None:
        return "waiting"
    if job.status == "succeeded":
        return "ready"
    if job.status in ("queued", "running"):
        return job.status
    return "failed"


async def track_states(db: AsyncSession, content: Content) -> list[TrackState]:
    """The content's added tracks, in the order they were added, each as it stands on the
    generation being served."""
    tracks = list(
        await db.scalars(
            select(AddedTrack)
            .where(AddedTrack.content_id == content.id)
            .order_by(AddedTrack.created_at, AddedTrack.language)
        )
    )
    jobs = {
        job.track: job
        for job in await db.scalars(
            select(Job).where(
                Job.content_id == content.id,
                Job.step == STEP,
                Job.generation == content.live_generation,
            )
        )
    }
    states = []
    for track in tracks:
        job = jobs.get(track.language)
        status = _status(track, job)
        states.append(
            TrackState(
                language=track.language,
                name=track.name,
                status=status,
                error=job.error if job is not None and status == "failed" else None,
                job_id=job.id if job is not None else None,
                bytes=track.source_bytes,
            )
        )
    return states
