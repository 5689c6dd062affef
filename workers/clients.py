"""The storage and S3 clients a worker process shares between its threads."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from pipelines.storage import Storage, s3_client, storage_from_settings
from settings import Settings

__all__ = ["shared_s3", "shared_storage"]

_clients_lock = threading.Lock()


# Built once per process: a boto3 client takes tens of milliseconds to make (and is safe to share
# between threads, but not to make on several at once).
@lru_cache(maxsize=2)
def shared_storage(settings: Settings) -> Storage:
    with _clients_lock:
        return storage_from_settings(settings)


@lru_cache(maxsize=2)
def shared_s3(settings: Settings) -> Any:
    with _clients_lock:
        return s3_client(settings)
