"""Diving: FINA dive numbers, the Diving48 vocabulary, and attribute heads that compose dives.

``numbers`` parses, describes and composes dive numbers and names the one vocabulary
(:data:`DIRECTIONS`, :data:`POSITIONS`); ``diving48`` is the Diving48 classes in those words.
Both are plain Python and load here. ``attributes`` (the heads, their targets, loss and composed
prediction, on torch) and ``evaluation`` (per-attribute metrics and the report section) are
imported by their full names.
"""

from sportslens.dive.diving48 import (
    DIVING48,
    Diving48Class,
    class_name,
    dive_number_of,
    diving48_class_names,
)
from sportslens.dive.numbers import (
    DIRECTIONS,
    POSITIONS,
    Direction,
    Dive,
    Position,
    compose,
    parse,
)

__all__ = [
    "DIRECTIONS",
    "DIVING48",
    "POSITIONS",
    "Direction",
    "Dive",
    "Diving48Class",
    "Position",
    "class_name",
    "compose",
    "dive_number_of",
    "diving48_class_names",
    "parse",
]
