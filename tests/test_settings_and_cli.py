"""Settings fail at start with one line naming the bad one; the CLI lists its commands;
migrations run on SQLite as well as PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import SettingsError, load_settings

CNT = [sys.executable, "-c", "from cli import main; main()"]


def test_malformed_setting_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPLOAD_MAX_BYTES", "lots")
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None, data_dir=str(tmp_path))
    assert str(error.value).startswith("setting UPLOAD_MAX_BYTES is malformed")
    assert "\n" not in str(error.value)


def test_unknown_choice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(SettingsError, match="STORAGE_BACKEND"):
        load_settings(env_file=None, data_dir=str(tmp_path))


def test_production_needs_its_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(SettingsError, match="JWT_SECRET is required in production"):
        load_settings(env_file=None, data_dir=str(tmp_path))


def test_provider_without_its_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSCRIPTION_PROVIDER", "deepgram")
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    with pytest.raises(SettingsError, match="DEEPGRAM_API_KEY"):
        load_settings(env_file=None, data_dir=str(tmp_path))


def test_dotenv_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HLS_SEGMENT_S=4\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = load_settings(env_file=env_file, data_dir=str(tmp_path))
    assert settings.hls_segment_s == 4
    assert settings.log_level == "WARNING"


def test_secrets_never_show_in_the_settings_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", "dg-very-secret-key")
    settings = load_settings(env_file=None, data_dir=str(tmp_path))
    assert "dg-very-secret-key" not in repr(settings)
    assert settings.jwt_secret not in repr(settings)


def test_embedded_defaults_put_everything_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "DATA_DIR", "STORAGE_DIR", "CDN_BASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env_file=None)
    assert settings.async_database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'cnt.db'}"
    assert settings.storage_path == tmp_path / "var" / "storage"
    assert settings.cdn_url == "http://127.0.0.1:8000/cdn"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_cli_help_lists_the_commands() -> None:
    out = subprocess.run([*CNT, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("db", "users", "media", "jobs", "queues", "run", "clock"):
        assert f"  {command} " in out, out


def test_cli_stops_with_one_line_on_a_bad_setting() -> None:
    env = {**os.environ, "HLS_SEGMENT_S": "six"}
    done = subprocess.run([*CNT, "db", "upgrade"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "cnt: setting HLS_SEGMENT_S is malformed: Expected `int`, got `str`"
    ]


def test_migrations_run_up_and_down_on_sqlite(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from models import make_sync_engine
    from models.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'cnt.db'}"
    upgrade(url)
    engine = make_sync_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {
        "users",
        "content",
        "jobs",
        "assets",
        "transcripts",
        "live_sessions",
        "series",
    } <= tables
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
