"""Reports: the evaluation report (metrics.json, report.md, report.html), its plots and page.

``evaluation`` lays the report out; ``plots`` draws its figures and ``html`` builds the
self-contained page; ``figure`` is where every sportslens plot gets matplotlib.
"""

from sportslens.report.evaluation import (
    COMPARE_COLUMNS,
    ReportSection,
    compare_runs,
    format_markdown,
    write_report,
)

__all__ = ["COMPARE_COLUMNS", "ReportSection", "compare_runs", "format_markdown", "write_report"]
