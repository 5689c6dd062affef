"""Publish: write the final master playlist, last, and list every asset of the generation.

Writing the master last is what makes a generation visible to players: every playlist and
segment it names is already in place. Running it twice writes the same bytes.
"""

from __future__ import annotations

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.errors import PipelineError
from pipelines.media.added_track import added_tracks_in, master_with_tracks
from pipelines.media.hls import Variant

__all__ = ["publish_step", "ASSET_STEPS"]

ENCODE_STEPS = ("encode_audio", "encode_video")
# Steps whose assets a published generation lists, in the order they are shown.
ASSET_STEPS = (*ENCODE_STEPS, "waveform", "thumbnails")
MASTER_KEY = "hls/master.m3u8"


def publish_step(ctx: StepContext) -> StepResult:
    """Rewrite `hls/master.m3u8` from the encode step's variants (plus any subtitles) for good."""
    encode = next((ctx.previous[s] for s in ENCODE_STEPS if s in ctx.previous), None)
    if encode is None or not encode.data.get("variants"):
        raise PipelineError("publish needs an encode step's variants")
    # A caption step that already ran (a re-publish) keeps its subtitle group in the master.
    captions = ctx.previous.get("captions")
    subtitles = captions.data.get("subtitles") if captions is not None else None
    master_key = str(encode.data.get("master_key") or MASTER_KEY)
    variants = msgspec.convert(encode.data["variants"], list[Variant])
    # Audio tracks added to the generation stay in it when publish runs again (a retry).
    _, text = master_with_tracks(variants, added_tracks_in(ctx.previous), subtitles)
    master = text.encode()
    assets: list[AssetOut] = []
    for step in ASSET_STEPS:
        if step in ctx.previous:
            assets.extend(a for a in ctx.previous[step].assets if a.key != master_key)
    assets.append(
        AssetOut(
            kind="hls_master",
            key=master_key,
            bytes=len(master),
        )
    )
    ctx.outputs.put_bytes(master_key, master, live=False)
    return StepResult(assets=assets, data={"master_key": master_key})
