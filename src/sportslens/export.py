"""Exported models: a checkpoint written as ONNX, and read back to run with onnxruntime.

An export folder holds ``model.onnx`` and ``config.json``: the checkpoint's own config (model
name, class names, input spec with its preprocessing, extra heads, metrics) plus an ``export``
section describing the graph (input name, shape and layout, output names, opset). That is all a
deployment needs: the preprocessing numbers to make an input, the graph to run, the names to read
its answer. :class:`OnnxClassifier` stands in for the torch model inside a
:class:`~sportslens.predict.Predictor`, so ``predict``, ``timeline`` and ``serve`` run it through
the same preprocess and postprocess code as the torch model.

The graph is traced with torch's TorchScript-based exporter (``dynamo=False``): it needs only the
``onnx`` package, and it exports every registered family at a fixed clip shape with a free batch
axis (the ``torch.export``-based default would add onnxscript to the extra).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch import nn

from sportslens.checkpoint import CheckpointInfo, load_checkpoint, resolve_checkpoint
from sportslens.models import VideoClassifier, get_entry
from sportslens.models.inputs import example_input
from sportslens.permissions import give_default_mode

if TYPE_CHECKING:
    import onnxruntime

Runtime = Literal["torch", "onnx"]
RUNTIMES: tuple[Runtime, ...] = ("torch", "onnx")
ONNX_FILE = "model.onnx"
CONFIG_FILE = "config.json"
EXPORT_FOLDER = "onnx"
"""Where ``sportslens export RUN`` writes by default: ``RUN/onnx``."""
INPUT_NAME = "clips"
DEFAULT_OPSET = 17
ONNX_EXTRA = "ONNX export and runtime need the onnx extra: pip install 'sportslens[onnx]'"
_LAYOUTS = {"video": "B, C, T, H, W", "keypoints": "B, C, T, V, M"}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_onnx` wrote, and how closely the graph matched torch on a random batch."""

    folder: Path
    model: str
    input_shape: list[int | str]
    outputs: list[str]
    max_abs_diff: float


class _AllHeads(nn.Module):
    """Every head's logits as a tuple, class head first: ONNX outputs are positional."""

    def __init__(self, model: VideoClassifier) -> None:
        super().__init__()
        self.model = model
        self.names = ["class", *model.attribute_heads]

    def forward(self, clips: torch.Tensor) -> tuple[torch.Tensor, ...]:
        heads = self.model.forward_heads(clips)  # each (B, values)
        return tuple(heads[name] for name in self.names)


def export_onnx(run: Path, out: Path | None = None, *, opset: int = DEFAULT_OPSET) -> ExportResult:
    """Write the checkpoint of ``run`` (a run or checkpoint folder) as ``out/model.onnx`` with its
    ``config.json``; ``out`` defaults to ``run/onnx``. The folder is swapped in whole."""
    _require_onnx(exporting=True)
    model, info = load_checkpoint(Path(run), "cpu")
    model.eval()
    folder = Path(out) if out is not None else Path(run) / EXPORT_FOLDER
    _refuse_foreign_folder(folder)
    wrapped = _AllHeads(model).eval()
    example = example_input(model, 2)  # (2, C, T, ...): the batch axis must vary in the trace
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    give_default_mode(staging, directory=True)
    try:
        _trace(wrapped, example, staging / ONNX_FILE, opset)
        diff = _max_abs_diff(wrapped, staging / ONNX_FILE, example_input(model, 3))
        shape: list[int | str] = ["batch", *example.shape[1:]]
        section = {
            "format": "onnx",
            "file": ONNX_FILE,
            "opset": opset,
            "input": {
                "name": INPUT_NAME,
                "shape": shape,
                "dtype": "float32",
                "layout": _LAYOUTS.get(model.input_adapter.kind, "B, C, T, ..."),
            },
            "outputs": wrapped.names,
            "source": str(resolve_checkpoint(Path(run)).resolve()),
            "torch": torch.__version__,
            "check_max_abs_diff": diff,
        }
        config = {**info.to_json(), "export": section}
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2, default=str))
        for file in staging.iterdir():
            give_default_mode(file)
        if folder.exists():
            shutil.rmtree(folder)
        staging.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(folder, info.model, shape, wrapped.names, diff)


def _refuse_foreign_folder(folder: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier export (or nothing)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ValueError(f"--out {folder}: a file, not a folder")
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in (ONNX_FILE, CONFIG_FILE))
    if foreign:
        raise ValueError(
            f"--out {folder}: holds {', '.join(foreign[:3])}, not an export; an export replaces "
            "its folder whole, so give a new or empty folder"
        )


def _trace(module: nn.Module, example: torch.Tensor, file: Path, opset: int) -> None:
    """Trace ``module`` on ``example`` into ``file`` with a free batch axis."""
    outputs = list(getattr(module, "names", ["class"]))
    with warnings.catch_warnings():
        # The tracer warns of each shape check it freezes (clip shapes are fixed by design) and
        # of its own deprecation; neither is the user's to act on.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(file),
            input_names=[INPUT_NAME],
            output_names=outputs,
            dynamic_axes={INPUT_NAME: {0: "batch"}, **{name: {0: "batch"} for name in outputs}},
            opset_version=opset,
            dynamo=False,
        )


@torch.no_grad()
def _max_abs_diff(module: nn.Module, file: Path, clips: torch.Tensor) -> float:
    """The largest absolute logit difference between ``module`` and the graph in ``file``."""
    session = create_session(file, "cpu")
    expected = module(clips)
    got = session.run(None, {INPUT_NAME: clips.numpy()})
    return max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected, got, strict=True))


def resolve_export(path: Path) -> Path:
    """The export folder at ``path``, or at ``path/onnx`` (a run folder exported by default)."""
    path = Path(path)
    for candidate in (path, path / EXPORT_FOLDER):
        if (candidate / ONNX_FILE).is_file() and (candidate / CONFIG_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        f"{path}: no ONNX export here (expected {ONNX_FILE} and {CONFIG_FILE}, or an "
        f"{EXPORT_FOLDER}/ folder with them); write one: sportslens export {path} --format onnx"
    )


def load_onnx(
    path: Path, device: str | torch.device = "cpu"
) -> tuple[OnnxClassifier, CheckpointInfo]:
    """The exported model at ``path`` (an export folder, or a run folder with ``onnx/``) as an
    :class:`OnnxClassifier`, and its :class:`~sportslens.checkpoint.CheckpointInfo`."""
    folder = resolve_export(path)
    data = json.loads((folder / CONFIG_FILE).read_text())
    info = CheckpointInfo.from_json(data)
    session = create_session(folder / ONNX_FILE, device)
    return OnnxClassifier(session, info), info


def create_session(file: Path, device: str | torch.device) -> onnxruntime.InferenceSession:
    """An onnxruntime session on ``device``'s provider, with torch's CPU thread count (so both
    runtimes use the same cores)."""
    ort = _require_onnx()
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if torch.device(device).type == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise ValueError(
                f"device {device}: this onnxruntime has no CUDA provider; use --device cpu, or "
                "install onnxruntime-gpu"
            )
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(file), options, providers=providers)


class OnnxClassifier(VideoClassifier):
    """A :class:`VideoClassifier` whose forward pass runs an onnxruntime session.

    It carries the checkpoint's name, input spec and adapter, so a ``Predictor`` prepares inputs
    and reads answers exactly as for the torch model. Its ``head`` holds no trained weights: it is
    a stand-in that gives ``num_classes``; the graph computes every head.
    """

    def __init__(self, session: onnxruntime.InferenceSession, info: CheckpointInfo) -> None:
        adapter = get_entry(info.model).input_adapter
        super().__init__(nn.Identity(), 1, len(info.classes), info.preprocess, adapter)
        self.session = session
        self.name = info.model
        self.build_kwargs = dict(info.build_kwargs)
        self.outputs = [output.name for output in session.get_outputs()]

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        (logits,) = self.session.run(self.outputs[:1], {INPUT_NAME: _as_numpy(clips)})
        return torch.from_numpy(logits)  # (B, K)

    def forward_heads(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        values = self.session.run(self.outputs, {INPUT_NAME: _as_numpy(clips)})
        return {name: torch.from_numpy(v) for name, v in zip(self.outputs, values, strict=True)}


def _as_numpy(clips: torch.Tensor) -> np.ndarray[Any, np.dtype[np.float32]]:
    """A float32 numpy copy-free view of a batch, as the graph's input."""
    return clips.detach().to("cpu", torch.float32).contiguous().numpy()


def _require_onnx(*, exporting: bool = False) -> Any:
    """onnxruntime (and onnx, which torch's exporter needs, when ``exporting``), or an error that
    says which install fixes it."""
    try:
        if exporting:
            import onnx  # noqa: F401
        import onnxruntime
    except ImportError as error:
        raise ImportError(ONNX_EXTRA) from error
    return onnxruntime
