"""Kinetics-400 vocabularies: the 400 names, the sports subset and its groups."""

from __future__ import annotations

import json

import pytest

from sportslens.dive import DIVING48, Diving48Class, dive_number_of, diving48_class_names, parse
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


# Diving48 -------------------------------------------------------------------------------------

_TAKEOFF = {"Back": "back", "Forward": "forward", "Inward": "inward", "Reverse": "reverse"}
_POSITION = {"FREE": "free", "PIKE": "pike", "TUCK": "tuck", "STR": "straight"}


@pytest.mark.parametrize("row", DIVING48, ids=lambda row: row.number)
def test_diving48_row_number_decodes_to_the_row(row: Diving48Class) -> None:
    dive = parse(row.number)
    words = row.to_dict()  # as the dataset spells them
    assert dive.direction == row.direction == _TAKEOFF[words["takeoff"]]
    assert dive.half_somersaults == round(row.somersaults * 2)
    assert dive.half_twists == round(row.twists * 2)
    assert dive.position == row.position == _POSITION[words["position"]]
    assert dive.group == (5 if row.twists else dive.group) and not dive.flying
    assert dive_number_of(row.name) == row.number
    assert row.name.startswith(f"{row.number} ") and row.name.endswith(dive.describe())


def test_diving48_vocabulary_shape() -> None:
    assert [row.index for row in DIVING48] == list(range(48))
    assert len({row.number for row in DIVING48}) == 48
    names = diving48_class_names()
    assert names[15] == "201B Back dive, pike" and names[28] == "109C Forward 4½ somersaults, tuck"


@pytest.mark.parametrize(
    ("label", "number"), [("203b", "203B"), ("5253B", "5253B"), ("107C Forward 3½", "107C")]
)
def test_dive_number_of(label: str, number: str) -> None:
    assert dive_number_of(label) == number


@pytest.mark.parametrize("label", ["squat", "", "7001Z something", "class_03"])
def test_dive_number_of_rejects(label: str) -> None:
    with pytest.raises(ValueError, match="is not a dive number"):
        dive_number_of(label)


def test_labels_diving48_cli() -> None:
    from typer.testing import CliRunner

    from sportslens.cli import app

    result = CliRunner().invoke(app, ["labels", "diving48", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 48
    assert rows[0] == DIVING48[0].to_dict() and rows[29]["somersaults"] == "Dive"
