"""The install a new user gets: every dependency that can break us at its next major is bounded."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

# Calendar-versioned (no major to bound by) or type stubs that only feed mypy.
UNBOUNDED = {"fsspec", "pandas-stubs", "types-PyYAML"}


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    return [*project["dependencies"], *(req for extra in extras for req in extra)]


def package(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return match.group(0)


def test_every_dependency_has_an_upper_bound_or_a_pin() -> None:
    unbounded = [
        req
        for req in requirements()
        if package(req) not in UNBOUNDED | {"sportslens"} and not re.search(r"<|==", req)
    ]
    assert unbounded == []


def test_the_constraints_file_pins_a_version_each_range_allows() -> None:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = [Requirement(line) for line in lines if line and not line.startswith("#")]
    pinned = {canonicalize_name(pin.name): pin for pin in pins}
    assert all(str(pin.specifier).startswith("==") for pin in pins)
    for req in map(Requirement, requirements()):
        if req.name == "sportslens":
            continue
        version = str(pinned[canonicalize_name(req.name)].specifier).removeprefix("==")
        assert req.specifier.contains(version), f"constraints.txt pins {req.name}=={version}"
