"""The Diving48 vocabulary: each class index's takeoff, somersaults, twists, position and number.

The table follows the dataset's ``Diving48_vocab.json`` (takeoff, somersaults, twists, position
per label), with each class's FINA dive number added. Somersaults and twists are counted in whole
turns as the dataset counts them (``Dive`` is a plain dive, one half somersault);
:attr:`Diving48Class.dive` gives the class as a :class:`~sportslens.dive.Dive`, and tests check
that every row's number decodes to the row's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sportslens.dive.numbers import Dive, parse

__all__ = [
    "DIVING48",
    "Diving48Class",
    "class_name",
    "dive_number_of",
    "diving48_class_names",
]

Takeoff = Literal["Back", "Forward", "Inward", "Reverse"]
Diving48Position = Literal["FREE", "PIKE", "TUCK", "STR"]


@dataclass(frozen=True)
class Diving48Class:
    """One row of the vocabulary, as the dataset states it."""

    index: int
    takeoff: Takeoff
    somersaults: float  # whole turns; 0.5 for the dataset's "Dive"
    twists: float  # whole turns
    position: Diving48Position
    number: str

    @property
    def dive(self) -> Dive:
        return parse(self.number)

    @property
    def name(self) -> str:
        """The class name catalogs use: ``203B Back 1½ somersaults, pike``."""
        return class_name(self.dive)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "takeoff": self.takeoff,
            "somersaults": "Dive" if self.somersaults == 0.5 else self.somersaults,
            "twists": self.twists,
            "position": self.position,
            "number": self.number,
            "description": self.dive.describe(),
        }


_DIVE = 0.5
# (takeoff, somersaults, twists, position, number) in class-index order.
_ROWS: tuple[tuple[Takeoff, float, float, Diving48Position, str], ...] = (
    ("Back", 1.5, 0.5, "FREE", "5231D"),
    ("Back", 1.5, 1.5, "FREE", "5233D"),
    ("Back", 1.5, 2.5, "FREE", "5235D"),
    ("Back", 1.5, 0, "PIKE", "203B"),
    ("Back", 1.5, 0, "TUCK", "203C"),
    ("Back", 2.5, 1.5, "PIKE", "5253B"),
    ("Back", 2.5, 2.5, "PIKE", "5255B"),
    ("Back", 2.5, 0, "PIKE", "205B"),
    ("Back", 2.5, 0, "TUCK", "205C"),
    ("Back", 2, 1.5, "FREE", "5243D"),
    ("Back", 2, 2.5, "FREE", "5245D"),
    ("Back", 3.5, 0, "PIKE", "207B"),
    ("Back", 3.5, 0, "TUCK", "207C"),
    ("Back", 3, 0, "PIKE", "206B"),
    ("Back", 3, 0, "TUCK", "206C"),
    ("Back", _DIVE, 0, "PIKE", "201B"),
    ("Back", _DIVE, 0, "TUCK", "201C"),
    ("Forward", 1.5, 1, "FREE", "5132D"),
    ("Forward", 1.5, 2, "FREE", "5134D"),
    ("Forward", 1.5, 0, "PIKE", "103B"),
    ("Forward", 1, 0, "PIKE", "102B"),
    ("Forward", 2.5, 1, "PIKE", "5152B"),
    ("Forward", 2.5, 2, "PIKE", "5154B"),
    ("Forward", 2.5, 3, "PIKE", "5156B"),
    ("Forward", 2.5, 0, "PIKE", "105B"),
    ("Forward", 2.5, 0, "TUCK", "105C"),
    ("Forward", 3.5, 0, "PIKE", "107B"),
    ("Forward", 3.5, 0, "TUCK", "107C"),
    ("Forward", 4.5, 0, "TUCK", "109C"),
    ("Forward", _DIVE, 0, "PIKE", "101B"),
    ("Forward", _DIVE, 0, "STR", "101A"),
    ("Inward", 1.5, 0, "PIKE", "403B"),
    ("Inward", 1.5, 0, "TUCK", "403C"),
    ("Inward", 2.5, 0, "PIKE", "405B"),
    ("Inward", 2.5, 0, "TUCK", "405C"),
    ("Inward", 3.5, 0, "TUCK", "407C"),
    ("Inward", _DIVE, 0, "PIKE", "401B"),
    ("Reverse", 1.5, 0.5, "FREE", "5331D"),
    ("Reverse", 1.5, 1.5, "FREE", "5333D"),
    ("Reverse", 1.5, 2.5, "FREE", "5335D"),
    ("Reverse", 1.5, 3.5, "FREE", "5337D"),
    ("Reverse", 1.5, 0, "PIKE", "303B"),
    ("Reverse", 2.5, 1.5, "PIKE", "5353B"),
    ("Reverse", 2.5, 0, "PIKE", "305B"),
    ("Reverse", 2.5, 0, "TUCK", "305C"),
    ("Reverse", 3.5, 0, "TUCK", "307C"),
    ("Reverse", _DIVE, 0, "PIKE", "301B"),
    ("Reverse", _DIVE, 0, "TUCK", "301C"),
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
