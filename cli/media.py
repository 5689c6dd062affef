"""`cnt media probe FILE` and `cnt media process FILE --out DIR`: the pipelines, run alone.

`process` walks the media type's plan in this process, with no database and no queue, into a
local storage rooted at DIR, so DIR ends up holding the same tree a generation holds in storage
(`hls/master.m3u8`, `download/audio.mp3`, ...). Scratch files live in DIR/.work while it runs
and are removed after, so nothing is written outside DIR.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click
import msgspec

from pipelines.context import ContentMetadata, StepContext, StepResult
from pipelines.errors import PipelineError
from pipelines.media.errors import MediaRejected
from pipelines.media.probe import probe_media
from pipelines.plans import PLANS, step_function
from pipelines.storage import LocalStorage
from settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    """The environment's settings, with throwaway secrets so none is generated on disk."""
    try:
        return load_settings(
            jwt_secret=secrets.token_urlsafe(32), cdn_signing_secret=secrets.token_urlsafe(32)
        )
    except SettingsError as exc:
        click.echo(f"cnt: {exc}", err=True)
        sys.exit(2)


def _refuse(exc: MediaRejected) -> None:
    click.echo(f"cnt: refused: {exc}", err=True)
    sys.exit(2)


@click.group()
def media() -> None:
    """Probe and process media files locally, without the database or the queue."""


@media.command("probe")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def probe_command(file: Path) -> None:
    """Print FILE's probe as JSON; exit 2 with the reason if it would be refused."""
    settings = _settings()
    try:
        probe = probe_media(file, settings, work_dir=Path(tempfile.gettempdir()))
    except MediaRejected as exc:
        _refuse(exc)
        return
    click.echo(json.dumps(msgspec.to_builtins(probe), indent=2))


def _progress(step: str) -> object:
    shown = {"at": -1.0}

    def report(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent >= shown["at"] + 10 or fraction >= 1.0:
            shown["at"] = percent
            click.echo(f"  {step}: {percent}%", err=True)

    return report


def _run_plan(ctx: StepContext, media_type: str, remote: bool) -> dict[str, StepResult]:
    ran: dict[str, StepResult] = dict(ctx.previous)
    skipped: set[str] = set()
    for spec in PLANS[media_type]:  # type: ignore[index]
        if spec.name in ran:
            continue
        if (spec.remote and not remote) or any(d in skipped for d in spec.after):
            skipped.add(spec.name)
            continue
        ctx.previous = dict(ran)
        ctx.on_progress = _progress(spec.name)  # type: ignore[assignment]
        ctx.work_dir = ctx.work_dir.parent / spec.name
        started = time.monotonic()
        result = step_function(spec.name)(ctx)
        ran[spec.name] = result
        ttfp = (
            f", first playable at {result.time_to_first_playable:.1f} s"
            if result.time_to_first_playable
            else ""
        )
        wall = time.monotonic() - started
        click.echo(f"{spec.name}: {wall:.1f} s, CPU {result.cpu_seconds:.1f} s{ttfp}", err=True)
    return ran


@media.command("process")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="", help="ID3 title of the MP3 download.")
@click.option("--speaker", default="", help="ID3 artist.")
@click.option("--series", default="", help="ID3 album.")
@click.option("--remote", is_flag=True, help="Also run transcription, captions, CDN steps.")
def process_command(
    file: Path, out: Path, title: str, speaker: str, series: str, remote: bool
) -> None:
    """Run FILE's whole plan in-process, writing the generation's tree into --out."""
    settings = _settings()
    out = out.resolve()
    scratch = out / ".work"
    ctx = StepContext(
        content_id="local",
        generation=1,
        source=file.resolve(),
        work_dir=scratch / "probe",
        outputs=LocalStorage(out),
        settings=settings,
        metadata=ContentMetadata(title=title or file.stem, speaker=speaker, series=series),
    )
    try:
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        probed = step_function("probe")(ctx)
        ctx.previous = {"probe": probed}
        ran = _run_plan(ctx, probed.data["media_type"], remote)
    except MediaRejected as exc:
        _refuse(exc)
        return
    except PipelineError as exc:
        click.echo(f"cnt: failed: {exc}", err=True)
        if exc.log_tail:
            click.echo(exc.log_tail, err=True)
        sys.exit(1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {name: msgspec.to_builtins(result) for name, result in ran.items()}
    click.echo(json.dumps(summary, indent=2))
