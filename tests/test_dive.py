"""Dive numbers: every Diving48 number decodes and reads back; invalid ones name the rule."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.dive import Direction, Dive, Position, compose, parse

# All 48 Diving48 dive numbers with their description, written out by hand from the rules.
DIVING48_DESCRIPTIONS = [
    ("5231D", "Back 1½ somersaults, ½ twist, free"),
    ("5233D", "Back 1½ somersaults, 1½ twists, free"),
    ("5235D", "Back 1½ somersaults, 2½ twists, free"),
    ("203B", "Back 1½ somersaults, pike"),
    ("203C", "Back 1½ somersaults, tuck"),
    ("5253B", "Back 2½ somersaults, 1½ twists, pike"),
    ("5255B", "Back 2½ somersaults, 2½ twists, pike"),
    ("205B", "Back 2½ somersaults, pike"),
    ("205C", "Back 2½ somersaults, tuck"),
    ("5243D", "Back 2 somersaults, 1½ twists, free"),
    ("5245D", "Back 2 somersaults, 2½ twists, free"),
    ("207B", "Back 3½ somersaults, pike"),
    ("207C", "Back 3½ somersaults, tuck"),
    ("206B", "Back 3 somersaults, pike"),
    ("206C", "Back 3 somersaults, tuck"),
    ("201B", "Back dive, pike"),
    ("201C", "Back dive, tuck"),
    ("5132D", "Forward 1½ somersaults, 1 twist, free"),
    ("5134D", "Forward 1½ somersaults, 2 twists, free"),
    ("103B", "Forward 1½ somersaults, pike"),
    ("102B", "Forward 1 somersault, pike"),
    ("5152B", "Forward 2½ somersaults, 1 twist, pike"),
    ("5154B", "Forward 2½ somersaults, 2 twists, pike"),
    ("5156B", "Forward 2½ somersaults, 3 twists, pike"),
    ("105B", "Forward 2½ somersaults, pike"),
    ("105C", "Forward 2½ somersaults, tuck"),
    ("107B", "Forward 3½ somersaults, pike"),
    ("107C", "Forward 3½ somersaults, tuck"),
    ("109C", "Forward 4½ somersaults, tuck"),
    ("101B", "Forward dive, pike"),
    ("101A", "Forward dive, straight"),
    ("403B", "Inward 1½ somersaults, pike"),
    ("403C", "Inward 1½ somersaults, tuck"),
    ("405B", "Inward 2½ somersaults, pike"),
    ("405C", "Inward 2½ somersaults, tuck"),
    ("407C", "Inward 3½ somersaults, tuck"),
    ("401B", "Inward dive, pike"),
    ("5331D", "Reverse 1½ somersaults, ½ twist, free"),
    ("5333D", "Reverse 1½ somersaults, 1½ twists, free"),
    ("5335D", "Reverse 1½ somersaults, 2½ twists, free"),
    ("5337D", "Reverse 1½ somersaults, 3½ twists, free"),
    ("303B", "Reverse 1½ somersaults, pike"),
    ("5353B", "Reverse 2½ somersaults, 1½ twists, pike"),
    ("305B", "Reverse 2½ somersaults, pike"),
    ("305C", "Reverse 2½ somersaults, tuck"),
    ("307C", "Reverse 3½ somersaults, tuck"),
    ("301B", "Reverse dive, pike"),
    ("301C", "Reverse dive, tuck"),
]


@pytest.mark.parametrize(("number", "description"), DIVING48_DESCRIPTIONS)
def test_diving48_numbers_decode_and_read_back(number: str, description: str) -> None:
    dive = parse(number)
    assert dive.describe() == description
    assert dive.number == number
    rebuilt = compose(dive.direction, dive.half_somersaults, dive.position, dive.half_twists)
    assert rebuilt == dive


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("107B", Dive(1, "forward", False, 7, 0, "pike")),
        ("305C", Dive(3, "reverse", False, 5, 0, "tuck")),
        ("5253B", Dive(5, "back", False, 5, 3, "pike")),
        ("112B", Dive(1, "forward", True, 2, 0, "pike")),
        ("413c", Dive(4, "inward", True, 3, 0, "tuck")),
        (" 5111A ", Dive(5, "forward", False, 1, 1, "straight")),
        ("612B", Dive(6, "forward", False, 2, 0, "pike")),
        ("6243D", Dive(6, "back", False, 4, 3, "free")),
        ("631A", Dive(6, "reverse", False, 1, 0, "straight")),
        ("5411D", Dive(5, "inward", False, 1, 1, "free")),
    ],
)
def test_attributes(number: str, expected: Dive) -> None:
    assert parse(number) == expected
    assert parse(number).number == number.strip().upper()


@pytest.mark.parametrize(
    ("number", "description"),
    [
        ("112B", "Forward flying 1 somersault, pike"),
        ("612B", "Armstand forward 1 somersault, pike"),
        ("6243D", "Armstand back 2 somersaults, 1½ twists, free"),
        ("631A", "Armstand reverse dive, straight"),
        ("5111A", "Forward dive, ½ twist, straight"),
    ],
)
def test_describe_flying_and_armstand(number: str, description: str) -> None:
    assert parse(number).describe() == description


@pytest.mark.parametrize(
    ("number", "rules"),
    [
        ("", ["rule 1"]),
        ("   ", ["rule 1"]),
        ("7001Z", ["rule 2: group 7", "rule 6: position letter Z"]),
        ("12B", ["rule 1 wants three or four digits, got 2"]),
        ("5B", ["rule 1 wants three or four digits, got 1"]),
        ("12345B", ["rule 1 wants three or four digits, got 5"]),
        ("107", ["rule 1 wants exactly one letter", "got none"]),
        ("107BB", ["rule 1 wants exactly one letter", "got 2 letters"]),
        ("B107", ["rule 1 wants three or four digits followed by one letter"]),
        ("10-7B", ["rule 1"]),
        ("107E", ["rule 6: position letter E"]),
        ("007B", ["rule 2: group 0"]),
        ("827C", ["rule 2: group 8"]),
        ("127B", ["rule 3: the second digit of a group-1 dive is 0 or 1, got 2"]),
        ("503B", ["rule 3", "direction 1-4, got 0", "rule 1: a twisting (group 5) dive has four"]),
        ("5532D", ["rule 3: the second digit of a group-5 dive is the direction 1-4, got 5"]),
        ("6032D", ["rule 3: the second digit of a group-6 dive"]),
        ("100A", ["rule 4"]),
        ("5203D", ["rule 4"]),
        ("1031B", ["rule 1: a group-1 (forward) dive has three digits, got four"]),
        ("4031C", ["rule 1: a group-4 (inward) dive has three digits"]),
        ("525B", ["rule 1: a twisting (group 5) dive has four digits, got three"]),
        ("5130D", ["rule 5"]),
        ("6240D", ["rule 5"]),
    ],
)
def test_invalid_numbers_name_the_broken_rule(number: str, rules: list[str]) -> None:
    with pytest.raises(ValueError) as caught:
        parse(number)
    for rule in rules:
        assert rule in str(caught.value)


@pytest.mark.parametrize(
    ("direction", "halves", "position", "twists", "flying", "armstand", "number"),
    [
        ("forward", 7, "pike", 0, False, False, "107B"),
        ("back", 5, "pike", 3, False, False, "5253B"),
        ("inward", 3, "tuck", 0, True, False, "413C"),
        ("back", 4, "free", 3, False, True, "6243D"),
        ("reverse", 2, "straight", 0, False, True, "632A"),
    ],
)
def test_compose(
    direction: Direction,
    halves: int,
    position: Position,
    twists: int,
    flying: bool,
    armstand: bool,
    number: str,
) -> None:
    dive = compose(direction, halves, position, twists, flying=flying, armstand=armstand)
    assert dive.number == number


@pytest.mark.parametrize(
    ("direction", "halves", "position", "twists", "flying", "message"),
    [
        ("sideways", 1, "pike", 0, False, "direction"),
        ("back", 1, "layout", 0, False, "position"),
        ("back", 0, "pike", 0, False, "half_somersaults"),
        ("back", 10, "pike", 0, False, "half_somersaults"),
        ("back", 3, "pike", -1, False, "half_twists"),
        ("back", 3, "pike", 1, True, "flying"),
    ],
)
def test_compose_rejects(
    direction: Direction, halves: int, position: Position, twists: int, flying: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compose(direction, halves, position, twists, flying=flying)


def test_cli_decodes_as_json_and_exits_2_on_invalid() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["dive", "107B", "5253B", "--json"])
    assert result.exit_code == 0, result.output
    decoded = json.loads(result.stdout)
    assert [d["number"] for d in decoded] == ["107B", "5253B"]
    assert decoded[1]["description"] == "Back 2½ somersaults, 1½ twists, pike"
    assert (decoded[1]["somersaults"], decoded[1]["twists"]) == (2.5, 1.5)
    table = runner.invoke(app, ["dive", "305C"])
    assert table.exit_code == 0 and "Reverse 2½ somersaults, tuck" in table.stdout
    bad = runner.invoke(app, ["dive", "107B", "7001Z"])
    assert bad.exit_code == 2
    assert "rule 2" in bad.stderr and "7001Z" in bad.stderr


def test_docs_diving_python_examples_run() -> None:
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "diving.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(page), "exec"), {})
