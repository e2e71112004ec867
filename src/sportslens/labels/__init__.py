"""Label vocabularies: Kinetics-400 class names and the sports among them."""

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
