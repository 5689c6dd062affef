"""`cnt backup` then `cnt restore` bring back a lost platform: its accounts, its sermons and
their media, on SQLite and on PostgreSQL; restore will not overwrite a database in use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import select

from models import Content, User, make_sync_engine, sync_session_factory
from pipelines.storage.objects import LocalStorage
from settings import load_settings
from tests.conftest import PG_ADMIN_URL

CNT = [sys.executable, "-c", "from cli import main; main()"]
EMAIL = "pastor@church.example"
MEDIA = b"ID3 not really an mp3, but bytes that must come back" * 100


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STORAGE_DIR")}
    env.update(
        {
            "ENV": "development",
            "DATA_DIR": str(data_dir),
            "CNT_USER_PASSWORD": "a long password",
        }
    )
    # Generated under DATA_DIR, as a volunteer's embedded set-up has them.
    env.pop("JWT_SECRET", None)
    env.pop("CDN_SIGNING_SECRET", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _cnt(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CNT, *args], env=env, capture_output=True, text=True, timeout=120, cwd=env["DATA_DIR"]
    )
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _make_sermon(env: dict[str, str]) -> tuple[str, str]:
    """A creator, a sermon row and its source object in local storage; (content id, key)."""
    _cnt(env, "db", "upgrade")
    _cnt(env, "users", "create", EMAIL, "--role", "creator")
    settings = load_settings(
        env_file=None, data_dir=env["DATA_DIR"], database_url=env.get("DATABASE_URL", "")
    )
    engine = make_sync_engine(settings.sync_database_url)
    try:
        with sync_session_factory(engine)() as session:
            owner = session.scalars(select(User).where(User.email == EMAIL)).one()
            content = Content(owner_id=owner.id, title="The Prodigal Son", speaker="Ps. Ann")
            session.add(content)
            session.flush()
            key = f"sources/{content.id}/source.mp3"
            content.source_key = key
            session.commit()
            content_id = content.id
    finally:
        engine.dispose()
    LocalStorage(settings.storage_path).put_bytes(key, MEDIA)
    return content_id, key


def _read_back(env: dict[str, str], content_id: str, key: str) -> None:
    settings = load_settings(
        env_file=None, data_dir=env["DATA_DIR"], database_url=env.get("DATABASE_URL", "")
    )
    engine = make_sync_engine(settings.sync_database_url)
    try:
        with sync_session_factory(engine)() as session:
            user = session.scalars(select(User).where(User.email == EMAIL)).one()
            content = session.get(Content, content_id)
            assert content is not None and content.title == "The Prodigal Son"
            assert content.owner_id == user.id and user.role == "creator"
    finally:
        engine.dispose()
    assert LocalStorage(settings.storage_path).get_bytes(key) == MEDIA


def _secrets(data_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in data_dir.glob(".*secret")}


def _round_trip(tmp_path: Path, database_url: str | None, drop_database: object) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    env = _env(data_dir, database_url)
    content_id, key = _make_sermon(env)
    secrets_before = _secrets(data_dir)
    assert set(secrets_before) == {".jwt_secret", ".cdn_signing_secret"}

    saved = tmp_path / "backup"
    said = _cnt(env, "backup", str(saved))
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["media"] == {
        "backend": "local",
        "folder": "storage",
        "files": 1,
        "bucket": None,
        "note": "",
    }
    assert sorted(manifest["secrets"]) == ["cdn_signing_secret", "jwt_secret"]
    assert manifest["created_at"]
    # The password stays out of the manifest and out of what was printed.
    assert "s3cret" not in json.dumps(manifest) + said.stdout + said.stderr

    # Restore refuses to overwrite a database in use.
    refused = _cnt(env, "restore", str(saved), ok=False)
    assert refused.returncode == 1 and "--force" in refused.stderr, refused.stderr

    # The machine is lost: the data folder and the database with it.
    shutil.rmtree(data_dir)
    data_dir.mkdir()
    if callable(drop_database):
        drop_database()
    assert not any(data_dir.iterdir())

    _cnt(env, "restore", str(saved))
    _read_back(env, content_id, key)
    assert _secrets(data_dir) == secrets_before

    # --force replaces a database in use with the backup's, whole.
    _cnt(env, "restore", str(saved), "--force")
    _read_back(env, content_id, key)


def test_backup_and_restore_on_sqlite(tmp_path: Path) -> None:
    _round_trip(tmp_path, None, None)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_backup_and_restore_on_postgresql(tmp_path: Path) -> None:
    name = f"cnt_backup_{uuid4().hex[:8]}"
    server = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "")
    # A password in the URL must reach pg_dump without showing anywhere (trust auth ignores it).
    user, host = server.split("@", 1)
    url = f"postgresql+asyncpg://{user.split(':')[0]}:s3cret@{host}/{name}"

    def admin(sql: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql)

    def recreate() -> None:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')

    admin(f'CREATE DATABASE "{name}"')
    try:
        _round_trip(tmp_path, url, recreate)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_on_s3_prints_the_versioning_command_and_copies_no_media(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    env = _env(data_dir, None)
    _cnt(env, "db", "upgrade")
    env.update(
        {"STORAGE_BACKEND": "s3", "S3_BUCKET": "church-media", "S3_ENDPOINT_URL": "http://s3.lan"}
    )
    saved = tmp_path / "backup"
    said = _cnt(env, "backup", str(saved)).stdout
    assert (
        "aws s3api put-bucket-versioning --bucket church-media "
        "--versioning-configuration Status=Enabled --endpoint-url http://s3.lan"
    ) in said
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["media"]["backend"] == "s3" and manifest["media"]["bucket"] == "church-media"
    assert not (saved / "storage").exists()
