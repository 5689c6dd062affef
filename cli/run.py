"""`cnt run`: start the Procfile's processes and send a sample sermon through the whole pipeline."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx

from cli import settings_or_exit
from cli.users import _save_user

DEMO_EMAIL = "demo-admin@cnt.local"
DEMO_PASSWORD = "demo-password-cnt"
SERMON_TEXT = (
    "Welcome to this morning's message. The Lord is my shepherd; I shall not want. "
    "He makes me lie down in green pastures. He leads me beside still waters."
)


def make_sample_sermon(folder: Path) -> Path:
    """A short spoken sermon over a soft tone; espeak-ng speaks when it is installed."""
    out = folder / "sample-sermon.m4a"
    speech = folder / "speech.wav"
    inputs = ["-f", "lavfi", "-i", "sine=frequency=220:duration=20:sample_rate=48000"]
    if shutil.which("espeak-ng"):
        subprocess.run(
            ["espeak-ng", "-w", str(speech), SERMON_TEXT], check=True, capture_output=True
        )
        inputs += ["-f", "wav", "-i", str(speech)]
        mix = [
            "-filter_complex",
            "[0:a]volume=0.05[t];[t][1:a]amix=inputs=2:duration=first[a]",
            "-map",
            "[a]",
        ]
    else:
        mix = []
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            *inputs,
            *mix,
            "-ac",
            "2",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(out),
        ],
        check=True,
    )
    return out


def send_sample(base_url: str, sample: Path, timeout: float = 300) -> str:
    """Log in as the demo admin, upload the sample, wait for `ready`; returns the HLS URL."""
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=60) as http:
        tokens = (
            http.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            .raise_for_status()
            .json()
        )
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        content = (
            http.post(
                "/content",
                json={"title": "Sample sermon: The Good Shepherd", "speaker": "CNT Demo"},
            )
            .raise_for_status()
            .json()
        )
        with open(sample, "rb") as body:
            http.put(
                f"/content/{content['id']}/source",
                content=body,
                headers={"X-Filename": sample.name},
            ).raise_for_status()
        click.echo(f"uploaded {sample.name} as content {content['id']}; processing...")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = http.get(f"/content/{content['id']}").raise_for_status().json()
            if state["status"] == "ready":
                return str(
                    http.get(f"/content/{content['id']}/playback").raise_for_status().json()["hls"]
                )
            if state["status"] == "failed":
                raise click.ClickException(f"the sample failed: {state['error']}")
            time.sleep(1)
    raise click.ClickException("the sample was not ready in time; see the worker logs above")


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException("the platform's processes exited; see their logs above")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise click.ClickException(f"{base_url}/readyz did not answer in {timeout:.0f} s")


@click.command()
@click.option("--processes", default="web,worker-transcode,worker-io,clock", show_default=True)
def run(processes: str) -> None:
    """Run the platform (the Procfile) and send a sample sermon through it; Ctrl-C stops all."""
    settings = settings_or_exit()
    base_url = settings.public_base_url.rstrip("/")
    _save_user(DEMO_EMAIL, DEMO_PASSWORD, "admin")
    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    honcho = [sys.executable, "-m", "honcho", "-f", str(procfile), "start", *processes.split(",")]
    # The Procfile names uvicorn and dramatiq: find them in this interpreter's environment.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # honcho hands every process its own PORT; the web process must listen where the URLs point.
    env["WEB_PORT"] = str(urlsplit(base_url).port or 8000)
    process = subprocess.Popen(honcho, start_new_session=True, env=env)
    # A SIGTERM (a supervisor, `timeout`) stops everything as Ctrl-C does, leaving no orphans.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        wait_ready(base_url, process)
        with tempfile.TemporaryDirectory() as folder:
            hls = send_sample(base_url, make_sample_sermon(Path(folder)))
        click.echo("")
        click.echo(f"Playback URL: {hls}")
        click.echo(f"Try: ffprobe {hls}")
        click.echo("The platform keeps running; press Ctrl-C to stop every process.")
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(process)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@click.command()
@click.option("--base-url", default=None, help="The API's base URL (default: PUBLIC_BASE_URL).")
def demo(base_url: str | None) -> None:
    """Send a generated sample sermon through a running platform and print its playback URL."""
    settings = settings_or_exit()
    _save_user(DEMO_EMAIL, DEMO_PASSWORD, "admin")
    with tempfile.TemporaryDirectory() as folder:
        hls = send_sample(
            (base_url or settings.public_base_url).rstrip("/"), make_sample_sermon(Path(folder))
        )
    click.echo(f"Playback URL: {hls}")
