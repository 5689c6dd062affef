"""The bucket settings direct uploads rely on: CORS for browsers, and a lifecycle rule that frees
parts of multipart uploads nobody finished (a second net under the clock's sweep)."""

from __future__ import annotations

from pipelines.storage.s3 import S3Storage, classified_s3_errors

__all__ = ["configure_bucket"]


def configure_bucket(storage: S3Storage, origins: list[str], abort_after_days: int = 2) -> None:
    """Idempotent: running it again writes the same configuration."""
    with classified_s3_errors(storage.bucket):
        storage.client.put_bucket_cors(
            Bucket=storage.bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": origins,
                        "AllowedMethods": ["PUT", "GET", "HEAD"],
                        "AllowedHeaders": ["*"],
                        # A browser can only read the ETag of a part it sent if S3 exposes it,
                        # and complete needs every part's ETag.
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3600,
                    }
                ]
            },
        )
        storage.client.put_bucket_lifecycle_configuration(
            Bucket=storage.bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "abort-unfinished-source-uploads",
                        "Filter": {"Prefix": "sources/"},
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": abort_after_days},
                    }
                ]
            },
        )
