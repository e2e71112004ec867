"""The export command: a trained run as an ONNX model with its preprocessing and labels."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sportslens.cli.app import Opt, app, console, print_json, reports_errors

if TYPE_CHECKING:
    from sportslens.export import Runtime


class RuntimeChoice(StrEnum):
    torch = "torch"
    onnx = "onnx"


RuntimeOpt = Annotated[
    RuntimeChoice,
    Opt(help="torch, or onnx: run the model sportslens export wrote (RUN/onnx) with onnxruntime."),
]


def runtime_of(choice: RuntimeChoice) -> Runtime:
    """``--runtime`` as the library spells it."""
    return "onnx" if choice is RuntimeChoice.onnx else "torch"


@app.command()
@reports_errors
def export(
    run: Annotated[Path, typer.Argument(help="A run folder or checkpoint folder.")],
    format: Annotated[str, Opt("--format", help="The export format: onnx.")] = "onnx",
    out: Annotated[Path | None, Opt(help="The export folder (default: RUN/onnx).")] = None,
    opset: Annotated[int, Opt(min=13, help="ONNX opset version.")] = 17,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Write model.onnx and config.json (classes, preprocessing, input spec) for deployment."""
    if format != "onnx":
        raise ValueError(f"unknown export format {format!r}; known: onnx")
    from sportslens.export import export_onnx

    with console.status("exporting"):
        result = export_onnx(run, out, opset=opset)
    answer = {
        "folder": str(result.folder),
        "model": result.model,
        "input_shape": result.input_shape,
        "outputs": result.outputs,
        "max_abs_diff": result.max_abs_diff,
    }
    if as_json:
        print_json(answer)
        return
    shape = "x".join(str(size) for size in result.input_shape)
    console.print(
        f"exported {result.model} to [bold]{result.folder}[/] (model.onnx, config.json): input "
        f"{shape}, outputs {', '.join(result.outputs)}; max |logit difference| from torch on a "
        f"random batch {result.max_abs_diff:.1e}",
        highlight=False,
        soft_wrap=True,
    )
