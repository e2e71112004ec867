"""Window scorers: what turns a video and a window plan into class probabilities, batch by batch.

:class:`WindowScorer` is the seam between the timeline and a kind of model. :class:`VideoScorer`
decodes the video once, in order, keeping only a rolling buffer of the resized frames that
unfinished windows still need, so memory stays flat however long the video is. A skeleton scorer
(pose extracted once for the whole video, windows over the keypoints) plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from sportslens.timeline.windows import WindowPlan, WindowSize, default_window, plan_windows
from sportslens.transforms import Preprocess
from sportslens.video import Source, VideoDecodeError, describe_source, iter_frames

Progress = Callable[[int], None]
"""Called with the number of frames processed so far."""


class WindowScorer(Protocol):
    """Scores every window of a video with one model; the timeline needs nothing else."""

    @property
    def classes(self) -> Sequence[str]:
        """Class names, in the order of the score columns."""
        ...

    def default_window(self, fps: float) -> WindowSize:
        """The window and stride the model was trained for, in frames of a video at ``fps``."""
        ...

    def plan(self, num_frames: int, fps: float, size: WindowSize) -> WindowPlan:
        """Place windows over a video and pick the frames the model sees in each."""
        ...

    def score(
        self, source: Source, plan: WindowPlan, progress: Progress | None = None
    ) -> Iterator[NDArray[Any]]:
        """Probabilities ``(B, K)`` for consecutive batches of the plan's windows, in order."""
        ...


class VideoScorer:
    """Scores windows with a video model, decoding the video once as a stream.

    ``transform`` maps decoded ``uint8 (T, C, H, W)`` frames to a clip ``float (C, T, h, w)`` and
    ``forward`` maps a batch of clips ``(B, C, T, h, w)`` to probabilities ``(B, K)``; both come
    from a :class:`~sportslens.predict.Predictor`, so windows are preprocessed as ``predict`` does.
    """

    def __init__(
        self,
        pre: Preprocess,
        transform: Callable[[torch.Tensor], torch.Tensor],
        forward: Callable[[torch.Tensor], torch.Tensor],
        classes: Sequence[str],
        *,
        batch_size: int = 8,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.pre = pre
        self.transform = transform
        self.forward = forward
        self._classes = list(classes)
        self.batch_size = batch_size
        self.max_buffered = 0
        """The most decoded frames held at once during the last :meth:`score` (flat in length)."""

    @property
    def classes(self) -> Sequence[str]:
        return self._classes

    def default_window(self, fps: float) -> WindowSize:
        return default_window(self.pre, fps)

    def plan(self, num_frames: int, fps: float, size: WindowSize) -> WindowPlan:
        return plan_windows(num_frames, fps, size, self.pre)

    def score(
        self, source: Source, plan: WindowPlan, progress: Progress | None = None
    ) -> Iterator[NDArray[Any]]:
        needed = np.unique(plan.indices)  # (U,) sorted: the only frames worth keeping
        buffer: dict[int, NDArray[Any]] = {}  # frame index -> (H, W, 3) uint8
        batch: list[torch.Tensor] = []
        self.max_buffered = 0
        ready = 0  # the next window to assemble
        last = int(plan.indices.max())
        for index, frame in iter_frames(source, size=self.pre.resize, end=last):
            if _contains(needed, index):
                buffer[index] = frame
                self.max_buffered = max(self.max_buffered, len(buffer))
            while ready < len(plan) and plan.indices[ready, -1] <= index:
                batch.append(self._clip(buffer, plan.indices[ready]))  # (C, T, h, w)
                ready += 1
                if len(batch) == self.batch_size:
                    yield self._probabilities(batch)
                    batch = []
            if ready < len(plan):  # frames before the next window's first are done with
                oldest = int(plan.indices[ready, 0])
                for stale in [i for i in buffer if i < oldest]:
                    del buffer[stale]
            if progress is not None:
                progress(index + 1)
        if batch:
            yield self._probabilities(batch)
        if ready < len(plan):
            raise VideoDecodeError(
                f"{describe_source(source)}: the stream ended before frame {last}"
            )

    def _clip(self, buffer: dict[int, NDArray[Any]], indices: NDArray[Any]) -> torch.Tensor:
        frames = np.stack([buffer[int(i)] for i in indices])  # (T, H, W, 3) uint8
        video = torch.from_numpy(frames).permute(0, 3, 1, 2)  # (T, C, H, W)
        return self.transform(video)  # (C, T, h, w) float

    def _probabilities(self, batch: list[torch.Tensor]) -> NDArray[Any]:
        probs: NDArray[Any] = self.forward(torch.stack(batch)).numpy()  # (B, K)
        return probs


def _contains(sorted_values: NDArray[Any], value: int) -> bool:
    i = int(np.searchsorted(sorted_values, value))
    return i < len(sorted_values) and int(sorted_values[i]) == value
