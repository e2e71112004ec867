"""The ``sportslens`` command line: thin commands over the library.

Each module registers its commands on the one Typer ``app`` when imported; a new command group
is a new module plus an import line here.
"""

from __future__ import annotations

from sportslens.cli import (  # noqa: F401  (importing a module registers its commands)
    analyze,
    bench,
    cache,
    data,
    dive,
    export,
    form,
    inference,
    live,
    pose,
    serve,
    timeline,
    training,
)
from sportslens.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``sportslens`` console script."""
    app()
