"""Where a live repetition really was: the counter's frame numbers mapped back to the stream.

:class:`~sportslens.pose.live_counter.LiveCounter` numbers the frames it is fed, and a live
source drops the frames the analysis had no time for, so its frame numbers (and times, number /
fps) run behind the stream's. :class:`StreamTimes` remembers each analysed frame's stream index
and time for the last minutes and rewrites a finished repetition with them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from sportslens.pose.live_counter import LiveRepetition


class StreamTimes:
    """The (stream index, seconds) of the last ``keep`` analysed frames, by counter number."""

    def __init__(self, keep: int = 30 * 600) -> None:
        self._frames: deque[tuple[int, float]] = deque(maxlen=keep)
        self._fed = 0  # frames the counter has been fed

    def push(self, index: int, seconds: float) -> None:
        """Record the next analysed frame (call once per frame fed to the counter)."""
        self._frames.append((index, seconds))
        self._fed += 1

    def place(self, rep: LiveRepetition) -> LiveRepetition:
        """``rep`` with the stream's frame indices and times (as is when they were forgotten)."""
        first = self._fed - len(self._frames)  # the counter number of the oldest one kept
        if rep.start < first or rep.end - first >= len(self._frames):
            return rep
        (start, start_s), (end, end_s) = (
            self._frames[rep.start - first],
            self._frames[rep.end - first],
        )
        return replace(rep, start=start, end=end, start_s=start_s, end_s=end_s)
