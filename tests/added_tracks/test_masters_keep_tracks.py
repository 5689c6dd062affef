"""Every step that writes a generation's master keeps the audio tracks added to it: captions
retried after a track was added, publish run again, and the removal's master (the same
function without the track)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from pipelines.context import StepContext, StepResult, result_name
from pipelines.media.added_track import STEP, master_with_tracks
from pipelines.media.hls import AAC_LC, AUDIO_GROUP, Variant
from pipelines.media.master import publish_step
from pipelines.storage import LocalStorage
from pipelines.transcription.captions import captions_step
from settings import load_settings

ENGLISH = Variant(
    name="English", uri="audio/index.m3u8", bandwidth=140_000, average_bandwidth=130_000,
    codecs=AAC_LC, group_id=AUDIO_GROUP, channels=2, language="en", default=True,
)  # fmt: skip
PICTURE = Variant(
    name="360p", uri="360p/index.m3u8", bandwidth=900_000, average_bandwidth=800_000,
    codecs="avc1.64001e,mp4a.40.2", resolution="640x360", frame_rate=25.0,
    audio_group=AUDIO_GROUP,
)  # fmt: skip
SPANISH = Variant(
    name="Español", uri="audio_es/index.m3u8", bandwidth=150_000, average_bandwidth=130_000,
    codecs=AAC_LC, group_id=AUDIO_GROUP, channels=2, language="es",
)  # fmt: skip


def _context(tmp_path: Path) -> StepContext:
    encode = StepResult(
        data={"variants": msgspec.to_builtins([PICTURE, ENGLISH]), "master_key": "hls/master.m3u8"}
    )
    added = StepResult(data={"track": msgspec.to_builtins(SPANISH)})
    return StepContext(
        content_id="c1",
        generation=1,
        source=tmp_path / "none",
        work_dir=tmp_path / "work",
        outputs=LocalStorage(tmp_path / "out").scoped("media/c1/g1"),
        settings=load_settings(None, data_dir=str(tmp_path / "var")),
        previous={
            "probe": StepResult(data={"duration": 5.0}),
            "encode_video": encode,
            "publish": StepResult(data={"master_key": "hls/master.m3u8"}),
            "transcribe": StepResult(
                data={"language": "en", "words": [{"word": "Grace.", "start": 0.5, "end": 1.0}]}
            ),
            result_name(STEP, "es"): added,
        },
    )


def _languages(master: str) -> list[str]:
    return [
        line.split('LANGUAGE="', 1)[1].split('"', 1)[0]
        for line in master.splitlines()
        if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO")
    ]


def test_captions_retried_after_a_track_was_added_keep_it_in_the_master(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    captions_step(ctx)
    master = ctx.outputs.get_bytes("hls/master.m3u8").decode()
    assert _languages(master) == ["en", "es"]
    assert "TYPE=SUBTITLES" in master


def test_publish_run_again_keeps_an_added_track(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    publish_step(ctx)
    assert _languages(ctx.outputs.get_bytes("hls/master.m3u8").decode()) == ["en", "es"]


def test_a_master_without_added_tracks_is_the_encodes_own(tmp_path: Path) -> None:
    variants, master = master_with_tracks([PICTURE, ENGLISH], [])
    assert _languages(master) == ["en"]
    with_spanish, _ = master_with_tracks([PICTURE, ENGLISH], [SPANISH])
    # The video variant's BANDWIDTH covers the group's largest member, now Spanish.
    assert [v.bandwidth for v in with_spanish if v.resolution] == [900_000 - 140_000 + 150_000]
    assert variants == [PICTURE, ENGLISH]
