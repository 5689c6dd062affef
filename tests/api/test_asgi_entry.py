"""The app built for serving leaves its start-up objects out of the garbage collector's scans."""

from __future__ import annotations

import subprocess
import sys

from tests.jobs.conftest import ROOT


def test_the_served_app_freezes_its_start_up_objects() -> None:
    probe = "import gc, api.asgi; print(gc.get_freeze_count(), len(gc.get_objects(2)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    frozen, oldest = (int(n) for n in done.stdout.split())
    # Imports and the built app are well over 100,000 objects, all frozen, none left to scan.
    assert frozen > 100_000, frozen
    assert oldest < frozen // 100, (oldest, frozen)
