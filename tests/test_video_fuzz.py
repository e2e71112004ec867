"""Seeded mutation fuzzing: a damaged mp4 either decodes or raises VideoDecodeError, quickly.

Forty mutants of one small H.264 mp4: bytes flipped in the sample description (where the codec,
frame size and decoder set-up live, so flips there reach the most code), bytes flipped anywhere,
truncations and duplicated chunks. The seed is fixed, so a failure names a mutant that can be
written out again and looked at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from conftest import MakeVideo
from sportslens.video import VideoDecodeError, probe, read_frames

SEED = 13
TIME_LIMIT_S = 10.0
"""Per mutant; a healthy one takes ~50 ms, so this only trips on a hang, even on a busy machine."""


def mutants(data: bytes, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """``(kind, bytes)`` of 14 + 6 byte flips, 10 truncations and 10 duplicated chunks."""
    start = data.find(b"stsd") - 4  # the sample description box: codec fourcc, size, avcC
    assert start > 0, "the mp4 writer no longer writes an stsd box where expected"
    out: list[tuple[str, bytes]] = []
    for kind, low, high, count, most in [
        ("flip in stsd", start, start + 160, 14, 3),
        ("flip anywhere", 0, len(data), 6, 20),
    ]:
        for _ in range(count):
            mutant = bytearray(data)
            for at in rng.integers(low, high, size=int(rng.integers(1, most + 1))):
                mutant[at] = int(rng.integers(256))
            out.append((kind, bytes(mutant)))
    for _ in range(10):
        out.append(("truncated", data[: int(rng.integers(1, len(data)))]))
    for _ in range(10):
        begin = int(rng.integers(len(data)))
        chunk = data[begin : begin + int(rng.integers(1, 1024))]
        at = int(rng.integers(len(data)))
        out.append(("duplicated chunk", data[:at] + chunk + data[at:]))
    return out


def decode_everything(path: Path) -> None:
    info = probe(path)
    frames = read_frames(path, np.arange(info.num_frames), size=32)
    assert frames.shape[0] == info.num_frames


def within(seconds: float, work: Callable[[], None]) -> tuple[bool, BaseException | None]:
    """Run ``work`` in a daemon thread: whether it finished in time, and what it raised."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported by the test, whatever it is
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)  # a hung decoder cannot block the exit
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), outcome.get("error")


def test_every_mutant_decodes_or_raises_a_decode_error_in_time(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    original = make_video("original.mp4", frames=24, height=48, width=64, gop=5).read_bytes()
    failures = []
    outcomes = {"decoded": 0, "refused": 0}
    for i, (kind, data) in enumerate(mutants(original, np.random.default_rng(SEED))):
        path = tmp_path / f"mutant_{i:02d}.mp4"
        path.write_bytes(data)
        finished, error = within(TIME_LIMIT_S, lambda path=path: decode_everything(path))
        if not finished:
            failures.append(f"{path.name} ({kind}): still decoding after {TIME_LIMIT_S} s")
        elif error is None:
            outcomes["decoded"] += 1
        elif isinstance(error, VideoDecodeError) and str(error).startswith(str(path)):
            outcomes["refused"] += 1
        else:
            failures.append(f"{path.name} ({kind}): {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)
    assert min(outcomes.values()) >= 5, outcomes  # both outcomes are exercised
