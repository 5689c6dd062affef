"""What the job core needs to run edited content, in one place for it to call: which plan an
edited content follows, what its steps read, and a live recording trimming itself.

- `edit_metadata`: the range and render settings a step finds on `ctx.metadata`.
- `step_source_key`: the object a step reads as its source. A clip has none of its own and
  renders from its parent's; after a `trim` or `render_clip` step, the rest of the generation
  reads the file that step made instead of the upload.
- `apply_auto_trim`: a recording set to trim itself is trimmed to the suggested sermon.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from models import Content, Job, Transcript, utcnow
from pipelines.context import StepResult
from pipelines.media.sermon_range import suggest_sermon
from pipelines.plans import EDIT_STEPS, STEPS
from workers import control
from workers.db import session_scope

__all__ = ["apply_auto_trim", "edit_metadata", "step_source_key"]

log = logging.getLogger(__name__)

EDIT_STEP_NAMES = {spec.name for spec in EDIT_STEPS.values()}


def edit_metadata(
    range_start_s: float | None, range_end_s: float | None, edit: dict[str, Any] | None
) -> dict[str, Any]:
    """The ContentMetadata fields of editing, from the content's row."""
    return {"range_start_s": range_start_s, "range_end_s": range_end_s, "edit": edit}


def step_source_key(
    step: str,
    source_key: str | None,
    parent_source_key: str | None,
    previous: dict[str, StepResult],
    generation_prefix: str,
) -> str | None:
    """The storage key a step reads as its source (None: it reads none)."""
    if not STEPS[step].reads_source:
        return None
    if step not in EDIT_STEP_NAMES:
        for name in EDIT_STEP_NAMES:
            made = previous.get(name)
            if made is not None and made.data.get("source_key"):
                return f"{generation_prefix}/{made.data['source_key']}"
    return source_key or parent_source_key


def _suggestion_inputs(session: Any, content: Content) -> tuple[list[dict[str, Any]], list[str]]:
    transcript = session.scalars(
        select(Transcript).where(Transcript.content_id == content.id)
    ).first()
    segments = list(transcript.segments or []) if transcript is not None else []
    result = session.scalars(
        select(Job.result)
        .where(
            Job.content_id == content.id,
            Job.step == "speech_profile",
            Job.status == "succeeded",
        )
        .order_by(Job.generation.desc())
        .limit(1)
    ).first()
    profile = list(((result or {}).get("data") or {}).get("speech_profile") or [])
    return segments, profile


def apply_auto_trim(content_id: str) -> bool:
    """Trim a live recording set to trim itself to its suggested sermon, once: call it when a
    generation of the whole recording has finished (transcript and speech profile included).
    With `publish` it is scheduled to publish as soon as the trimmed generation is ready; with
    `wait` it waits for a person. Returns whether a trim was started."""
    with session_scope() as session:
        content = session.scalars(
            select(Content).where(Content.id == content_id).with_for_update()
        ).first()
        if content is None or content.kind != "recording" or content.auto_trim is None:
            return False
        if content.range_start_s is not None or content.duration is None:
            return False  # trimmed already (by itself or a person): never twice
        segments, profile = _suggestion_inputs(session, content)
        found = suggest_sermon(segments, profile, content.duration)
        if found is None:
            log.info("recording %s: no sermon found to trim to; it waits for a person", content_id)
            return False
        content.range_start_s, content.range_end_s = found.start_s, found.end_s
        content.edit = {**(content.edit or {}), "source_duration": content.duration}
        if content.auto_trim == "publish":
            # The clock publishes scheduled content once it is ready: the trimmed generation.
            content.visibility = "public"
            content.publish_at = utcnow()
            content.published_at = None
    control.reprocess_content(content_id)
    log.info("recording %s trimmed itself to %.1f-%.1f s", content_id, found.start_s, found.end_s)
    return True
