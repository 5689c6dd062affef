"""Dead channels: a stereo recording whose voice is on one side only, found and fixed.

A soundboard feed into one input of a stereo recorder is the usual cause: the sermon plays in
one ear. The loudness meter's pass also measures each channel's RMS level (a `volumedetect` per
channel, named by its index: a tenth of what `astats` cost, which computes some twenty figures
per sample to print two); when one of two channels is far below the other, both output channels
are made from the live one. Pure functions over ffmpeg's log and the levels, testable without
ffmpeg.
"""

from __future__ import annotations

import math
import re

import msgspec

__all__ = [
    "ChannelLevels",
    "channel_meters",
    "combine_levels",
    "loudness_shift_db",
    "parse_channel_levels",
    "repair_filter",
]

# A channel this far below the other carries no programme: at 30 dB it holds a thousandth of
# the energy (bleed, hiss, a dead cable's hum). Hard-panned music rarely parts its channels by
# more than 20 dB over a whole recording, so real stereo is left alone.
DEAD_GAP_DB = 30.0
# Below this the louder channel is itself silence: nothing to copy.
SILENT_DB = -70.0
_MEAN = re.compile(r"\[volumedetect@ch(\d+) @ [^\]]*\] mean_volume: (-?[\d.]+|-inf|inf|nan) dB")


class ChannelLevels(msgspec.Struct, kw_only=True):
    """Each channel's RMS level over the whole recording, dBFS, channel 0 first."""

    rms_db: list[float]

    @property
    def dead_channel(self) -> int | None:
        """The index of the dead side of a two-channel recording, or None."""
        if len(self.rms_db) != 2:
            return None
        quiet, loud = sorted(range(2), key=lambda i: self.rms_db[i])
        if self.rms_db[loud] <= SILENT_DB:
            return None
        if self.rms_db[loud] - self.rms_db[quiet] >= DEAD_GAP_DB:
            return quiet
        return None


def channel_meters(label: str, channels: int) -> str:
    """Filter chains that read `[label]` and print each channel's RMS level, ending in sinks."""
    if channels == 1:
        return f"[{label}]volumedetect@ch0,anullsink"
    copies = "".join(f"[{label}{i}]" for i in range(channels))
    chains = [f"[{label}]asplit={channels}{copies}"]
    chains += [
        f"[{label}{i}]pan=mono|c0=c{i},volumedetect@ch{i},anullsink" for i in range(channels)
    ]
    return ";".join(chains)


def parse_channel_levels(log: str) -> list[float]:
    """The per-channel RMS levels the meters printed at the end of one run (dBFS, channel 0
    first; volumedetect reads digital zero as -91, the floor of 16 bits)."""
    levels = {int(channel): float(value) for channel, value in _MEAN.findall(log)}
    return [levels[i] if math.isfinite(levels[i]) else -math.inf for i in sorted(levels)]


def combine_levels(runs: list[tuple[list[float], float]]) -> ChannelLevels:
    """Levels of chunks measured apart, as (levels, seconds), combined as energy over time."""
    if not runs:
        return ChannelLevels(rms_db=[])
    count = min(len(levels) for levels, _ in runs)
    total_s = sum(seconds for _, seconds in runs) or 1.0
    combined = []
    for channel in range(count):
        energy = sum(10 ** (levels[channel] / 10) * s for levels, s in runs) / total_s
        combined.append(round(10 * math.log10(energy), 2) if energy > 0 else -math.inf)
    return ChannelLevels(rms_db=combined)


def repair_filter(levels: ChannelLevels) -> str:
    """The filter that puts the live channel in both ears ("" when nothing needs repair)."""
    dead = levels.dead_channel
    if dead is None:
        return ""
    live = 1 - dead
    return f"pan=stereo|c0=c{live}|c1=c{live},"


def loudness_shift_db(levels: ChannelLevels) -> float:
    """How much louder the repaired stereo measures than the source did (BS.1770 sums the two
    channels' energies equally): 10*log10(2*live / (live + dead)), about +3 dB. The meter ran on
    the source, so its figures are moved by this rather than measured a second time."""
    dead = levels.dead_channel
    if dead is None:
        return 0.0
    live_energy = 10 ** (levels.rms_db[1 - dead] / 10)
    dead_energy = 10 ** (levels.rms_db[dead] / 10) if math.isfinite(levels.rms_db[dead]) else 0.0
    return round(10 * math.log10(2 * live_energy / (live_energy + dead_energy)), 2)
