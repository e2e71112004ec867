"""One video analysed for a coach: pose, form, per-repetition feedback and a report folder.

``run`` computes and writes the folder, ``annotate`` draws the annotated video and ``page`` the
HTML report. ``sportslens analyze`` is a thin command over :func:`analyze_video` and
:func:`write_analysis`.
"""

from sportslens.analysis.run import AnalysisFiles, VideoAnalysis, analyze_video, write_analysis

__all__ = ["AnalysisFiles", "VideoAnalysis", "analyze_video", "write_analysis"]
