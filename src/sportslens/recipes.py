"""Shipped recipes: one training YAML per source pipeline that sportslens reproduces.

Each file in ``sportslens/configs/`` maps one-to-one onto :class:`~sportslens.train.TrainConfig`
and opens with ``# key: value`` comment lines saying what it reproduces, the result the original
reported, the data it expects and the hardware a full run needs. ``train --config NAME`` takes a
recipe's name (the file name without ``.yaml``) as well as a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["Recipe", "list_recipes", "recipe_path"]

_HEADER_KEYS = ("reproduces", "reported", "data", "hardware")


@dataclass(frozen=True)
class Recipe:
    """A shipped training configuration and what its header comments say about it."""

    name: str
    path: Path
    reproduces: str
    reported: str
    data: str
    hardware: str


def recipes_folder() -> Path:
    """The folder of shipped recipe YAML files (inside the installed package)."""
    return Path(str(resources.files("sportslens") / "configs"))


def list_recipes() -> list[Recipe]:
    """Every shipped recipe, sorted by name."""
    return sorted((read_recipe(p) for p in recipes_folder().glob("*.yaml")), key=lambda r: r.name)


def read_recipe(path: Path) -> Recipe:
    """A recipe from its file: the header's ``# key: value`` lines (a missing key reads "")."""
    header: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break  # the header ends at the first option
        key, _, value = line.lstrip("# ").partition(":")
        if key in _HEADER_KEYS:
            header[key] = value.strip()
    return Recipe(path.stem, path, **{key: header.get(key, "") for key in _HEADER_KEYS})


def recipe_path(name_or_path: str | Path) -> Path:
    """A YAML file as given, else the shipped recipe of that name; else say which exist."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = recipes_folder() / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(recipe.name for recipe in list_recipes())
    raise ValueError(
        f"{name_or_path}: neither a YAML file nor a shipped recipe; recipes: {names} "
        "(sportslens recipes lists them)"
    )
