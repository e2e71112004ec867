"""Dive numbers (FINA numbering): parse ``5253B`` into its parts, describe it, and build one.

The rules, numbered as the errors cite them:

1. Three or four digits and one letter; twisting dives have four digits, others three
   (armstand dives have four digits when they twist).
2. First digit, the group: 1 forward, 2 back, 3 reverse, 4 inward, 5 twisting, 6 armstand.
3. Groups 1-4: the second digit is 1 for a flying action, else 0. Groups 5 and 6: the second
   digit is the direction (1 forward, 2 back, 3 reverse, 4 inward).
4. Third digit: the number of half somersaults (1-9; a plain dive is one half somersault).
5. Fourth digit, when there is one: the number of half twists (1-9).
6. Letter: A straight, B pike, C tuck, D free.

Examples: ``107B`` forward 3½ somersaults pike; ``305C`` reverse 2½ somersaults tuck;
``5253B`` back 2½ somersaults, 1½ twists, pike. FINA's tables list no inward armstand dives;
rule 3 as written accepts direction 4 for group 6 as well, and so does :func:`parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "DIRECTIONS",
    "POSITIONS",
    "Direction",
    "Dive",
    "Position",
    "compose",
    "parse",
]

Direction = Literal["forward", "back", "reverse", "inward"]
Position = Literal["straight", "pike", "tuck", "free"]

DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
"""Directions in digit order: ``DIRECTIONS[digit - 1]``."""
POSITIONS: tuple[Position, ...] = get_args(Position)
"""Positions in letter order: ``POSITIONS[ord(letter) - ord("A")]``."""

_GROUPS = {1: "forward", 2: "back", 3: "reverse", 4: "inward", 5: "twisting", 6: "armstand"}
_SHAPE = re.compile(r"(\d+)([A-Za-z]*)")


@dataclass(frozen=True)
class Dive:
    """One dive: its group (1-6), direction, flying action, half somersaults, half twists and
    position. Build it with :func:`parse` or :func:`compose`, which check the rules."""

    group: int
    direction: Direction
    flying: bool
    half_somersaults: int
    half_twists: int
    position: Position

    @property
    def letter(self) -> str:
        """The position letter: A straight, B pike, C tuck, D free."""
        return "ABCD"[POSITIONS.index(self.position)]

    @property
    def number(self) -> str:
        """The dive number, e.g. ``5253B``."""
        if self.group <= 4:
            second = "1" if self.flying else "0"
        else:
            second = str(DIRECTIONS.index(self.direction) + 1)
        twists = str(self.half_twists) if self.half_twists else ""
        return f"{self.group}{second}{self.half_somersaults}{twists}{self.letter}"

    @property
    def armstand(self) -> bool:
        return self.group == 6

    def describe(self) -> str:
        """In words: ``Back 2½ somersaults, 1½ twists, pike``; ``Forward dive, pike``."""
        words = ["Armstand", self.direction] if self.armstand else [self.direction.capitalize()]
        if self.flying:
            words.append("flying")
        if self.half_somersaults == 1:
            words.append("dive")
        else:
            words.append(f"{_halves(self.half_somersaults)} somersault{_plural(self)}")
        parts = [" ".join(words)]
        if self.half_twists:
            twists = _halves(self.half_twists)
            parts.append(f"{twists} twist{'' if self.half_twists <= 2 else 's'}")
        parts.append(self.position)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Every attribute, the number and the description (JSON-ready)."""
        return {
            "number": self.number,
            "description": self.describe(),
            "group": self.group,
            "group_name": _GROUPS[self.group],
            "direction": self.direction,
            "flying": self.flying,
            "armstand": self.armstand,
            "half_somersaults": self.half_somersaults,
            "somersaults": self.half_somersaults / 2,
            "half_twists": self.half_twists,
            "twists": self.half_twists / 2,
            "position": self.position,
        }


def _halves(count: int) -> str:
    """A count of halves in words: 1 → ½, 2 → 1, 5 → 2½."""
    whole, half = divmod(count, 2)
    if not half:
        return str(whole)
    return f"{whole}½" if whole else "½"


def _plural(dive: Dive) -> str:
    return "" if dive.half_somersaults <= 2 else "s"


def parse(number: str) -> Dive:
    """Decode a dive number such as ``107B`` or ``5253B``; a ValueError names each broken rule."""
    if not isinstance(number, str):
        raise ValueError(f"a dive number must be a string, got {type(number).__name__}")
    text = number.strip().upper()
    if not text:
        raise ValueError("empty dive number: rule 1 wants three or four digits and a letter")
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        raise ValueError(
            f"dive number {number!r}: rule 1 wants three or four digits followed by one letter"
        )
    digits, letter = shape.groups()
    problems = _shape_problems(digits, letter)
    if len(digits) in (3, 4):
        problems = _digit_problems(digits) + problems
    if problems:
        raise ValueError(f"dive number {number!r}: " + "; ".join(problems))
    group = int(digits[0])
    second = int(digits[1])
    return Dive(
        group=group,
        direction=DIRECTIONS[(group if group <= 4 else second) - 1],
        flying=group <= 4 and second == 1,
        half_somersaults=int(digits[2]),
        half_twists=int(digits[3]) if len(digits) == 4 else 0,
        position=POSITIONS["ABCD".index(letter)],
    )


def _shape_problems(digits: str, letter: str) -> list[str]:
    """Rules 1 and 6: how many digits, and which letter."""
    problems = []
    if len(digits) not in (3, 4):
        problems.append(f"rule 1 wants three or four digits, got {len(digits)} ({digits})")
    if len(letter) != 1:
        got = f"{len(letter)} letters ({letter})" if letter else "none"
        problems.append(f"rule 1 wants exactly one letter after the digits, got {got}")
    elif letter not in "ABCD":
        problems.append(f"rule 6: position letter {letter} is not A, B, C or D")
    return problems


def _digit_problems(digits: str) -> list[str]:
    """Rules 1-5 on three or four digits."""
    group, second, halves = (int(d) for d in digits[:3])
    twisting = len(digits) == 4
    problems = []
    if group not in _GROUPS:
        names = ", ".join(f"{k} {v}" for k, v in _GROUPS.items())
        return [f"rule 2: group {group} is not one of {names}"]
    if group <= 4 and second not in (0, 1):
        problems.append(f"rule 3: the second digit of a group-{group} dive is 0 or 1, got {second}")
    if group >= 5 and not 1 <= second <= 4:
        problems.append(
            f"rule 3: the second digit of a group-{group} dive is the direction 1-4, got {second}"
        )
    if halves == 0:
        problems.append("rule 4: the third digit counts half somersaults and must be at least 1")
    if twisting and group <= 4:
        problems.append(
            f"rule 1: a group-{group} ({_GROUPS[group]}) dive has three digits, got four; "
            "twisting dives are group 5"
        )
    if not twisting and group == 5:
        problems.append("rule 1: a twisting (group 5) dive has four digits, got three")
    if twisting and digits[3] == "0":
        problems.append("rule 5: the fourth digit counts half twists and must be at least 1")
    return problems


def compose(
    direction: Direction,
    half_somersaults: int,
    position: Position,
    half_twists: int = 0,
    *,
    flying: bool = False,
    armstand: bool = False,
) -> Dive:
    """The dive with these attributes; its group follows from them (5 when it twists, 6 from an
    armstand). The number is built and parsed back, so the same rules apply."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}, got {position!r}")
    counts = (("half_somersaults", half_somersaults, 1), ("half_twists", half_twists, 0))
    for name, value, low in counts:
        if not isinstance(value, int) or not low <= value <= 9:
            raise ValueError(f"{name} must be an integer from {low} to 9, got {value!r}")
    if flying and (armstand or half_twists):
        raise ValueError("rule 3: only dives of groups 1-4 (no twist, no armstand) can be flying")
    code = DIRECTIONS.index(direction) + 1
    if armstand:
        prefix = f"6{code}"
    elif half_twists:
        prefix = f"5{code}"
    else:
        prefix = f"{code}{int(flying)}"
    twists = str(half_twists) if half_twists else ""
    return parse(f"{prefix}{half_somersaults}{twists}{'ABCD'[POSITIONS.index(position)]}")
