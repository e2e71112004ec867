"""Every figure sportslens draws starts here: one matplotlib guard, one way to make a figure.

matplotlib is the optional ``sportslens[plot]`` extra, so it is imported inside the functions and
a missing one names the pip command. Figures are ``matplotlib.figure.Figure`` objects on an Agg
canvas, never made through pyplot: that leaves the caller's backend and pyplot's global figure
list alone, and is safe in a server thread.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["new_figure", "require_matplotlib", "save_figure", "to_png"]

DPI = 100


def require_matplotlib() -> None:
    """Raise an ImportError that names the pip command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as err:
        raise ImportError(
            'Plots need matplotlib, the plot extra: pip install "sportslens[plot]"'
        ) from err


def new_figure(
    width: float,
    height: float,
    *,
    dpi: float = DPI,
    layout: Literal["constrained", "tight"] | None = "constrained",
) -> Figure:
    """An empty figure of ``width`` x ``height`` inches on its own Agg canvas."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no software stamp, so the same plot gives the same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float | None = None) -> Path:
    """Write the figure (format from the extension) atomically: a half-written file never shows."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp{out.suffix}")
    fig.savefig(tmp, dpi=dpi if dpi is not None else fig.dpi)
    tmp.replace(out)
    return out
