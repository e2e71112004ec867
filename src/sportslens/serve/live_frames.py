"""One live frame in and out: the JPEGs a session reads and sends, its joints as JSON, and the
error that closes a session with a code and a reason."""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sportslens.serve.live_limits import CLOSE_POLICY, CLOSE_TOO_BIG


class ClosingError(Exception):
    """End the session with this WebSocket close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        # A close frame's reason holds at most 123 bytes of UTF-8.
        self.code, self.reason = code, reason.encode()[:123].decode(errors="ignore")


def decode_jpeg(data: bytes, max_pixels: int) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 RGB of one frame; its size checked from the header before decoding."""
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > max_pixels:
            raise ClosingError(
                CLOSE_TOO_BIG, f"a {width}x{height} frame is over the limit of {max_pixels} pixels"
            )
        return np.asarray(image.convert("RGB"))
    except ClosingError:
        raise
    except Exception as error:  # PIL's errors for a broken image
        raise ClosingError(CLOSE_POLICY, f"a frame is not a readable image: {error}") from None


def encode_jpeg(image: NDArray[np.uint8]) -> bytes:
    """A stream frame for the page to draw: JPEG, at most 640 px wide."""
    picture = Image.fromarray(image)
    if picture.width > 640:
        picture = picture.resize((640, round(picture.height * 640 / picture.width)))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=70)
    return out.getvalue()


def joints(
    points: NDArray[np.float32], scores: NDArray[np.float32], min_score: float
) -> list[list[float] | None]:
    """One person's (V, 2) pixels and (V,) scores as [x, y] each, None where no joint was found."""
    found = scores >= min_score  # (V,)
    return [
        [round(float(x), 1), round(float(y), 1)] if ok else None
        for (x, y), ok in zip(points, found, strict=True)
    ]
