"""Training's per-epoch rows, printed as each epoch ends (the way Ultralytics prints them)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

# (header, width, how a row's value is shown); widths fixed so that rows printed one at a
# time line up under the header.
_COLUMNS = (
    ("epoch", 9),
    ("loss", 8),
    ("accuracy", 9),
    ("val loss", 9),
    ("val accuracy", 13),
    ("lr", 9),
    ("time", 8),
)


def percent(fraction: float) -> str:
    """An accuracy as people read it: ``0.8333`` → ``83.3%`` (files keep the fraction)."""
    return f"{100 * fraction:.1f}%"


class EpochRows:
    """Print the header before the first epoch's row, then one row per finished epoch."""

    def __init__(self, console: Console, *, total: int, enabled: bool = True) -> None:
        self.console = console
        self.total = total
        self.enabled = enabled
        self._header_done = False

    def add(self, epoch: int, row: Mapping[str, float]) -> None:
        """``fit``'s ``on_epoch_end`` hook: ``epoch`` counts from 0, ``row['epoch']`` from 1."""
        if not self.enabled:
            return
        self.console.print(self._table(self._cells(row)))
        self._header_done = True

    def _cells(self, row: Mapping[str, float]) -> list[str]:
        return [
            f"{int(row['epoch'])}/{self.total}",
            f"{row['train_loss']:.4f}",
            percent(row["train_acc1"]),
            f"{row['val_loss']:.4f}",
            percent(row["val_acc1"]),
            f"{row['lr']:.2e}",
            f"{row.get('seconds', 0.0):.1f} s",
        ]

    def _table(self, cells: list[str]) -> Table:
        table = Table(box=None, show_header=not self._header_done, pad_edge=False)
        for name, width in _COLUMNS:
            table.add_column(name, justify="right", width=width, no_wrap=True)
        table.add_row(*cells)
        return table
