"""Browser tests of the pages: the real app under uvicorn on a loopback port, a real Dramatiq
worker in this process, the fake OpenAI transcription server, and Debian's Chromium driven
headless by Playwright (never a downloaded browser). One site per module: processing a sermon
costs seconds, so the tests of a module share what they can and open a fresh browser context
each. axe-core (from node_modules) checks every page a test visits."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TABLES, start_api
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
OPENAI_KEY = "sk-test-web-0123456789abcdef"
PASSWORD = "a-good-long-password"
# Said by espeak-ng, a pause after each: the fake transcriber spreads these words over the audio.
SENTENCES = [
    "Welcome to our Sunday service.",
    "Blessed are the poor in spirit, for theirs is the kingdom of heaven.",
    "Blessed are those who mourn, for they will be comforted.",
    "Love your neighbour as yourself.",
]


def speech(dest: Path, sentences: list[str] = SENTENCES) -> Path:
    """About twelve seconds of real speech, as a WAV file."""
    subprocess.run(
        ["espeak-ng", "-v", "en", "-s", "140", "-g", "12", "-w", str(dest), " ".join(sentences)],
        check=True,
    )
    return dest


@dataclass
class Site:
    base: str
    openai: FakeOpenAI
    media: Path
    users: dict[str, dict[str, str]] = field(default_factory=dict)

    def user(self, role: str) -> dict[str, str]:
        """An account of `role` (made once), with an API access token."""
        if role not in self.users:
            from cli.users import _save_user

            email = f"{role}-{secrets.token_hex(3)}@church.test"
            _save_user(email, PASSWORD, role)
            tokens = httpx.post(
                f"{self.base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            ).json()
            self.users[role] = {"email": email, "password": PASSWORD, **tokens}
        return self.users[role]

    def api(self, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.user(role)['access_token']}"}
        return httpx.request(
            method, f"{self.base}/api/v1{path}", headers=headers, timeout=60, **kwargs
        )

    def upload(self, source: Path, title: str, **fields: Any) -> str:
        """A sermon through the API, as a creator: created, its source streamed up."""
        content = self.api("creator", "POST", "/content", json={"title": title, **fields})
        assert content.status_code == 201, content.text
        content_id = str(content.json()["id"])
        sent = self.api(
            "creator", "PUT", f"/content/{content_id}/source", content=source.read_bytes()
        )
        assert sent.status_code == 202, sent.text
        return content_id

    def wait_for(
        self, content_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 120
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.api("creator", "GET", f"/content/{content_id}").json()
            if check(body):
                return body
            time.sleep(0.3)
        raise AssertionError(f"content {content_id} never got there: {body}")


def _truncate() -> None:
    from workers.db import engine

    with engine().begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLES} CASCADE")


def _environment(values: dict[str, str]) -> Callable[[], None]:
    from settings import get_settings

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()

    return restore


@pytest.fixture(scope="module")
def site(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Empty tables, transcription by the fake OpenAI, the app under uvicorn, a worker."""
    import dramatiq

    _truncate()
    with FakeOpenAI(OPENAI_KEY, script=" ".join(SENTENCES)) as openai:
        assert isinstance(openai, FakeOpenAI)
        restore = _environment(
            {
                "TRANSCRIPTION_PROVIDER": "openai",
                "OPENAI_API_KEY": OPENAI_KEY,
                "OPENAI_BASE_URL": f"{openai.url}/v1",
            }
        )
        import workers.actors  # noqa: F401  (declares the actors on the broker)

        broker = dramatiq.get_broker()
        for queue in broker.get_declared_queues():
            broker.flush(queue)
        worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=100)
        worker.start()
        process, base = start_api(dict(os.environ))
        try:
            yield Site(base=base, openai=openai, media=tmp_path_factory.mktemp("web-media"))
        finally:
            process.terminate()
            process.wait(timeout=10)
            worker.stop(timeout=10_000)
            for queue in broker.get_declared_queues():
                broker.flush(queue)
            restore()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.exit("chromium is not installed; `make test` installs it (apt-get)", returncode=3)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.js_errors = errors
    yield opened
    context.close()
    assert not errors, errors


@pytest.fixture()
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """More pages, each in its own browser context (another person, or another device), closed
    whatever happens (an open event stream would hold the server's shutdown), none of them with
    a script error."""
    contexts: list[Any] = []

    def make() -> Any:
        contexts.append(browser.new_context())
        opened = contexts[-1].new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.js_errors = errors
        return opened

    yield make
    for context in contexts:
        assert not context.pages or not context.pages[0].js_errors, context.pages[0].js_errors
        context.close()


def axe(page: Any) -> None:
    """No serious or critical accessibility violation on the page as it is now (axe-core runs
    through the DevTools protocol, which the pages' Content-Security-Policy does not cover)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}})"""
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {bad}"


def sign_in(page: Any, base: str, user: dict[str, str], then: str = "/") -> None:
    page.goto(f"{base}/login?next={then}")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{then}")
