"""Kinetics-400 vocabularies: the 400 names, the sports subset and its groups."""

from __future__ import annotations

import pytest

from sportslens.labels import (
    SPORT_GROUPS,
    kinetics400_classes,
    kinetics400_sports,
    sport_of,
    sports_indices,
)
from sportslens.labels.kinetics import _sport_by_class

# The count the module docstring and the quick-start chapter give.
NUM_SPORTS = 134


def test_400_unique_names() -> None:
    classes = kinetics400_classes()
    assert len(classes) == 400
    assert len(set(classes)) == 400


@pytest.mark.parametrize(
    ("index", "name"),
    [
        (0, "abseiling"),
        (5, "archery"),
        (59, "clean and jerk"),
        (220, "playing basketball"),
        (329, "springboard diving"),
        (399, "zumba"),
    ],
)
def test_known_names_at_known_indices(index: int, name: str) -> None:
    assert kinetics400_classes()[index] == name


def test_classes_are_a_fresh_list() -> None:
    kinetics400_classes().clear()
    assert len(kinetics400_classes()) == 400


def test_every_group_name_is_a_kinetics_class() -> None:
    classes = set(kinetics400_classes())
    unknown = [name for names in SPORT_GROUPS.values() for name in names if name not in classes]
    assert unknown == []


def test_no_class_in_two_groups() -> None:
    names = [name for names in SPORT_GROUPS.values() for name in names]
    assert len(names) == len(set(names))


def test_groups_are_in_label_index_order() -> None:
    index = {name: i for i, name in enumerate(kinetics400_classes())}
    for sport, names in SPORT_GROUPS.items():
        assert names, sport
        assert [index[n] for n in names] == sorted(index[n] for n in names), sport


def test_sports_count() -> None:
    assert len(kinetics400_sports()) == NUM_SPORTS
    assert sum(len(names) for names in SPORT_GROUPS.values()) == NUM_SPORTS


def test_sports_indices_match_names() -> None:
    classes = kinetics400_classes()
    indices = sports_indices()
    assert indices == sorted(indices)
    assert [classes[i] for i in indices] == kinetics400_sports()


def test_sport_of_agrees_with_groups() -> None:
    for sport, names in SPORT_GROUPS.items():
        for name in names:
            assert sport_of(name) == sport
    non_sports = set(kinetics400_classes()) - set(kinetics400_sports())
    assert len(non_sports) == 400 - NUM_SPORTS
    assert all(sport_of(name) is None for name in non_sports)


@pytest.mark.parametrize(
    ("name", "sport"),
    [
        ("clean and jerk", "weightlifting and fitness"),
        ("springboard diving", "swimming and diving"),
        ("javelin throw", "athletics"),
        ("dunking basketball", "ball sports"),
        ("punching person (boxing)", "combat sports"),
        ("skiing crosscountry", "winter sports"),
        ("salsa dancing", "dance"),
        ("eating burger", None),
        ("playing guitar", None),
        ("parasailing", None),
    ],
)
def test_sport_of_spot_checks(name: str, sport: str | None) -> None:
    assert sport_of(name) == sport


def test_sport_of_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"'playing baskteball'.*'playing basketball'"):
        sport_of("playing baskteball")


def test_duplicate_class_across_groups_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'yoga' is in two sport groups"):
        _sport_by_class({"fitness": ("yoga",), "dance": ("yoga",)})
