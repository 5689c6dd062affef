"""`cnt run`: start the Procfile's processes under a supervisor and send a sample sermon through
the whole pipeline."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import click
import httpx

from cli import settings_or_exit
from cli.supervisor import Supervisor, read_procfile
from cli.users import _save_user

DEMO_EMAIL = "demo-admin@cnt.local"
PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
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


def send_sample(base_url: str, sample: Path, password: str, timeout: float = 300) -> str:
    """Log in as the demo admin, upload the sample, wait for `ready`; returns the HLS URL."""
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=60) as http:
        tokens = (
            http.post("/auth/login", json={"email": DEMO_EMAIL, "password": password})
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


def wait_ready(base_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise click.ClickException(f"{base_url}/readyz did not answer in {timeout:.0f} s")


def demo_admin() -> str:
    """The demo admin the sample is sent as, with a password made for this run (a fixed one
    would be a known admin password on every machine that ever ran `make run`); printed."""
    password = secrets.token_urlsafe(12)
    _save_user(DEMO_EMAIL, password, "admin")
    click.echo(f"Demo admin: {DEMO_EMAIL}  password: {password}  (new on every `cnt run`;")
    click.echo("  make your own with `cnt users create-admin you@example.org`)")
    return password


@click.command()
@click.option("--processes", default="web,worker-transcode,worker-io,clock", show_default=True)
@click.option(
    "--sample/--no-sample",
    default=True,
    show_default=True,
    help="Send a generated sample sermon through once the platform answers.",
)
def run(processes: str, sample: bool) -> None:
    """Run the platform (the Procfile), restarting any process that exits, and send a sample
    sermon through it; Ctrl-C stops all."""
    settings = settings_or_exit()
    base_url = settings.public_base_url.rstrip("/")
    by_name = {line.name: line for line in read_procfile(PROCFILE)}
    wanted = [name.strip() for name in processes.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise click.BadParameter(
            f"not in the Procfile: {', '.join(unknown)}", param_hint="--processes"
        )
    # The Procfile names uvicorn and dramatiq: find them in this interpreter's environment.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # Every process gets its own PORT; the web process must listen where the URLs point.
    env["WEB_PORT"] = str(urlsplit(base_url).port or 8000)
    supervisor = Supervisor([by_name[name] for name in wanted], env)
    # A SIGTERM (a supervisor, `timeout`) stops everything as Ctrl-C does, leaving no orphans.
    signal.signal(signal.SIGTERM, _interrupt)
    supervisor.start()
    watcher = threading.Thread(target=supervisor.watch, name="supervisor", daemon=True)
    watcher.start()
    try:
        if sample:
            password = demo_admin()
            wait_ready(base_url)
            with tempfile.TemporaryDirectory() as folder:
                hls = send_sample(base_url, make_sample_sermon(Path(folder)), password)
            click.echo("")
            click.echo(f"Playback URL: {hls}")
            click.echo(f"Try: ffprobe {hls}")
        click.echo("The platform keeps running (a process that exits is started again);")
        click.echo("press Ctrl-C to stop every process.")
        while watcher.is_alive():
            watcher.join(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--base-url", default=None, help="The API's base URL (default: PUBLIC_BASE_URL).")
def demo(base_url: str | None) -> None:
    """Send a generated sample sermon through a running platform and print its playback URL."""
    settings = settings_or_exit()
    password = demo_admin()
    with tempfile.TemporaryDirectory() as folder:
        hls = send_sample(
            (base_url or settings.public_base_url).rstrip("/"),
            make_sample_sermon(Path(folder)),
            password,
        )
    click.echo(f"Playback URL: {hls}")
