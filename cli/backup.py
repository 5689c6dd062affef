"""`cnt backup DIR` and `cnt restore DIR`: the database, the generated secrets and the media.

PostgreSQL goes through pg_dump/pg_restore (custom format); SQLite through its online backup
API, so a running platform can be backed up. The password reaches pg_dump as PGPASSWORD in its
environment: on a command line every user of the machine could read it in `ps`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from cli import settings_or_exit
from models import make_sync_engine
from settings import Settings

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
SECRETS_DIR = "secrets"
STORAGE_DIR = "storage"
# The secrets settings/__init__.py generates under DATA_DIR when they are not set.
GENERATED_SECRETS = ("jwt_secret", "cdn_signing_secret")


class DatabasePart(msgspec.Struct, kw_only=True):
    engine: str  # "postgresql" or "sqlite"
    file: str
    source: str  # where it came from, never with its password


class MediaPart(msgspec.Struct, kw_only=True):
    backend: str  # "local" or "s3"
    folder: str | None = None  # local: the copy's folder in the backup
    files: int = 0
    bucket: str | None = None  # s3: not copied; the bucket's versioning is its backup
    note: str = ""


class Manifest(msgspec.Struct, kw_only=True):
    version: int
    created_at: str
    database: DatabasePart
    secrets: list[str]
    media: MediaPart


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; click prints it in one line and exits 1."""


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1].split("?", 1)[0])


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's own variables: the password never appears on a command line or in a log."""
    env = dict(os.environ)
    pairs = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),  # type: ignore[dict-item]
    }
    env.update({name: str(value) for name, value in pairs.items() if value})
    return env


def _run_pg(program: str, args: list[str], url: URL) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(
        [program, *args], env=_pg_environment(url), capture_output=True, text=True
    )
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise BackupError(f"{program}: {reason}")


def _database_rows(url: str) -> int:
    """Rows in the platform's tables: a migrated but unused database has none."""
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
            counts = (select(func.count()).select_from(table(n)) for n in names)
            return sum(conn.execute(count).scalar_one() for count in counts)
    finally:
        engine.dispose()


def _backup_database(settings: Settings, folder: Path) -> DatabasePart:
    url = settings.sync_database_url
    if _is_sqlite(url):
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"no database at {source}: is DATA_DIR right?")
        with sqlite3.connect(source) as src, sqlite3.connect(folder / SQLITE_FILE) as dest:
            src.backup(dest)
        return DatabasePart(engine="sqlite", file=SQLITE_FILE, source=str(source))
    pg = make_url(url)
    _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={folder / PG_FILE}"], pg)
    return DatabasePart(
        engine="postgresql", file=PG_FILE, source=pg.render_as_string(hide_password=True)
    )


def _restore_database(settings: Settings, folder: Path, part: DatabasePart) -> None:
    url = settings.sync_database_url
    if part.engine != ("sqlite" if _is_sqlite(url) else "postgresql"):
        raise BackupError(
            f"the backup holds a {part.engine} database; DATABASE_URL points elsewhere"
        )
    if _is_sqlite(url):
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(folder / part.file) as src, sqlite3.connect(target) as dest:
            src.backup(dest)  # replaces every page of the target
        return
    # --clean drops what `cnt db upgrade` may have made first; one transaction: all or nothing.
    args = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    pg = make_url(url)
    _run_pg("pg_restore", [*args, f"--dbname={pg.database}", str(folder / part.file)], pg)


def _secret_files(settings: Settings) -> list[tuple[str, Path]]:
    return [(name, Path(settings.data_dir) / f".{name}") for name in GENERATED_SECRETS]


def _copy_private(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o600)


def _s3_commands(settings: Settings) -> list[str]:
    bucket = settings.s3_bucket
    # MinIO and other S3-compatible stores answer the same calls at their own address.
    endpoint = f" --endpoint-url {settings.s3_endpoint_url}" if settings.s3_endpoint_url else ""
    return [
        f"aws s3api put-bucket-versioning --bucket {bucket} "
        f"--versioning-configuration Status=Enabled{endpoint}",
        f"aws s3api get-bucket-versioning --bucket {bucket}{endpoint}",
    ]


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup(folder: Path) -> None:
    """Save the database, the generated secrets and the local media into FOLDER."""
    settings = settings_or_exit()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # it holds the secrets and every account's password hash
    database = _backup_database(settings, folder)
    saved = []
    for name, path in _secret_files(settings):
        if path.is_file():
            _copy_private(path, folder / SECRETS_DIR / name)
            saved.append(name)
    if settings.is_s3:
        media = MediaPart(
            backend="s3",
            bucket=settings.s3_bucket,
            note="not copied: the bucket's versioning (and replication) is the media's backup",
        )
    else:
        shutil.copytree(settings.storage_path, folder / STORAGE_DIR, dirs_exist_ok=True)
        files = sum(1 for p in (folder / STORAGE_DIR).rglob("*") if p.is_file())
        media = MediaPart(backend="local", folder=STORAGE_DIR, files=files)
    manifest = Manifest(
        version=1,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=database,
        secrets=saved,
        media=media,
    )
    (folder / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
    click.echo(f"database ({database.engine}) saved to {folder / database.file}")
    click.echo(f"secrets saved: {', '.join(saved) or 'none (they are set in the environment)'}")
    if media.backend == "local":
        click.echo(f"media: {media.files} files copied to {folder / STORAGE_DIR}")
    else:
        click.echo(f"media: bucket {settings.s3_bucket} is not copied; {media.note}. Turn it on:")
        for command in _s3_commands(settings):
            click.echo(f"  {command}")


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore(folder: Path, force: bool) -> None:
    """Put back what `cnt backup` saved in FOLDER."""
    settings = settings_or_exit()
    try:
        manifest = msgspec.json.decode((folder / MANIFEST).read_bytes(), type=Manifest)
    except (OSError, msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BackupError(f"{folder / MANIFEST} is missing or unreadable: {exc}") from None
    url = settings.sync_database_url
    exists = not _is_sqlite(url) or _sqlite_path(url).is_file()
    if exists and not force:
        rows = _database_rows(url)
        if rows:
            raise BackupError(f"the database already holds {rows} rows: add --force to replace it")
    _restore_database(settings, folder, manifest.database)
    click.echo(f"database restored from {folder / manifest.database.file}")
    # Always put back: without the old secrets, signed links and sessions of the backup break.
    for name, path in _secret_files(settings):
        if name in manifest.secrets:
            _copy_private(folder / SECRETS_DIR / name, path)
    click.echo(f"secrets restored: {', '.join(manifest.secrets) or 'none'}")
    if manifest.media.backend == "local" and manifest.media.folder:
        shutil.copytree(folder / manifest.media.folder, settings.storage_path, dirs_exist_ok=True)
        click.echo(f"media: {manifest.media.files} files restored to {settings.storage_path}")
    else:
        click.echo(f"media: bucket {manifest.media.bucket} was not copied ({manifest.media.note})")
    if settings.is_s3 != (manifest.media.backend == "s3"):
        click.echo("cnt: note: STORAGE_BACKEND differs from the backup's", err=True)
    sys.stdout.flush()
