"""Label vocabularies: Kinetics-400 class names and the sports among them; Diving48's classes."""

from sportslens.labels.diving48 import DIVING48, Diving48Class, dive_number_of, diving48_class_names
from sportslens.labels.kinetics import (
    SPORT_GROUPS,
    kinetics400_classes,
    kinetics400_sports,
    sport_of,
    sports_indices,
)

__all__ = [
    "DIVING48",
    "SPORT_GROUPS",
    "Diving48Class",
    "dive_number_of",
    "diving48_class_names",
    "kinetics400_classes",
    "kinetics400_sports",
    "sport_of",
    "sports_indices",
]
