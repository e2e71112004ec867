"""A timeline of a whole video: its options, its windows and segments, and how it is built."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.reps import RepetitionReport
from sportslens.timeline.repetitions import repetitions_to_dict
from sportslens.timeline.scoring import WindowScorer
from sportslens.timeline.segments import (
    BACKGROUND,
    Run,
    background_scores,
    segment_runs,
    smooth_scores,
    window_edges,
)
from sportslens.timeline.windows import Unit, WindowPlan, resolve_window
from sportslens.video import Source, describe_source, probe

if TYPE_CHECKING:
    from sportslens.pose.keypoints import Keypoints

BACKGROUND_LABEL = "background"
"""The label of segments where no action is recognised."""

BACKGROUND_CLASSES = ("background", "no_action", "no action", "none", "idle")
"""Class names a model may use for "nothing happens"; such a class never becomes a segment."""


@dataclass(frozen=True)
class TimelineOptions:
    """How windows slide and how their scores become segments; defaults come from the model."""

    window: float | None = None  # window length in ``unit``; None: the model's clip length
    stride: float | None = None  # between window starts in ``unit``; None: a quarter window
    unit: Unit = "seconds"
    batch_size: int = 8  # windows per forward pass
    top_k: int = 3  # labels kept per window in the output
    smooth: int = 3  # windows in the centred moving average of scores (odd; 1 = none)
    threshold: float = 0.5  # below this smoothed score a window is background
    min_segment: float = 1.0  # seconds; shorter segments merge into a neighbour
    background_classes: tuple[str, ...] = BACKGROUND_CLASSES

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Window:
    """One window: its frame span, its time span and the model's top-k labels for it."""

    index: int
    start_frame: int
    end_frame: int  # inclusive
    start: float  # seconds
    end: float  # seconds, exclusive: the end of the last frame
    labels: list[str]
    scores: list[float]

    def to_dict(self) -> dict[str, Any]:
        top = [{"label": n, "score": s} for n, s in zip(self.labels, self.scores, strict=True)]
        return {
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "top": top,
        }


@dataclass(frozen=True)
class Segment:
    """A stretch of one action (or of background) with its mean and peak window score."""

    label: str
    start: float  # seconds
    end: float  # seconds, exclusive
    start_frame: int
    end_frame: int  # inclusive
    mean_score: float
    peak_score: float
    background: bool
    repetitions: RepetitionReport | None = None
    """Counted for action segments of a known exercise by skeleton models; None otherwise."""
    answer: str | None = None
    """An action segment's label, or "unknown" when its mean score is under the model's
    calibrated threshold; None for background and for models without a threshold."""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def midpoint(self) -> float:
        return (self.start + self.end) / 2

    def to_dict(self) -> dict[str, Any]:
        reps = None if self.repetitions is None else repetitions_to_dict(self.repetitions)
        data = {**asdict(self), "duration": self.duration, "repetitions": reps}
        if self.answer is None:  # as predict: a model without calibration leaves it out
            del data["answer"]
        return data


@dataclass(frozen=True)
class Timeline:
    """What happens when in one video; ``complete`` is False when scoring was interrupted."""

    source: str
    fps: float
    duration: float  # seconds covered: the whole video, or what was scored before an interrupt
    num_frames: int  # frames covered, likewise
    classes: list[str]
    window_frames: int
    stride_frames: int
    options: TimelineOptions
    windows: list[Window]
    segments: list[Segment]
    scores: NDArray[Any] = field(repr=False)  # (W, K) model probabilities per window
    smoothed: NDArray[Any] = field(repr=False)  # (W, K) after the moving average
    complete: bool = True
    timing: dict[str, float] = field(default_factory=dict)
    keypoints: Keypoints | None = field(default=None, repr=False)
    """The whole video's keypoints a skeleton model was scored on (drawn by the overlay)."""
    data_domain: str | None = None
    """What the model was trained on (as a prediction's): "synthetic athletes" or "user data: …"."""
    warnings: list[str] = field(default_factory=list)
    """What to doubt in these labels (a model of synthetic figures on real footage)."""

    @property
    def actions(self) -> list[Segment]:
        """The segments where an action was recognised."""
        return [s for s in self.segments if not s.background]

    @property
    def centres(self) -> NDArray[Any]:
        """Window centres in seconds, (W,)."""
        return np.array([(w.start + w.end) / 2 for w in self.windows])

    def segment_at(self, seconds: float) -> Segment:
        """The segment shown at ``seconds`` (the last one past the end)."""
        for segment in self.segments:
            if seconds < segment.end:
                return segment
        return self.segments[-1]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data: the shape the CLI prints and the server returns."""
        return {
            "source": self.source,
            "fps": self.fps,
            "duration": self.duration,
            "num_frames": self.num_frames,
            "complete": self.complete,
            "classes": self.classes,
            "window_frames": self.window_frames,
            "stride_frames": self.stride_frames,
            "options": self.options.to_dict(),
            "segments": [s.to_dict() for s in self.segments],
            "windows": [w.to_dict() for w in self.windows],
            "timing": self.timing,
            **({"data_domain": self.data_domain} if self.data_domain is not None else {}),
            "warnings": self.warnings,
        }


def build_timeline(
    scorer: WindowScorer,
    source: Source,
    options: TimelineOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    stop_on_interrupt: bool = False,
) -> Timeline:
    """Slide ``scorer``'s model over the whole video and turn its scores into segments.

    ``progress(frames_done, num_frames)`` follows the decoding. With ``stop_on_interrupt``, Ctrl-C
    ends scoring early and returns the timeline of the windows scored so far (``complete=False``).
    """
    options = options or TimelineOptions()
    _check_options(options, scorer.classes)
    info = probe(source)
    size = resolve_window(
        scorer.default_window(info.fps),
        info.fps,
        window=options.window,
        stride=options.stride,
        unit=options.unit,
    )
    plan = scorer.plan(info.num_frames, info.fps, size)
    batches: list[NDArray[Any]] = []
    started = time.perf_counter()
    complete = True
    try:
        on_frame = None if progress is None else lambda done: progress(done, info.num_frames)
        for probs in scorer.score(source, plan, on_frame):
            batches.append(probs)  # (B, K)
    except KeyboardInterrupt:
        if not stop_on_interrupt or not batches:
            raise
        complete = False
    scores = np.concatenate(batches) if batches else np.zeros((0, len(scorer.classes)))
    elapsed = time.perf_counter() - started
    timeline = assemble_timeline(
        describe_source(source), plan.head(len(scores)), scores, scorer.classes, options, complete
    )
    timing = {"seconds": elapsed, "realtime": timeline.duration / elapsed if elapsed else 0.0}
    return replace(timeline, timing=timing)


def assemble_timeline(
    source: str,
    plan: WindowPlan,
    scores: NDArray[Any],
    classes: Sequence[str],
    options: TimelineOptions,
    complete: bool = True,
) -> Timeline:
    """Windows and segments from the plan's window scores ``(W, K)``; pure, no decoding."""
    if len(scores) != len(plan) or len(plan) == 0:
        raise ValueError(f"{source}: {len(scores)} score rows for {len(plan)} windows")
    covered = int(plan.ends[-1]) + 1 if not complete else plan.num_frames
    duration = covered / plan.fps
    background = background_index(classes, options.background_classes)
    runs = segment_runs(
        scores,
        plan.centres,
        duration,
        smooth=options.smooth,
        threshold=options.threshold,
        background=background,
        min_length=options.min_segment,
    )
    edges = window_edges(plan.centres, duration)  # (W + 1,)
    segments = [_segment(run, edges, scores, classes, background, plan.fps) for run in runs]
    windows = [_window(i, plan, scores[i], classes, options.top_k) for i in range(len(plan))]
    return Timeline(
        source=source,
        fps=plan.fps,
        duration=duration,
        num_frames=covered,
        classes=list(classes),
        window_frames=plan.size.window,
        stride_frames=plan.size.stride,
        options=options,
        windows=windows,
        segments=segments,
        scores=scores,
        smoothed=smooth_scores(scores, options.smooth),
        complete=complete,
    )


def _segment(
    run: Run,
    edges: NDArray[Any],
    scores: NDArray[Any],
    classes: Sequence[str],
    background: int | None,
    fps: float,
) -> Segment:
    """A run as a segment: times from the window edges, scores from its windows' probabilities."""
    rows = scores[run.first : run.last + 1]  # (n, K)
    is_background = run.label == BACKGROUND
    own = background_scores(rows, background) if is_background else rows[:, run.label]  # (n,)
    start, end = float(edges[run.first]), float(edges[run.last + 1])
    return Segment(
        label=BACKGROUND_LABEL if is_background else classes[run.label],
        start=start,
        end=end,
        start_frame=round(start * fps),
        end_frame=max(round(start * fps), round(end * fps) - 1),
        mean_score=float(own.mean()),
        peak_score=float(own.max()),
        background=is_background,
    )


def _window(
    index: int, plan: WindowPlan, probs: NDArray[Any], classes: Sequence[str], top_k: int
) -> Window:
    order = np.argsort(-probs, kind="stable")[:top_k]
    first, last = int(plan.starts[index]), int(plan.ends[index])
    return Window(
        index=index,
        start_frame=first,
        end_frame=last,
        start=first / plan.fps,
        end=(last + 1) / plan.fps,
        labels=[classes[i] for i in order],
        scores=[float(probs[i]) for i in order],
    )


def background_index(classes: Sequence[str], names: Sequence[str]) -> int | None:
    """The position of the model's own "nothing happens" class among ``classes``, if it has one."""
    wanted = {n.lower() for n in names}
    matches = [i for i, c in enumerate(classes) if c.lower() in wanted]
    return matches[0] if matches else None


def _check_options(options: TimelineOptions, classes: Sequence[str]) -> None:
    if not 0.0 <= options.threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {options.threshold}")
    if options.min_segment < 0:
        raise ValueError(f"min_segment must be >= 0 seconds, got {options.min_segment}")
    if options.top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {options.top_k}")
    if options.smooth < 1 or options.smooth % 2 == 0:
        raise ValueError(f"smooth must be an odd number of windows, got {options.smooth}")
    if not classes:
        raise ValueError("the model has no classes")
