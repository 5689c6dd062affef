"""Progressive HLS: publish an encode's segments while it runs, so listening starts in seconds.

ffmpeg writes EVENT playlists (and, with `temp_file`, renames each segment and playlist into
place only when whole). A thread polls the variant folders, uploads each new segment under its
immutable name and then the playlist that lists it (short-lived cache), and publishes the
master as soon as every variant has a segment. `finish()` uploads the rest and turns each
playlist into VOD with ENDLIST. A playlist's target duration is stated as at least `target_s`
from its first upload, so it holds while short opening segments are all it lists.

A chunk of a chunked encode publishes less: the first chunk leaves its video playlists open
(`open_ended`: EVENT, no ENDLIST, so players wait at its end for the join to list the rest),
and later chunks publish their segments alone (`playlists=False`, no master): the join writes
the playlists that name them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from pipelines.context import Outputs
from pipelines.media.hls import (
    finalise_playlist,
    playlist_init,
    playlist_segments,
    steady_target_duration,
)

__all__ = ["ProgressivePublisher"]

# The master goes up at the first poll after every variant has a segment: half the interval is
# added to the first playable on average. A poll reads a few small playlists.
POLL_S = 0.2


class ProgressivePublisher:
    """Mirror `local_root/<variant>/` to `prefix/<variant>/` in storage as segments appear."""

    def __init__(
        self,
        outputs: Outputs,
        local_root: Path,
        variants: list[str],
        master: Callable[[], str] | None,
        *,
        prefix: str = "hls",
        started: float | None = None,
        open_ended: Collection[str] = (),
        playlists: bool = True,
        target_s: int = 0,
    ) -> None:
        self.outputs = outputs
        self.local_root = local_root
        self.variants = variants
        self.master = master
        self.prefix = prefix
        self.open_ended = set(open_ended)
        self.playlists = playlists
        self.target_s = target_s
        self.started = started if started is not None else time.monotonic()
        self.time_to_first_playable: float | None = None
        self._uploaded: dict[str, set[str]] = {v: set() for v in variants}
        self._playlists: dict[str, str] = {}
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="hls-publisher", daemon=True)

    def __enter__(self) -> ProgressivePublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.sync(final=False)
            except BaseException as exc:  # noqa: BLE001 - surfaced by finish() on the step's thread
                self._error = exc
                return

    def sync(self, *, final: bool) -> None:
        for variant in self.variants:
            self._sync_variant(variant, final)
        ready = all(self._uploaded[v] - {"init"} for v in self.variants)
        if ready and self.time_to_first_playable is None and self.master is not None:
            self.outputs.put_bytes(f"{self.prefix}/master.m3u8", self.master().encode(), live=True)
            self.time_to_first_playable = time.monotonic() - self.started

    def _sync_variant(self, variant: str, final: bool) -> None:
        folder = self.local_root / variant
        playlist = folder / "index.m3u8"
        if not playlist.is_file():
            return
        text = playlist.read_text()
        done = self._uploaded[variant]
        init = playlist_init(text)
        if init and "init" not in done and self.playlists:
            self.outputs.put_file(f"{self.prefix}/{variant}/{init}", folder / init)
            done.add("init")
        for uri, _ in playlist_segments(text):
            if uri not in done:
                self.outputs.put_file(f"{self.prefix}/{variant}/{uri}", folder / uri)
                done.add(uri)
        if not self.playlists:
            return
        text = steady_target_duration(text, self.target_s)
        if variant in self.open_ended:
            # ffmpeg ends its own playlist; this one goes on in the chunks after it.
            text = text.replace("#EXT-X-ENDLIST\n", "")
        elif final:
            text = finalise_playlist(text)
        if final or self._playlists.get(variant) != text:
            key = f"{self.prefix}/{variant}/index.m3u8"
            live = not final or variant in self.open_ended
            self.outputs.put_bytes(key, text.encode(), live=live)
            self._playlists[variant] = text

    def finish(self) -> float | None:
        """Stop polling, upload what is left, make the playlists VOD; the time to first playable."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._error is not None:
            raise self._error
        self.sync(final=True)
        return self.time_to_first_playable
