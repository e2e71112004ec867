"""Config files and values: malformed YAML and wrong types name the file, the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.train import TrainConfig
from sportslens.typed_config import ConfigError

runner = CliRunner()

CASES = [
    # (YAML text, the error after "PATH")
    ('epochs: "three"\n', r", line 1: epochs must be an integer, got 'three'$"),
    ("model: tcn\nepochs: 3.5\n", r", line 2: epochs must be an integer, got 3.5$"),
    ("epochs: true\n", r", line 1: epochs must be an integer, got True$"),
    ("lr: 1e-3\n", r", line 1: lr must be a number, got '1e-3' \(text: .*1\.0e-3 as a number\)"),
    ("seed: '7'\n", r", line 1: seed must be an integer, got '7' \(text: write numbers without"),
    ("clip_grad: big\n", r", line 1: clip_grad must be a number or null, got 'big'$"),
    ("pretrained: 5\n", r", line 1: pretrained must be a string or null, got 5$"),
    ("split: [0.5, 0.5]\n", r", line 1: split must be a list of 3 values, each a number"),
    ("head_weights: {position: two}\n", r", line 1: head_weights must be a mapping whose values"),
    ("model_kwargs: [width]\n", r", line 1: model_kwargs must be a mapping, got \['width'\]$"),
    ("optimizer: lamb\n", r", line 1: optimizer must be one of \('adamw', 'adam', 'sgd'\)"),
    ("\n\nbatch_size: 0\n", r", line 3: batch_size must be at least 1, got 0$"),
    ("epochs: [3\n", r", line 2, column 1: not valid YAML \(expected ',' or ']'"),
    ("epochs: 3\n  lr: 2\n", r", line 2, column 5: not valid YAML \(mapping values are not"),
    ("epochs: 3\nepochs\n", r", line 3, column 1: not valid YAML \(could not find expected ':'"),
    ("- epochs\n", r": expected a mapping of training options to values, got \['epochs'\]$"),
    ("epochz: 7\n", r": unknown training options \['epochz'\]; known: "),
]


@pytest.mark.parametrize(("text", "error"), CASES)
def test_a_bad_config_file_names_the_file_the_key_and_the_line(
    text: str, error: str, tmp_path: Path
) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as raised:
        TrainConfig.from_yaml(path)
    assert str(raised.value).startswith(str(path))
    assert raised.match(error)


def test_a_flag_overrides_a_bad_file_value_and_is_checked_itself(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text('epochs: "three"\nsplit: [0.7, 0.15, 0.15]\n')
    cfg = TrainConfig.from_yaml(path, epochs=3)
    assert (cfg.epochs, cfg.split) == (3, (0.7, 0.15, 0.15))
    with pytest.raises(ConfigError, match=r"^batch_size must be an integer, got '8'") as raised:
        TrainConfig.from_yaml(path, epochs=3, batch_size="8")  # not the file's fault
    assert raised.value.key == "batch_size"
    with pytest.raises(ConfigError, match=r"^workers must be an integer, got 2\.0$"):
        TrainConfig(workers=2.0)  # type: ignore[arg-type]


def test_the_cli_prints_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text('model: r2plus1d_tiny\nepochs: "three"\n')
    result = runner.invoke(app, ["train", str(tmp_path), "--out", str(tmp_path / "run"),
                                 "--config", str(path)])  # fmt: skip
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert f"{path}, line 2: epochs must be an integer, got 'three'" in result.output
