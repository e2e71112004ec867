"""The Diving48 vocabulary: each class index's direction, somersaults, twists, position, number.

The table follows the dataset's ``Diving48_vocab.json`` (takeoff, somersaults, twists, position
per label) in the words of :mod:`sportslens.dive.numbers` (``back``, ``pike``: one vocabulary for
every dive), with each class's FINA dive number added. Somersaults and twists are counted in
whole turns as the dataset counts them (``Dive`` is a plain dive, one half somersault);
:attr:`Diving48Class.dive` gives the class as a :class:`~sportslens.dive.Dive`, and tests check
that every row's number decodes to the row's attributes. :meth:`Diving48Class.to_dict` spells
them as the dataset does (``Back``, ``PIKE``, ``STR``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sportslens.dive.numbers import Direction, Dive, Position, parse

__all__ = [
    "DIVING48",
    "Diving48Class",
    "class_name",
    "dive_number_of",
    "diving48_class_names",
]

# How Diving48_vocab.json spells a position; a takeoff is the direction, capitalised.
_DATASET_POSITION: dict[Position, str] = {
    "straight": "STR",
    "pike": "PIKE",
    "tuck": "TUCK",
    "free": "FREE",
}


@dataclass(frozen=True)
class Diving48Class:
    """One row of the vocabulary, as the dataset states it."""

    index: int
    direction: Direction  # the dataset's "takeoff"
    somersaults: float  # whole turns; 0.5 for the dataset's "Dive"
    twists: float  # whole turns
    position: Position
    number: str

    @property
    def dive(self) -> Dive:
        return parse(self.number)

    @property
    def name(self) -> str:
        """The class name catalogs use: ``203B Back 1½ somersaults, pike``."""
        return class_name(self.dive)

    def to_dict(self) -> dict[str, Any]:
        """The row as the dataset spells it (``Back``, ``PIKE``), with its name and description."""
        return {
            "index": self.index,
            "name": self.name,
            "takeoff": self.direction.capitalize(),
            "somersaults": "Dive" if self.somersaults == 0.5 else self.somersaults,
            "twists": self.twists,
            "position": _DATASET_POSITION[self.position],
            "number": self.number,
            "description": self.dive.describe(),
        }


_DIVE = 0.5
# (direction, somersaults, twists, position, number) in class-index order.
_ROWS: tuple[tuple[Direction, float, float, Position, str], ...] = (
    ("back", 1.5, 0.5, "free", "5231D"),
    ("back", 1.5, 1.5, "free", "5233D"),
    ("back", 1.5, 2.5, "free", "5235D"),
    ("back", 1.5, 0, "pike", "203B"),
    ("back", 1.5, 0, "tuck", "203C"),
    ("back", 2.5, 1.5, "pike", "5253B"),
    ("back", 2.5, 2.5, "pike", "5255B"),
    ("back", 2.5, 0, "pike", "205B"),
    ("back", 2.5, 0, "tuck", "205C"),
    ("back", 2, 1.5, "free", "5243D"),
    ("back", 2, 2.5, "free", "5245D"),
    ("back", 3.5, 0, "pike", "207B"),
    ("back", 3.5, 0, "tuck", "207C"),
    ("back", 3, 0, "pike", "206B"),
    ("back", 3, 0, "tuck", "206C"),
    ("back", _DIVE, 0, "pike", "201B"),
    ("back", _DIVE, 0, "tuck", "201C"),
    ("forward", 1.5, 1, "free", "5132D"),
    ("forward", 1.5, 2, "free", "5134D"),
    ("forward", 1.5, 0, "pike", "103B"),
    ("forward", 1, 0, "pike", "102B"),
    ("forward", 2.5, 1, "pike", "5152B"),
    ("forward", 2.5, 2, "pike", "5154B"),
    ("forward", 2.5, 3, "pike", "5156B"),
    ("forward", 2.5, 0, "pike", "105B"),
    ("forward", 2.5, 0, "tuck", "105C"),
    ("forward", 3.5, 0, "pike", "107B"),
    ("forward", 3.5, 0, "tuck", "107C"),
    ("forward", 4.5, 0, "tuck", "109C"),
    ("forward", _DIVE, 0, "pike", "101B"),
    ("forward", _DIVE, 0, "straight", "101A"),
    ("inward", 1.5, 0, "pike", "403B"),
    ("inward", 1.5, 0, "tuck", "403C"),
    ("inward", 2.5, 0, "pike", "405B"),
    ("inward", 2.5, 0, "tuck", "405C"),
    ("inward", 3.5, 0, "tuck", "407C"),
    ("inward", _DIVE, 0, "pike", "401B"),
    ("reverse", 1.5, 0.5, "free", "5331D"),
    ("reverse", 1.5, 1.5, "free", "5333D"),
    ("reverse", 1.5, 2.5, "free", "5335D"),
    ("reverse", 1.5, 3.5, "free", "5337D"),
    ("reverse", 1.5, 0, "pike", "303B"),
    ("reverse", 2.5, 1.5, "pike", "5353B"),
    ("reverse", 2.5, 0, "pike", "305B"),
    ("reverse", 2.5, 0, "tuck", "305C"),
    ("reverse", 3.5, 0, "tuck", "307C"),
    ("reverse", _DIVE, 0, "pike", "301B"),
    ("reverse", _DIVE, 0, "tuck", "301C"),
)

DIVING48: tuple[Diving48Class, ...] = tuple(
    Diving48Class(index, *row) for index, row in enumerate(_ROWS)
)
"""The 48 classes; ``DIVING48[label]`` is the class of a Diving48 label."""


def class_name(dive: Dive) -> str:
    """A class name that leads with the dive number: ``5253B Back 2½ somersaults, 1½ twists,
    pike``. :func:`dive_number_of` reads the number back."""
    return f"{dive.number} {dive.describe()}"


@cache
def diving48_class_names() -> tuple[str, ...]:
    """The 48 class names in label order, each its dive number and description."""
    return tuple(row.name for row in DIVING48)


def dive_number_of(label: str) -> str:
    """The dive number a class label names: the label itself (``203B``) or its first word
    (``203B Back 1½ somersaults, pike``); a ValueError when it names none."""
    word = label.strip().split(" ", 1)[0] if label.strip() else ""
    try:
        return parse(word).number
    except ValueError as error:
        raise ValueError(
            f"class {label!r} is not a dive number (or a name that starts with one): {error}"
        ) from error
