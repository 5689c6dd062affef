"""Sound right: a voice on one side reaches both ears, and no source pushes a true peak over the
ceiling, read back from the encoded rungs and the MP3 with ffmpeg's own meters."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pipelines.media.audio import encode_audio_step
from pipelines.media.probe import probe_step

from .conftest import make

CEILING_DBTP = -1.5  # the default settings' loudness_true_peak_db


def meter(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ebur128 reads the decoded file back."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-protocol_whitelist", "file", "-i", str(path),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = out.stderr.rsplit("Summary:", 1)[1]
    loudness = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s*(-?[\d.]+|-inf)", summary).group(1))  # type: ignore[union-attr]
    return loudness, peak


def channel_rms(path: Path) -> list[float]:
    """Each decoded channel's RMS level in dBFS (astats)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-protocol_whitelist", "file", "-i", str(path),
         "-af", "astats=measure_overall=none:measure_perchannel=RMS_level", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [float(v) for v in re.findall(r"RMS level dB: (-?[\d.]+|-inf)", out.stderr)]


@pytest.fixture(scope="session")
def one_sided_wav(media: Path) -> Path:
    """A soundboard feed into the left input of a stereo recorder: the right side is hiss."""
    return make(
        media / "one-sided.wav", "-f", "lavfi", "-i", "sine=f=300:d=4",
        "-f", "lavfi", "-i", "anoisesrc=d=4:c=white:a=0.0003:seed=3",
        "-filter_complex", "[0][1]join=inputs=2:channel_layout=stereo",
    )  # fmt: skip


@pytest.fixture(scope="session")
def quiet_with_transients_wav(media: Path) -> Path:
    """A far-off microphone (about -45 LUFS) with a loud click each second: the gain to -16
    LUFS would put the clicks 7 dB over full scale."""
    return make(
        media / "quiet-clicks.wav", "-f", "lavfi", "-i", "anoisesrc=d=5:c=pink:a=0.5:seed=1",
        "-f", "lavfi",
        "-i", "aevalsrc='if(lt(mod(t\\,1)\\,0.002)\\,0.5*sin(2*PI*3000*t)\\,0)':d=5",
        "-filter_complex", "[0]lowpass=3000,volume=-24dB[n];[n][1]amix=inputs=2:normalize=0",
        "-ac", "2",
    )  # fmt: skip


@pytest.fixture(scope="session")
def clipped_wav(media: Path) -> Path:
    """A recording driven far into clipping: a square wave at full scale, louder than 0 LUFS."""
    return make(
        media / "clipped.wav", "-f", "lavfi", "-i", "sine=f=200:d=4", "-af", "volume=24dB",
        "-c:a", "pcm_s16le", "-ac", "2",
    )  # fmt: skip


@pytest.fixture(scope="session")
def intersample_wav(media: Path) -> Path:
    """A quiet hum (about -43 LUFS) with a 1 ms burst each second of a tone at a quarter of the
    sample rate, sampled 45 degrees off its crests: its true peak stands 2.5 dB over its highest
    sample. The gain to -16 LUFS keeps the samples under the ceiling and takes the true peak
    over it."""
    return make(
        media / "intersample.wav", "-f", "lavfi",
        "-i", "aevalsrc='0.0112*sin(2*PI*200*t)"
        "+if(lt(mod(t\\,1)\\,0.001)\\,0.05*sin(2*PI*12000*t+PI/4)\\,0)':s=48000:d=5",
        "-ac", "2", "-c:a", "pcm_s24le",
    )  # fmt: skip


def sample_peak(path: Path) -> float:
    """The highest decoded sample of any channel, dBFS (astats)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-protocol_whitelist", "file", "-i", str(path),
         "-af", "astats=measure_overall=none:measure_perchannel=Peak_level", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return max(float(v) for v in re.findall(r"Peak level dB: (-?[\d.]+)", out.stderr))


def encode(make_ctx, source: Path):
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    return encode_audio_step(ctx)


def test_a_voice_on_one_side_is_heard_in_both_ears(make_ctx, one_sided_wav, out_root):
    left, right = channel_rms(one_sided_wav)
    assert right < left - 40  # the source as recorded: the right side carries only hiss
    result = encode(make_ctx, one_sided_wav)
    assert result.data["loudness"]["repair"]
    for output in (out_root / "hls/audio_128k/index.m3u8", out_root / "download/audio.mp3"):
        out_left, out_right = channel_rms(output)
        assert abs(out_left - out_right) < 0.5, output
        loudness, _ = meter(output)
        assert abs(loudness + 16) <= 1, output  # judged on what both ears hear


def test_real_stereo_is_left_as_it_is(make_ctx, tone_mp3_with_cover):
    # A tone in both channels: no channel is dead, so nothing is repaired.
    result = encode(make_ctx, tone_mp3_with_cover)
    assert result.data["loudness"]["repair"] == ""


@pytest.mark.parametrize("source", ["quiet_with_transients_wav", "clipped_wav"])
def test_true_peak_stays_under_the_ceiling(make_ctx, out_root, request, source):
    path = request.getfixturevalue(source)
    _, source_peak = meter(path)
    assert source_peak > -10  # loud peaks in: the constant gain alone would cross the ceiling
    encode(make_ctx, path)
    for output in (
        out_root / "hls/audio_128k/index.m3u8",
        out_root / "hls/audio_64k/index.m3u8",
        out_root / "download/audio.mp3",
    ):
        loudness, peak = meter(output)
        assert peak <= CEILING_DBTP, (output, peak)
        assert loudness <= -15, output


def test_peaks_between_samples_stay_under_the_ceiling(make_ctx, out_root, intersample_wav):
    # The first pass reads sample peaks only: the margin it adds must catch a true peak that
    # stands over them, which a gain judged on the samples alone would carry over the ceiling.
    loudness, true_peak = meter(intersample_wav)
    gain = -16 - loudness
    assert sample_peak(intersample_wav) + gain <= CEILING_DBTP - 1 < true_peak + gain
    encode(make_ctx, intersample_wav)
    for output in (out_root / "hls/audio_128k/index.m3u8", out_root / "download/audio.mp3"):
        loudness, peak = meter(output)
        assert peak <= CEILING_DBTP, (output, peak)
        assert abs(loudness + 16) <= 1.5, output
