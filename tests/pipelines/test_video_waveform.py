"""A video sermon gets the waveform an audio one gets (drawn from its sound); a video without
sound simply has none, and nothing fails."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.media import media


def _process(source: Path, out: Path) -> None:
    result = CliRunner().invoke(media, ["process", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_a_video_with_sound_gets_its_waveform(vertical_mp4: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _process(vertical_mp4, out)
    peaks = json.loads((out / "waveform" / "peaks.json").read_text())
    assert peaks["version"] == 2 and peaks["length"] > 0
    assert max(peaks["data"]) > 0  # the tone is drawn, not silence


def test_a_video_without_sound_is_processed_without_a_waveform(
    odd_size_no_audio_mp4: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _process(odd_size_no_audio_mp4, out)
    assert (out / "hls" / "master.m3u8").is_file()
    assert not (out / "waveform").exists()
