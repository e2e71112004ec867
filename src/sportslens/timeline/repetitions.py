"""Repetitions inside a timeline segment: the counter of :mod:`sportslens.pose.reps` on its frames.

A segment labelled with a known exercise (:data:`~sportslens.pose.reps.EXERCISE_SIGNALS`) is
counted on that exercise's own signal (the knees for a squat, the elbows for a push-up), over the
segment's frames and :data:`MARGIN_SECONDS` either side. A segment's edges come from window
centres, so they can cut a repetition at either end: the margin lets the counter see such a
repetition whole, and it is kept when its middle frame lies inside the segment, so a repetition
is never counted in two neighbouring segments. The result is the form analysis's own
:class:`~sportslens.pose.reps.RepetitionReport`, with frames in the whole video's numbering;
:func:`repetitions_to_dict` is its form in timeline files.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sportslens.pose.angles import joint_angles
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.reps import EXERCISE_SIGNALS, RepetitionReport, count_repetitions

MARGIN_SECONDS = 0.5
"""Seconds counted beyond each edge of a segment. Chosen on tuning sessions (seed 2, not the
benchmark's): with 0 s a segment ending mid-repetition lost it (21 of 22 counts exact at the
default options, 20 of 22 at the benchmark's); with 0.5 s all 22 were exact at both."""


def count_span_repetitions(
    kp: Keypoints,
    start_frame: int,
    end_frame: int,
    label: str,
    fps: float,
    margin: float = MARGIN_SECONDS,
) -> RepetitionReport | None:
    """Repetitions of exercise ``label`` whose middle lies in frames ``start_frame..end_frame``
    of ``kp``, counted with ``margin`` seconds either side and timed at the video's ``fps``.

    None when ``label`` is not a known exercise, or when the exercise's joints are undetected
    in most of those frames (nothing to count on).
    """
    if label not in EXERCISE_SIGNALS:
        return None
    if not 0 <= start_frame <= end_frame < kp.num_frames:
        raise ValueError(
            f"{kp.source}: frames {start_frame}..{end_frame} are outside its {kp.num_frames}"
        )
    first = max(0, start_frame - round(margin * fps))
    last = min(kp.num_frames - 1, end_frame + round(margin * fps))
    span = replace(
        kp,
        keypoints=kp.keypoints[first : last + 1],  # (n, V, 2)
        scores=kp.scores[first : last + 1],  # (n, V)
    )
    try:
        report = count_repetitions(joint_angles(span), label)
    except ValueError:  # the exercise's joints are undetected in most frames
        return None
    reps = tuple(
        replace(rep, start=first + rep.start, end=first + rep.end)
        for rep in report.repetitions
        if start_frame <= first + (rep.start + rep.end) / 2 <= end_frame
    )
    return replace(report, repetitions=reps, fps=fps, first_frame=first)


def repetitions_to_dict(report: RepetitionReport) -> dict[str, Any]:
    """A segment's repetitions as timeline files hold them: the count, the signal, and each
    repetition's seconds (end exclusive), frames (inclusive) and angle extremes."""
    return {
        "count": report.count,
        "signal": report.signal,
        "repetitions": [
            {
                "start": round(rep.start / report.fps, 3),
                "end": round((rep.end + 1) / report.fps, 3),
                "start_frame": rep.start,
                "end_frame": rep.end,
                "angle_min": round(rep.angle_min, 1),
                "angle_max": round(rep.angle_max, 1),
            }
            for rep in report.repetitions
        ],
    }
