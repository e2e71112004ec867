"""Every Python example in the README runs, in order, against a generated video."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import MakeVideo

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(
    make_video: MakeVideo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sportslens.synth.clips import make_dataset
    from sportslens.synth.settings import ClipSettings

    make_video("lift.mp4", frames=90, height=128, width=160)
    make_dataset(
        tmp_path / "athletes", ClipSettings(fps=10, size=64).lasting(1.0),
        classes=["squat", "lunge"], per_class=5, workers=1, progress=False,
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README should show Python examples"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["x"].shape == (3, 16, 112, 112)  # type: ignore[attr-defined]
    assert namespace["clip"].shape == (3, 16, 112, 112)  # type: ignore[attr-defined]
    assert namespace["label"] in (0, 1) and namespace["failed"] == -1
