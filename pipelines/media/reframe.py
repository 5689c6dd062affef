"""Reframing a picture to a social platform's aspect: the output size and the ffmpeg filter.

Three ways to fit a landscape sermon into a vertical (or square) frame, the creator's choice:

- `centre`: crop the middle; the pulpit is usually there.
- `face`: crop around the speaker, found where skin-coloured pixels gather in frames sampled
  across the clip (one crop for the clip: a moving crop on a pacing preacher makes viewers
  seasick, and a steady one is what an editor would set by hand).
- `blur-fill`: the whole frame, fitted, over a blurred, zoomed copy of itself.

All functions here are pure; the frames `face_centre` looks at are given to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

import numpy as np
from PIL import Image

__all__ = ["ASPECTS", "face_centre", "output_size", "reframe_filter"]

Aspect = Literal["16:9", "9:16", "1:1"]
Reframe = Literal["centre", "face", "blur-fill"]

# The platforms' recommended upload sizes: 1080x1920 (Shorts, Reels, TikTok), 1080x1080 (feed
# posts), 1920x1080 (YouTube).
ASPECTS: dict[Aspect, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "16:9": (1920, 1080),
}


def _even(value: float | Fraction) -> int:
    return max(2, int(round(value / 2)) * 2)


def output_size(aspect: Aspect, width: int, height: int) -> tuple[int, int]:
    """The platform's size, scaled down so the source's short side is never stretched by more
    than it must be to fill the platform's short side."""
    target_w, target_h = ASPECTS[aspect]
    scale = min(1.0, min(width, height) / min(target_w, target_h))
    return _even(target_w * scale), _even(target_h * scale)


def _crop_size(aspect: Aspect, width: int, height: int) -> tuple[int, int]:
    """The largest window of the aspect's shape inside the source."""
    target_w, target_h = ASPECTS[aspect]
    ratio = Fraction(target_w, target_h)
    if Fraction(width, height) > ratio:
        return _even(height * ratio), height - height % 2
    return width - width % 2, _even(width / ratio)


def reframe_filter(
    aspect: Aspect, reframe: Reframe, width: int, height: int, centre_x: float = 0.5
) -> str:
    """A filter chain from the (upright, square-pixel) source to the output size; `centre_x` is
    where the speaker is, as a fraction of the width (for `face`)."""
    out_w, out_h = output_size(aspect, width, height)
    if reframe == "blur-fill":
        # The background: zoomed to fill and blurred; the foreground: fitted whole.
        return (
            f"split=2[bg][fg];"
            f"[bg]scale={out_w}:{out_h}:force_original_aspect_ratio=increase,"
            f"crop={out_w}:{out_h},gblur=sigma=30,eq=brightness=-0.08[blurred];"
            f"[fg]scale={out_w}:{out_h}:force_original_aspect_ratio=decrease[fitted];"
            f"[blurred][fitted]overlay=(W-w)/2:(H-h)/2,setsar=1"
        )
    crop_w, crop_h = _crop_size(aspect, width, height)
    centre = centre_x if reframe == "face" else 0.5
    x = min(max(0, round(centre * width - crop_w / 2)), width - crop_w)
    y = (height - crop_h) // 2
    return f"crop={crop_w}:{crop_h}:{x}:{y},scale={out_w}:{out_h},setsar=1"


def _skin_mask(image: Image.Image) -> np.ndarray:  # type: ignore[type-arg]
    """Pixels in the YCbCr skin range that holds across skin tones (Chai & Ngan, 1999)."""
    ycbcr = np.asarray(image.convert("YCbCr"), dtype=np.int16)
    cb, cr = ycbcr[..., 1], ycbcr[..., 2]
    return (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173)  # type: ignore[no-any-return]


def face_centre(frames: Sequence[Image.Image]) -> float:
    """Where across the picture the speaker is (0 left, 1 right): the median over the frames of
    each one's skin-pixel centre; the middle when no frame shows enough skin to go on."""
    centres = []
    for frame in frames:
        mask = _skin_mask(frame)
        columns = mask.sum(axis=0).astype(float)
        if columns.sum() < 0.002 * mask.size:  # under 0.2% of the picture: noise, not a face
            continue
        xs = np.arange(columns.size)
        centres.append(float((columns * xs).sum() / columns.sum()) / max(1, columns.size - 1))
    return float(np.median(centres)) if centres else 0.5
