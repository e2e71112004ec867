"""Label vocabularies: Kinetics-400 class names and the sports among them.

Diving48's classes are dive knowledge and live in :mod:`sportslens.dive.diving48`.
"""

from sportslens.labels.kinetics import (
    SPORT_GROUPS,
    kinetics400_classes,
    kinetics400_sports,
    sport_of,
    sports_indices,
)

__all__ = [
    "SPORT_GROUPS",
    "kinetics400_classes",
    "kinetics400_sports",
    "sport_of",
    "sports_indices",
]
