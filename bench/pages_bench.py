"""Benchmark the pages as a listener's browser meets them: Lighthouse's performance and
accessibility scores for /, /library and /library/{id} (mobile, simulated throttling), the bytes
over the wire of the player page before any media, and the time from navigation to the media
element's `playing` event, all on loopback in Debian's headless Chromium.

A throwaway PostgreSQL database and Redis namespace, the app under uvicorn and one Dramatiq
worker (subprocesses), and one real sermon: about twelve seconds of espeak-ng speech, uploaded,
processed and published through the API.

Run: `make bench` (all benchmarks), `python -m bench pages`, or `python bench/pages_bench.py`.
Needs Chromium (/usr/bin/chromium) and `make web` (lighthouse 12 from npm, node >= 18.20).
Goals (issue 19): performance and accessibility >= 95 each; <= 250 KB compressed before media;
<= 1 s to `playing`. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog_bench import _free_port, _serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
PASSWORD = "a-good-long-password"
RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "5"))
SPEECH = (
    "Welcome to our Sunday service. Blessed are the poor in spirit, for theirs is the kingdom "
    "of heaven. Blessed are those who mourn, for they will be comforted."
)


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    dramatiq = str(Path(sys.executable).with_name("dramatiq"))
    return subprocess.Popen(
        [dramatiq, "workers.actors", "--processes", "1", "--threads", "4"],
        env={**env, "dramatiq_worker_timeout": "100"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _creator(sync_url: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api.auth.passwords import hash_password
    from models import User

    email = f"bench-{secrets.token_hex(3)}@church.test"
    engine = create_engine(sync_url)
    with Session(engine) as session:
        session.add(User(email=email, password_hash=hash_password(PASSWORD), role="creator"))
        session.commit()
    engine.dispose()
    return email


def _sermon(base: str, email: str, folder: Path) -> str:
    """One sermon through the API: created, uploaded, processed, published."""
    wav = folder / "sermon.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "140", "-w", str(wav), SPEECH], check=True)
    tokens = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    content = httpx.post(
        f"{base}/api/v1/content",
        headers=auth,
        json={"title": "Blessed Are the Poor", "speaker": "Pastor Ann Lee"},
    ).json()
    url = f"{base}/api/v1/content/{content['id']}"
    httpx.put(f"{url}/source", headers=auth, content=wav.read_bytes(), timeout=60)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = httpx.get(url, headers=auth).json()["status"]
        if status in ("ready", "failed"):
            break
        time.sleep(0.5)
    if status != "ready":
        raise RuntimeError(f"the bench sermon ended {status}")
    httpx.post(f"{url}/publish", headers=auth, json={}).raise_for_status()
    return str(content["id"])


def _lighthouse(url: str, folder: Path) -> dict[str, Any]:
    out = folder / "lh.json"
    subprocess.run(
        [
            str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
            "--only-categories=performance,accessibility",
            "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-dev-shm-usage",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
    )  # fmt: skip
    report = json.loads(out.read_text())
    audits = report["audits"]
    return {
        "performance": round(100 * (report["categories"]["performance"]["score"] or 0)),
        "accessibility": round(100 * (report["categories"]["accessibility"]["score"] or 0)),
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
    }


def _browser_figures(player_url: str) -> tuple[dict[str, int], list[float]]:
    """Bytes before media (one cold load) and navigation-to-playing times (cold, RUNS times)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        context = browser.new_context()
        page = context.new_page()
        sizes: dict[str, int] = {}

        page.goto(player_url, wait_until="networkidle")
        # What crossed the wire (compressed bodies and headers), by the browser's own account.
        entries = page.evaluate(
            """() => [...performance.getEntriesByType("navigation"),
                      ...performance.getEntriesByType("resource")]
                     .map(e => [e.name, e.transferSize])"""
        )
        for url, size in entries:
            kind = "media" if "/cdn/" in url else "page"
            sizes[kind] = sizes.get(kind, 0) + int(size)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"    {size:>8} {url}")
        context.close()

        started: list[float] = []
        for _ in range(RUNS):
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(
                "document.addEventListener('playing', () => { window.__playing = "
                "performance.now(); }, true);"
            )
            page.goto(player_url, wait_until="commit")
            page.wait_for_selector("#media", state="attached")
            # As a press of play: the first one swaps the placeholder MP3 for the stream.
            page.evaluate("() => { document.querySelector('#media').play().catch(() => {}); }")
            page.wait_for_function("() => window.__playing !== undefined", timeout=30_000)
            started.append(page.evaluate("() => window.__playing"))
            context.close()
        browser.close()
    return sizes, started


def main() -> None:
    import psycopg

    from models.migrate import upgrade

    if not LIGHTHOUSE.exists() or not Path(CHROMIUM).exists():
        print("pages bench skipped: run `make web` (lighthouse) and install chromium")
        return
    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    database = f"cnt_bench_{secrets.token_hex(4)}"
    base_url = admin_url.rsplit("/", 1)[0]
    sync_url = f"{base_url.replace('postgresql://', 'postgresql+psycopg://')}/{database}"
    namespace = f"cnt-bench-{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix=namespace))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(sync_url)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ENV": "development",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": str(folder / "var"),
            "DATABASE_URL": f"{base_url.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
            "BROKER_NAMESPACE": namespace,
            "PUBLIC_BASE_URL": base,
            "JWT_SECRET": secrets.token_urlsafe(48),
            "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
            "TRANSCRIPTION_PROVIDER": "none",
        }
        processes.append(_serve(env, port))
        processes.append(_worker(env))
        started = time.monotonic()
        sermon = _sermon(base, _creator(sync_url), folder)
        print(f"one sermon processed and published in {time.monotonic() - started:.1f} s")
        print("lighthouse 12 (mobile, simulated throttling), score / LCP / total blocking time:")
        for path in ("/", "/library", f"/library/{sermon}"):
            figures = _lighthouse(f"{base}{path}", folder)
            print(
                f"  {path if len(path) < 20 else '/library/{id}':<14} performance "
                f"{figures['performance']:>3}  accessibility {figures['accessibility']:>3}  "
                f"LCP {figures['lcp_ms']:6.0f} ms  TBT {figures['tbt_ms']:4.0f} ms"
            )
        sizes, playing = _browser_figures(f"{base}/library/{sermon}")
        print(
            f"player page over the wire before media: {sizes.get('page', 0) / 1024:.1f} KB "
            f"compressed (media and peaks from /cdn: {sizes.get('media', 0) / 1024:.1f} KB)"
        )
        print(
            f"navigation to `playing`, {len(playing)} cold loads: median "
            f"{statistics.median(playing):.0f} ms, max {max(playing):.0f} ms"
        )
        print("goals: performance and accessibility >= 95; <= 250 KB before media; <= 1000 ms")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
