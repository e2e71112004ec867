"""One vocabulary (docs/cli.md): renamed options, their deprecated spellings, --json, --device,
--save folders, inputs that are folders or glob patterns, and training's per-epoch rows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import TINY_TRAINING, MakeVideo
from sportslens.cli import app
from sportslens.cli.training import TRAIN_DEFAULTS
from sportslens.runs import next_run_dir
from sportslens.sources import expand_sources
from sportslens.train import TrainConfig

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _json(args: list[str]) -> Any:
    """Run with --json: stdout is the JSON alone (progress and warnings go to stderr)."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _warns(output: str, old: str, new: str) -> bool:
    return f"warning: {old} is deprecated; use {new}" in " ".join(output.split())


# -- training and evaluation: one tiny run shared by the tests below ------------------------


@pytest.fixture(scope="module")
def trained(athletes: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`sportslens train` on the tiny athletes for two epochs: the run folder and its output."""
    root = tmp_path_factory.mktemp("trained")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY_TRAINING, "split": list(TINY_TRAINING["split"])}))
    run = root / "run"
    args = ["train", str(athletes), "--out", str(run), "--config", str(config), "--epochs", "2"]
    return run, _ok(args)


def test_train_prints_a_row_per_epoch_and_the_next_command(trained: tuple[Path, str]) -> None:
    run, output = trained
    lines = output.splitlines()
    header = next(line for line in lines if "val accuracy" in line)
    for column in ("epoch", "loss", "accuracy", "lr", "time"):
        assert column in header
    rows = [line.split() for line in lines if re.match(r"\s+\d+/2\s", line)]
    assert [row[0] for row in rows] == ["1/2", "2/2"]  # numbered from 1, of the total
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for row, epoch in zip(rows, history, strict=True):
        assert row[4] == f"{100 * epoch['val_acc1']:.1f}%"  # accuracy in percent on screen
        assert epoch["seconds"] > 0
    assert f"next: sportslens evaluate --checkpoint {run}" in " ".join(output.split())


def test_train_json(athletes: Path, tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY_TRAINING, "split": list(TINY_TRAINING["split"])}))
    args = ["train", str(athletes), "--out", str(tmp_path / "run"), "--config", str(config)]
    result = runner.invoke(app, [*args, "--epochs", "1", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["best"]["epoch"] == 1 and 0 <= answer["best"]["val_acc1"] <= 1
    assert answer["next"] == f"sportslens evaluate --checkpoint {tmp_path / 'run'}"


def test_train_help_shows_every_default_and_the_weights_help() -> None:
    assert {name: getattr(TrainConfig(), name) for name in TRAIN_DEFAULTS} == TRAIN_DEFAULTS
    text = " ".join(_ok(["train", "--help"]).replace("│", " ").split())  # help wraps in a box
    for shown in ("(default: 30)", "(default: adamw)", "(default: 0.002)", "(default: auto)"):
        assert shown in text
    assert "--weights" in text and "a hub id or a local path" in text


def test_evaluate_takes_the_run_positionally_or_as_checkpoint(
    trained: tuple[Path, str], tmp_path: Path
) -> None:
    run, _ = trained
    common = ["--device", "cpu", "--workers", "0"]
    by_position = _json(["evaluate", str(run), "--out", str(tmp_path / "a"), *common])
    by_option = _json(["evaluate", "--checkpoint", str(run), "--out", str(tmp_path / "b"), *common])
    assert by_position["video_acc1"] == by_option["video_acc1"]
    assert by_position["num_videos"] == by_option["num_videos"] > 0
    result = runner.invoke(app, ["evaluate", "--checkpoint", str(run), str(tmp_path)])
    assert result.exit_code == 2 and "give one" in result.output
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 2 and "--checkpoint" in result.output


def test_compare_json(trained: tuple[Path, str]) -> None:
    run, _ = trained
    _json(["evaluate", str(run), "--device", "cpu", "--workers", "0"])
    rows = _json(["compare", str(run)])
    measured = json.loads((run / "model_info.json").read_text())["latency_measured_on"]
    assert measured.startswith("CPU, batch 1, ") and "CPU threads" in measured
    assert rows[0]["name"] == "run" and 0 <= rows[0]["metrics"]["video_acc1"] <= 1


# -- inputs, --save and the renamed options ----------------------------------------------


def test_inputs_are_files_folders_patterns_or_urls(tmp_path: Path) -> None:
    for name in ("b.mp4", "a.MOV", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    folder = [str(tmp_path / "a.MOV"), str(tmp_path / "b.mp4")]
    assert expand_sources([str(tmp_path)]) == folder
    assert expand_sources([str(tmp_path / "*.mp4")]) == [str(tmp_path / "b.mp4")]
    assert expand_sources(["https://x/y.mp4", "missing.mp4"]) == ["https://x/y.mp4", "missing.mp4"]
    with pytest.raises(ValueError, match="no file matches this pattern"):
        expand_sources([str(tmp_path / "*.mkv")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="a folder with no files to read"):
        expand_sources([str(tmp_path / "empty")])


def test_save_folders_are_numbered_like_ultralytics(tmp_path: Path) -> None:
    made = [next_run_dir("predict", tmp_path).name for _ in range(3)]
    assert made == ["predict", "predict2", "predict3"]


def test_predict_a_folder_with_save(
    trained: tuple[Path, str], athletes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _ = trained
    monkeypatch.chdir(tmp_path)
    args = ["predict", str(athletes / "squat"), "--checkpoint", str(run), "--device", "cpu"]
    output = _ok([*args, "--save"])
    videos = sorted((athletes / "squat").glob("*.mp4"))
    saved = json.loads((tmp_path / "runs/predict/predict/predictions.json").read_text())
    assert [answer["source"] for answer in saved] == [str(v) for v in videos]
    assert "Results saved to runs/predict/predict" in " ".join(output.split())
    result = runner.invoke(app, [*args, "--save", "--json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == len(videos)  # stdout stays pure JSON
    assert (tmp_path / "runs/predict/predict2/predictions.json").is_file()


def test_timeline_numbers_rows_from_one_and_counts_its_rows(
    trained: tuple[Path, str], make_video: MakeVideo
) -> None:
    run, _ = trained
    video = make_video("long.mp4", frames=60, fps=12)
    output = _ok(["timeline", str(video), "--checkpoint", str(run), "--window", "1"])
    count = int(re.search(r"(\d+) segments", " ".join(output.split())).group(1))  # type: ignore[union-attr]
    numbers = [int(m) for m in re.findall(r"^│\s*(\d+)\s*│", output, flags=re.MULTILINE)]
    assert numbers == list(range(1, count + 1))


def test_timeline_deprecated_smooth_and_out(
    trained: tuple[Path, str], make_video: MakeVideo, tmp_path: Path
) -> None:
    run, _ = trained
    video = make_video("v.mp4", frames=30, fps=12)
    out = tmp_path / "t.json"
    args = ["timeline", str(video), "--checkpoint", str(run), "--window", "1", "--device", "cpu"]
    output = _ok([*args, "--smooth", "1", "--out", str(out)])
    assert _warns(output, "--smooth", "--smooth-windows")
    assert _warns(output, "--out", "--out-file")
    assert json.loads(out.read_text())["options"]["smooth"] == 1


def test_split_out_file_json_and_the_old_out(make_video: MakeVideo, tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(3):
            make_video(f"data/{label}/{i}.mp4", frames=4)
    data = tmp_path / "data"
    answer = _json(["split", str(data), "--out-file", str(tmp_path / "s.csv")])
    assert answer["videos"] == 6 and sum(answer["splits"].values()) == 6
    output = _ok(["split", str(data), "--out", str(tmp_path / "old.csv")])
    assert _warns(output, "--out", "--out-file") and (tmp_path / "old.csv").is_file()


def test_probe_short_side_and_the_old_size(make_video: MakeVideo) -> None:
    video = make_video("p.mp4", frames=8, width=64, height=48)
    new = _json(["probe", str(video), "--sample", "2", "--short-side", "24"])
    assert new["sample"]["shape"][2] == 24
    output = _ok(["probe", str(video), "--sample", "2", "--size", "24"])
    assert _warns(output, "--size", "--short-side")


@pytest.mark.parametrize(
    ("command", "shown", "hidden"),
    [
        (["timeline"], ["--smooth-windows", "--out-file", "--device", "--save"], ["--smooth "]),
        (["evaluate-timeline"], ["--smooth-windows", "--out-file", "--checkpoint"], ["--out "]),
        (["evaluate"], ["--checkpoint", "--device", "--json"], []),
        (["predict"], ["--device", "--save", "--weights"], []),
        (["serve"], ["--device", "--weights"], []),
        (["pose"], ["--out-file", "--save"], ["--out "]),
        (["split"], ["--out-file", "--json"], ["--out "]),
        (["probe"], ["--short-side"], ["--size"]),
        (["compare"], ["--json"], []),
    ],
)
def test_help_shows_the_new_names_only(
    command: list[str], shown: list[str], hidden: list[str]
) -> None:
    text = " ".join(_ok([*command, "--help"]).replace("│", " ").split()) + " "
    for name in shown:
        assert name in text
    for name in hidden:
        assert name not in text


def test_checkpoints_and_keypoint_files_follow_the_umask(
    trained: tuple[Path, str], make_video: MakeVideo, tmp_path: Path
) -> None:
    import numpy as np

    from sportslens.permissions import current_umask
    from sportslens.pose import load_keypoints, save_keypoints

    run, _ = trained
    mask = current_umask()
    best = run / "best"
    assert best.stat().st_mode & 0o777 == 0o777 & ~mask  # not mkdtemp's 0700
    for file in best.iterdir():
        assert file.stat().st_mode & 0o777 == 0o666 & ~mask
    video = make_video("k.mp4", frames=3)
    (tmp_path / "theirs.json").write_text(json.dumps(np.full((3, 17, 3), 5.0).tolist()))
    out = tmp_path / "kp.npz"
    args = ["pose", str(video), "--from", str(tmp_path / "theirs.json"), "--out-file", str(out)]
    _ok(args)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    save_keypoints(tmp_path / "again.npz", load_keypoints(out))
    assert (tmp_path / "again.npz").stat().st_mode & 0o777 == 0o666 & ~mask


ROOT = Path(__file__).resolve().parents[1]
# The deprecated spellings of docs/cli.md's "Old spellings" table, as (commands, pattern).
OLD_SPELLINGS = [
    ({"split", "pose", "timeline", "evaluate-timeline"}, r"--out(?![-\w])"),
    ({"timeline", "evaluate-timeline"}, r"--smooth(?![-\w])"),
    ({"timeline", "evaluate-timeline"}, r"--frames(?![-\w])"),
    ({"probe"}, r"--size(?![-\w])"),
    ({"train", "predict", "timeline", "serve"}, r"--pretrained(?![-\w])"),  # the alias
]


def _documented_commands() -> list[tuple[str, str]]:
    """Every ``sportslens COMMAND …`` example in the README and docs/ (docs/benchmarks.md records
    commands as they were run, docs/cli.md lists the old spellings): (file, command text)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.name in ("benchmarks.md", "cli.md"):
            continue
        text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))  # join `\` lines
        for match in re.finditer(r"sportslens ([a-z-]+)([^`\n]*?)(?=`|&&|\s#|\n|$)", text):
            found.append((path.name, match.group(0)))
    return found


def test_the_readme_and_docs_use_the_one_vocabulary() -> None:
    commands = _documented_commands()
    assert len(commands) > 50  # the examples were found
    old = [
        f"{name}: {text}"
        for name, text in commands
        for names, pattern in OLD_SPELLINGS
        if text.split()[1] in names and re.search(pattern, text)
    ]
    assert not old, "\n".join(old)
