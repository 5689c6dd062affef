"""`cnt run` (what `make run` ends with): the embedded platform starts, a generated sermon goes
through the whole pipeline, its playback URL plays in ffprobe, and Ctrl-C stops every process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import RUN_ID, free_port


def _children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == pid:
            child = int(status.parent.name)
            found += [child, *_children_of(child)]
    return found


def test_cnt_run_prints_a_playable_url_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATA_DIR", "PUBLIC_BASE_URL")
    }
    env.update(
        {
            "ENV": "development",  # the embedded defaults: SQLite and files under ./var
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "BROKER_NAMESPACE": f"cnt-test-{RUN_ID}-run",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url, lines = None, []
    try:
        deadline = time.monotonic() + 240
        assert process.stdout is not None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line)
            if line.startswith("Playback URL: "):
                url = line.split(": ", 1)[1].strip()
        assert url, "".join(lines[-40:])
        probe = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_entries",
                "stream=codec_type:format=duration",
                "-of",
                "json",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        read_back = json.loads(probe.stdout)
        assert any(s["codec_type"] == "audio" for s in read_back["streams"])
        assert float(read_back["format"]["duration"]) > 15
        assert (tmp_path / "var" / "cnt.db").is_file()  # the embedded database, not PostgreSQL
        children = _children_of(process.pid)
        assert children
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    time.sleep(1)
    alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
    ]
    assert alive == []
