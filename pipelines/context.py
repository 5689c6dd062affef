"""What a step is given and what it gives back: plain data, no database, no queue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Protocol

import msgspec

from settings import Settings


class Outputs(Protocol):
    """Where a step puts its output objects: the generation's folder in storage, or a local
    directory (`cnt media process --out DIR`). Keys are relative POSIX paths; `live` marks a
    playlist that is still growing (served uncached)."""

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int: ...
    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int: ...
    def list_keys(self, prefix: str) -> list[str]: ...


class AssetOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One output object of a step; `key` is relative to the generation's prefix. Its MIME type
    is storage's to decide (one table for S3, the CDN and the database), from the key."""

    kind: str
    key: str
    mime_type: str = ""
    bytes: int = 0
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    language: str | None = None


def put_asset(
    outputs: Outputs,
    kind: str,
    key: str,
    path: Path,
    *,
    width: int | None = None,
    height: int | None = None,
) -> AssetOut:
    """Store one output file under `key` and describe it as an asset of the generation."""
    return AssetOut(
        kind=kind,
        key=key,
        bytes=outputs.put_file(key, path),
        width=width,
        height=height,
    )


class StepResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A step's outputs and figures; stored on its job so later steps and retries can read it."""

    assets: list[AssetOut] = msgspec.field(default_factory=list)
    # Step-specific facts later steps need (a probe, loudness figures, variant list, transcript).
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    media_seconds: float = 0.0
    cpu_seconds: float = 0.0
    time_to_first_playable: float | None = None
    # Why the step had nothing to do (no provider is set): its job ends `skipped` with this
    # reason instead of `succeeded`, and what waits for it goes on.
    skipped: str = ""


class ContentMetadata(msgspec.Struct, kw_only=True):
    """What the creator told us, as pipelines need it (ID3 tags, feed titles, languages)."""

    title: str = ""
    speaker: str = ""
    series: str = ""
    description: str = ""
    language: str = "en"
    recorded_date: str = ""
    # Editing: the range of the source to make this generation from (a trim, or a clip's moment
    # of its parent's source), and how a clip is rendered (pipelines.media.clips.ClipEdit).
    range_start_s: float | None = None
    range_end_s: float | None = None
    edit: dict[str, Any] | None = None


def result_name(step: str, track: str = "") -> str:
    """The name a step's result has in `StepContext.previous`: the step's own, or for a step
    run once per added audio track, the step's and the track's (`add_audio_track:es`)."""
    return f"{step}:{track}" if track else step


def _no_progress(_: float) -> None:
    return None


@dataclass(kw_only=True)
class StepContext:
    """Everything one run of one step needs.

    `outputs` is already scoped to `media/{content_id}/g{generation}/`, so a step writes keys such
    as `audio/128k/index.m3u8`; `cnt media process --out DIR` passes a local directory instead.
    `work_dir` is the step's own folder, made when the step first asks for it: a step that writes
    no files (publishing, a CDN invalidation) costs no folder, and the worker none to remove.
    """

    content_id: str
    generation: int
    source: Path
    work_dir: Path  # a property below; the field gives the constructor its argument
    outputs: Outputs
    settings: Settings
    metadata: ContentMetadata = field(default_factory=ContentMetadata)
    # Results of the steps this one ran after, by `result_name` (`probe` holds the probe).
    previous: dict[str, StepResult] = field(default_factory=dict)
    on_progress: Callable[[float], None] = _no_progress
    cancel: threading.Event = field(default_factory=threading.Event)
    # A presigned URL of the source, when a provider can fetch it itself.
    source_url: str | None = None
    # A chunked step (`StepSpec.chunked`): the chunk this job encodes (1, 2, ...; 0: the whole
    # step), and for the whole job of a chunked encode, its chunks' results by number to join.
    chunk: int = 0
    chunks: dict[int, StepResult] = field(default_factory=dict)
    _work_dir: Path = field(init=False, repr=False)
    _work_dir_made: bool = field(default=False, init=False, repr=False)

    @property  # type: ignore[no-redef]
    def work_dir(self) -> Path:
        if not self._work_dir_made:
            self._work_dir.mkdir(parents=True, exist_ok=True)
            self._work_dir_made = True
        return self._work_dir

    @work_dir.setter
    def work_dir(self, path: Path) -> None:
        if not isinstance(path, str | PathLike):
            raise TypeError("StepContext needs a work_dir")  # the default is the property itself
        self._work_dir = Path(path)
        self._work_dir_made = False

    @property
    def work_dir_made(self) -> bool:
        """Whether the step asked for its folder (and so left one to remove)."""
        return self._work_dir_made
