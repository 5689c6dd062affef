"""A/V timing of a video's outputs: every rung and audio rendition starts at 0 together, keeps
the source's own offset between sound and picture, and lasts as long as the longest stream.

Players line renditions up by their first timestamps (hls.js reads `tfdt`, never an edit list),
so the offsets are made real in the media rather than described in metadata:

- A picture that starts after the sound repeats its first frame back to 0 (`fps` start_time);
  one that ends first holds its last frame to the end (`tpad`).
- Sound that starts after the picture gets real silence in front (`aresample` async with
  first_pts=0) and silence after its end (`apad`), so the audio rendition is as long as the
  video.
- The AAC encoder puts 1024 samples of priming before the first real one, and fMP4 in ffmpeg
  5.1 writes no edit list to skip them: every decoded sample came 21.3 ms late. The first 1024
  samples are dropped before the encoder, so the priming takes their place and every sample
  after plays at its source time (the cost: the first 21 ms of the recording, at its very start).
- x264's B-frames put the first picture 2 frames after the first decode time (tfdt), which
  players that ignore edit lists show 67 ms late; the rungs are encoded without B-frames.
"""

from __future__ import annotations

__all__ = [
    "AAC_PRIMING_SAMPLES",
    "audio_timing_filter",
    "chunk_timing_filter",
    "video_timing_filter",
    "NO_B_FRAMES",
]

# ffmpeg's native AAC encoder's initial padding (AVCodecContext.initial_padding).
AAC_PRIMING_SAMPLES = 1024
NO_B_FRAMES = ["-bf", "0"]


def video_timing_filter(fps: str, duration: float) -> str:
    """Constant `fps` from 0 to `duration`: first frame repeated back to 0, last held to the end.

    tpad may add up to `duration` (the picture may be far shorter than the sound) and trim then
    cuts at the end, so neither can run on unbounded.
    """
    return (
        f"fps=fps={fps}:start_time=0,"
        f"tpad=stop_mode=clone:stop_duration={duration:.3f},trim=end={duration:.3f}"
    )


def chunk_timing_filter(
    fps: str, duration: float, seek_s: float, start_s: float, frames: int | None
) -> str:
    """The frames of one chunk of the video: those `video_timing_filter` makes from `start_s`
    on (`frames` of them; to the end when None), with the same timestamps.

    The input was opened `seek_s` seconds in (a little before `start_s`), and ffmpeg counts from
    there: `setpts` puts the frames back on the whole video's clock, and the fps filter, started
    at `start_s` (a frame of its grid), picks the same source frame for each slot as it does in
    one pass, since it has seen the frames before it.
    """
    shift = f"setpts=PTS+{seek_s:.6f}/TB," if seek_s > 0 else ""
    cut = f",trim=end_frame={frames}" if frames is not None else ""
    return (
        f"{shift}fps=fps={fps}:start_time={start_s:.6f},"
        f"tpad=stop_mode=clone:stop_duration={duration:.3f},trim=end={duration:.3f}{cut}"
    )


def audio_timing_filter(duration: float, sample_rate: int) -> str:
    """Sound from 0 to `duration` at `sample_rate`, silence where the source has none, with the
    encoder's priming paid for in advance."""
    total = max(1, round(duration * sample_rate))
    return (
        "aresample=async=1:first_pts=0,"
        f"atrim=start_sample={AAC_PRIMING_SAMPLES},asetpts=PTS-STARTPTS,"
        f"apad=whole_len={total},atrim=end_sample={total}"
    )
