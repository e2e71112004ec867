"""``sportslens --help`` and ``--version`` answer without importing torch (they stay fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "torchvision", "av", "numpy", "pandas", "matplotlib")

# Run the console script's entry point, then list which heavy modules it pulled in.
PROBE = """
import sys
from sportslens.cli import main
sys.argv = ["sportslens", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["predict", "--help"], ["train", "--help"]]
)
def test_help_and_version_import_no_torch(args: list[str]) -> None:
    code = PROBE.format(args=args, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    )
    assert "Usage" in done.stdout or "sportslens 0" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY=", done.stdout


def test_public_names_still_load_on_use() -> None:
    import sportslens

    assert callable(sportslens.probe)
    assert sportslens.sampling.uniform(10, 2).tolist() == [2, 7]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sportslens.nope  # type: ignore[attr-defined]


def test_every_public_name_resolves() -> None:
    import sportslens

    for name in sportslens.__all__:
        assert getattr(sportslens, name) is not None, name
