"""`cnt storage setup`: configure the S3 bucket for direct browser uploads."""

from __future__ import annotations

import click

from cli import settings_or_exit


@click.group()
def storage() -> None:
    """Object storage."""


@storage.command()
@click.option("--origin", "origins", multiple=True, help="A web app origin allowed to upload.")
@click.option("--abort-after-days", default=2, show_default=True)
def setup(origins: tuple[str, ...], abort_after_days: int) -> None:
    """CORS for browser uploads and a lifecycle rule for unfinished uploads (S3 only)."""
    from pipelines.storage import storage_from_settings
    from pipelines.storage.bucket import configure_bucket
    from pipelines.storage.s3 import S3Storage

    settings = settings_or_exit()
    target = storage_from_settings(settings)
    if not isinstance(target, S3Storage):
        raise click.ClickException("STORAGE_BACKEND is local: there is no bucket to configure")
    allowed = list(origins) or [settings.public_base_url]
    configure_bucket(target, allowed, abort_after_days)
    click.echo(
        f"bucket {settings.s3_bucket}: CORS for {', '.join(allowed)}; "
        f"unfinished uploads aborted after {abort_after_days} days"
    )
