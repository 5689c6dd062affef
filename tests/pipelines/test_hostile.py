"""Hostile uploads: refused with one line, and no other file is ever opened or copied."""

from __future__ import annotations

import errno
import os
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.media import media

from .conftest import make


class OpenWatch:
    """A FIFO standing in for a private file: any process opening it to read is seen.

    Opening a FIFO for writing without blocking fails with ENXIO while nobody has it open for
    reading, and succeeds the moment somebody does.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                assert exc.errno == errno.ENXIO
                continue
            self.opened = True
            os.close(fd)

    def __enter__(self) -> OpenWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def hls_playlist(target: Path) -> str:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\n{target}\n#EXT-X-ENDLIST\n"


def ffconcat_script(target: Path) -> str:
    return f"ffconcat version 1.0\nfile {target.name}\n"


def process(upload: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(media, ["process", str(upload), "--out", str(out)])
    return result.exit_code, result.stderr if hasattr(result, "stderr") else result.output


def media_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def private_clip(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return make(folder / "private.mp4", "-f", "lavfi", "-i", "sine=f=1234:d=3", "-c:a", "aac")


@pytest.mark.parametrize("kind", ["hls", "ffconcat"])
def test_the_trap_is_real_for_ffmpeg_left_to_guess(private_clip: Path, kind: str):
    """Without our input options, ffprobe follows the disguised file to the private clip."""
    upload = private_clip.parent / ("upload.mp4" if kind == "hls" else "upload.mp3")
    script = hls_playlist(private_clip) if kind == "hls" else ffconcat_script(private_clip)
    upload.write_text(script)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
         str(upload)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "aac" in out.stdout


@pytest.mark.parametrize("kind", ["hls", "ffconcat"])
def test_playlist_renamed_as_media_reads_no_other_file(
    private_clip: Path, tmp_path: Path, kind: str
):
    upload = private_clip.parent / ("upload.mp4" if kind == "hls" else "upload.mp3")
    watched = OpenWatch(private_clip.parent / "watched.mp4")
    script = hls_playlist(watched.path) if kind == "hls" else ffconcat_script(watched.path)
    upload.write_text(script)
    out = tmp_path / "out"
    with watched:
        code, stderr = process(upload, out)
    assert code == 2
    assert stderr.startswith("cnt: refused: ") and stderr.count("\n") == 1
    assert not watched.opened
    assert media_files(out) == []


def test_playlist_pointing_at_a_real_clip_leaks_nothing_into_outputs(private_clip, tmp_path):
    upload = private_clip.parent / "upload.mp4"
    upload.write_text(hls_playlist(private_clip))
    out = tmp_path / "out"
    code, _ = process(upload, out)
    assert code == 2
    assert media_files(out) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.mp4", b""),
        ("notes.mp3", b"Sermon notes: grace and peace.\n" * 40),
        ("noise.mov", bytes((i * 7919 + 13) % 251 for i in range(100_000))),
    ],
)
def test_junk_is_refused_with_one_line_and_exit_status_2(tmp_path, name, content):
    upload = tmp_path / name
    upload.write_bytes(content)
    out = tmp_path / "out"
    code, stderr = process(upload, out)
    assert code == 2
    assert stderr.startswith("cnt: refused: ") and stderr.count("\n") == 1
    assert media_files(out) == []


def test_truncated_mp4_is_refused_by_the_cli(vertical_mp4, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(vertical_mp4.read_bytes()[:5000])
    code, stderr = process(cut, tmp_path / "out")
    assert code == 2 and "cnt: refused:" in stderr


def test_probe_command_prints_json_and_refuses_junk(tone_mp3_with_cover, tmp_path):
    runner = CliRunner()
    good = runner.invoke(media, ["probe", str(tone_mp3_with_cover)])
    assert good.exit_code == 0 and '"media_type": "audio"' in good.output
    junk = tmp_path / "junk.mp4"
    junk.write_text("not media")
    bad = runner.invoke(media, ["probe", str(junk)])
    assert bad.exit_code == 2


def test_process_writes_the_generation_tree(vertical_mp4, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(media, ["process", str(vertical_mp4), "--out", str(out)])
    assert result.exit_code == 0, result.output
    keys = sorted(str(p.relative_to(out)) for p in media_files(out))
    assert "hls/master.m3u8" in keys and "thumbs/poster-360.webp" in keys
    assert "storyboard/storyboard.vtt" in keys and "hls/audio/index.m3u8" in keys
    assert not any(k.startswith(".work") for k in keys)


def test_open_watch_sees_ffmpeg_left_to_guess(private_clip: Path):
    """The watch is a real witness: unguarded, ffprobe follows the playlist and opens it."""
    upload = private_clip.parent / "upload.mp4"
    watched = OpenWatch(private_clip.parent / "watched.mp4")
    upload.write_text(hls_playlist(watched.path))
    with watched:
        subprocess.run(["ffprobe", "-v", "quiet", str(upload)], timeout=20, check=False)
    assert watched.opened
