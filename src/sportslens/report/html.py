"""Build a self-contained HTML page: inline CSS, images as data URIs, nothing fetched.

The page reads offline and on a phone. Images shrink to the screen width and wide tables scroll
sideways inside their own box. All text is escaped here, so callers pass plain strings.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["format_value", "image_grid", "key_value_table", "page", "paragraph", "table"]

_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       padding: 1rem; max-width: 1100px; line-height: 1.45; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f3f4f6; }
.grid { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { flex: 1 1 320px; margin: 0; min-width: 0; }
figure.wide { flex-basis: 100%; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #555; margin-top: 0.3rem; overflow-wrap: anywhere; }
.note { color: #555; }
"""


def page(title: str, intro: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole document: a title, an intro paragraph and (heading, body HTML) sections."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        paragraph(intro, note=True),
    ]
    for heading, body in sections:
        parts += [f"<section><h2>{html.escape(heading)}</h2>", body, "</section>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def paragraph(text: str, *, note: bool = False) -> str:
    """A paragraph of escaped text; ``note`` greys it."""
    css = ' class="note"' if note else ""
    return f"<p{css}>{html.escape(text)}</p>"


def table(frame: pd.DataFrame, *, digits: int = 3, index: bool = True) -> str:
    """A DataFrame as an HTML table; numbers right-aligned, floats to ``digits`` places."""
    header = ([str(frame.index.name or "")] if index else []) + [str(c) for c in frame.columns]
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [f"<th>{html.escape(format_value(label))}</th>"] if index else []
        cells += [_cell(value, digits) for value in values]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def key_value_table(items: Mapping[str, object]) -> str:
    """Two columns, key and value, such as a model's description."""
    values = [format_value(value) for value in items.values()]
    frame = pd.DataFrame({"value": values}, index=pd.Index(list(items), name="key"))
    return table(frame)


def image_grid(images: Sequence[tuple[str, bytes]], *, wide: bool = False) -> str:
    """PNG images with captions, side by side on wide screens and stacked on narrow ones.

    ``wide`` gives each image the full width, for plots with many small labels.
    """
    css = ' class="wide"' if wide else ""
    figures = []
    for caption, png in images:
        data = base64.b64encode(png).decode("ascii")
        text = html.escape(caption)
        figures.append(
            f'<figure{css}><img src="data:image/png;base64,{data}" alt="{text}">'
            f"<figcaption>{text}</figcaption></figure>"
        )
    return f'<div class="grid">{"".join(figures)}</div>'


def format_value(value: object, digits: int | None = None) -> str:
    """Text for one table cell: '–' for missing, floats to ``digits`` places (else 4 figures).

    A sequence of numbers, such as a resolution, is joined with '×'.
    """
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}" if digits is not None else f"{value:.4g}"
    if isinstance(value, list | tuple):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        return ("×" if numeric else ", ").join(format_value(v, digits) for v in value)
    return str(value)


def _cell(value: object, digits: int) -> str:
    numeric = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    css = ' class="num"' if numeric else ""
    return f"<td{css}>{html.escape(format_value(value, digits))}</td>"
