"""Frames that carry their own index as black/white bands, so tests can check exact content.

Eight vertical bands each hold one bit of the frame index (most significant first). The bands are
wide and saturated, so they survive lossy codecs, scaling and GIF palettes.
"""

from __future__ import annotations

import numpy as np
import torch

BITS = 8


def coded_frame(index: int, height: int = 64, width: int = 96) -> np.ndarray:
    """An (H, W, 3) uint8 RGB frame whose bands spell ``index`` in binary.

    The top quarter is red on the left half and blue on the right, so rotations and mirror
    flips are visible too (and :func:`read_code` undoes a flip).
    """
    frame = np.zeros((height, width, 3), np.uint8)
    band = width // BITS
    for bit in range(BITS):
        if index >> (BITS - 1 - bit) & 1:
            frame[:, bit * band : (bit + 1) * band] = 255
    frame[: height // 4, : width // 2] = (255, 0, 0)
    frame[: height // 4, width // 2 :] = (0, 0, 255)
    return frame


def read_code(frame: torch.Tensor | np.ndarray) -> int:
    """Decode the index from a (C, H, W) tensor or (H, W, 3) array in the coded layout."""
    image = frame.permute(1, 2, 0).numpy() if isinstance(frame, torch.Tensor) else frame
    height, width = image.shape[:2]
    strip = image[: height // 8].astype(np.float64)
    if strip[:, : width // 2, 2].mean() > strip[:, : width // 2, 0].mean():
        image = image[:, ::-1]  # blue on the left: the frame was mirrored
    rows = image[height // 2 :, :, 1].astype(np.float64)  # green: 0 in the red strip, bands only
    band = width / BITS
    value = 0
    for bit in range(BITS):
        column = rows[:, int(bit * band + band / 4) : int((bit + 1) * band - band / 4)]
        value = value << 1 | int(column.mean() > 127)
    return value


def read_codes(frames: torch.Tensor) -> list[int]:
    """Indices spelled by every frame of a uint8 (T, C, H, W) clip."""
    return [read_code(frame) for frame in frames]
