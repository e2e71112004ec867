"""The analysis report page: summary, annotated video, key frames, angle curves, repetitions.

Built with :mod:`sportslens.report.html`, so it is one self-contained file: images are data URIs,
and the annotated video is embedded too when it is small enough (:data:`EMBED_VIDEO_BYTES`),
else linked beside the page.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from PIL import Image

from sportslens.report.html import image_grid, key_value_table, page, paragraph, table

if TYPE_CHECKING:
    from sportslens.analysis.run import AnalysisFiles, VideoAnalysis

EMBED_VIDEO_BYTES = 8_000_000
"""Annotated videos up to this size go inside the page; larger ones are linked (a phone
browser struggles with a data URI of tens of megabytes)."""


def write_report_page(
    analysis: VideoAnalysis, stills: Mapping[int, NDArray[np.uint8]], files: AnalysisFiles
) -> None:
    """Write ``files.report``: the page of the module docstring."""
    form = analysis.form
    report = form.repetitions
    name = files.folder.name
    sections = [
        ("Summary", key_value_table(summary(analysis))),
        ("Annotated video", _video(files)),
        ("Key frames", _stills(stills, analysis.keypoints.fps)),
        ("Angle curves", _curves(analysis, files)),
        (f"Repetitions ({report.count})", _repetition_table(analysis)),
    ]
    if analysis.timeline is not None:
        sections.append(("Timeline (model)", _timeline(analysis.timeline)))
    files_note = (
        f"Files: {files.json.name} (everything, as JSON), {files.angles_csv.name} (each angle "
        f"per frame), {files.video.name} (the annotated video)."
    )
    sections.append(("Files", paragraph(files_note)))
    intro = (
        f"{analysis.video}: {analysis.info.duration:.1f} s, {analysis.info.num_frames} frames. "
        "Angles are measured in the image plane; impossible values are left out."
    )
    text = page(f"sportslens analysis: {name}", intro, sections)
    tmp = files.report.with_name(f".{files.report.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(files.report)


def summary(analysis: VideoAnalysis) -> dict[str, object]:
    """The headline numbers: what was counted, how many, and the verdicts."""
    form, report = analysis.form, analysis.form.repetitions
    verdicts = [f.verdict for f in form.feedback()]
    tally = ", ".join(
        f"{verdicts.count(v)} {v}" for v in ("good", "partial", "check") if v in verdicts
    )
    return {
        "exercise": form.exercise or "(not given: the most repetitive joint)",
        "signal counted": report.signal,
        "repetitions": report.count,
        "partial at the ends (not counted)": len(report.partial),
        "verdicts": tally or "–",
        "period (s)": report.period_s,
        "impossible angle values left out": 0 if form.flagged is None else int(form.flagged.sum()),
    }


def _video(files: AnalysisFiles) -> str:
    size = files.video.stat().st_size
    if size <= EMBED_VIDEO_BYTES:
        data = base64.b64encode(files.video.read_bytes()).decode("ascii")
        src = f"data:video/mp4;base64,{data}"
    else:
        src = html.escape(files.video.name)
    return (
        f'<video controls muted playsinline style="max-width:100%" src="{src}"></video>'
        f'<p class="note">Also beside this page: <a href="{html.escape(files.video.name)}">'
        f"{html.escape(files.video.name)}</a></p>"
    )


def _stills(stills: Mapping[int, NDArray[np.uint8]], fps: float) -> str:
    if not stills:
        return paragraph("No frames.", note=True)
    images = []
    for index, frame in sorted(stills.items()):
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG")
        images.append((f"frame {index} ({index / fps:.2f} s)", buffer.getvalue()))
    return image_grid(images)


def _curves(analysis: VideoAnalysis, files: AnalysisFiles) -> str:
    from sportslens.pose.form_plot import plot_form

    path = plot_form(analysis.form, files.folder / "angles.png")
    caption = "Joint angles (top); the counted signal with each repetition shaded (bottom)."
    return image_grid([(caption, path.read_bytes())], wide=True)


def _repetition_table(analysis: VideoAnalysis) -> str:
    report, fps = analysis.form.repetitions, analysis.form.angles.fps
    rows = []
    for rep, feedback in zip(report.repetitions, analysis.form.feedback(), strict=True):
        m = feedback.measures
        rows.append(
            {
                "start (s)": round(rep.start / fps, 2),
                "end (s)": round(rep.end / fps, 2),
                "depth °": m.get("depth_deg"),
                "lockout °": m.get("lockout_deg"),
                "down / pause / up (s)": _tempo(m),
                "range °": m["range_deg"],
                "of best": m["range_of_best"],
                "left-right °": m["asymmetry_deg"],
                "max lean °": m["trunk_lean_max_deg"],
                "verdict": feedback.verdict,
                "why": "; ".join(feedback.reasons) or "–",
            }
        )
    if not rows:
        return paragraph("No complete repetition found.", note=True)
    frame = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="#"))
    partial = len(report.partial)
    note = f"{partial} partial repetition(s) at the ends of a take, not counted." if partial else ""
    return table(frame, digits=1) + (paragraph(note, note=True) if note else "")


def _tempo(measures: Mapping[str, Any]) -> str:
    parts = [measures.get(k) for k in ("down_s", "pause_s", "up_s")]
    return " / ".join("–" if p is None else f"{p:.2f}" for p in parts)


def _timeline(timeline: Mapping[str, Any]) -> str:
    segments = timeline.get("segments", [])
    if not segments:
        return paragraph("The model found no segment.", note=True)
    rows = [
        {
            "start (s)": s["start"],
            "end (s)": s["end"],
            "label": s["label"],
            "mean score": s["mean_score"],
        }
        for s in segments
    ]
    return table(pd.DataFrame(rows), digits=2, index=False)
