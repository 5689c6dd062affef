"""`cnt` run where there is no database says where the data lives and what to run, in a line or
two, and leaves no empty `./var` behind (it printed a 60-line traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_cnt_outside_the_project_says_where_the_data_lives(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_DIR")}
    env["ENV"] = "development"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cnt")), "jobs", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip()
    assert "Traceback" not in said and len(said.splitlines()) <= 3, said
    assert str(tmp_path / "var" / "cnt.db") in said
    assert "DATA_DIR" in said and "cnt db upgrade" in said
    assert not (tmp_path / "var").exists()
