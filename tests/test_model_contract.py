"""The input contract of every registered model: its adapter's example batch goes through it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
import torch

from sportslens.models import create_model, get_entry, list_models
from tiny_models import TINY

pytestmark = pytest.mark.usefixtures("one_torch_thread")

HF_FAMILY = set(list_models(family="hf"))
HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None


def test_every_registered_model_has_a_tiny_configuration() -> None:
    assert sorted(TINY) == list_models()


@pytest.mark.parametrize("name", list_models())
def test_each_model_takes_its_own_adapters_example_batch(name: str) -> None:
    if name in HF_FAMILY and not HAS_TRANSFORMERS:
        pytest.skip("transformers (the hf extra) is not installed")
    torch.manual_seed(0)
    model = create_model(name, 3, **TINY[name]).eval()
    entry = get_entry(name)
    assert model.input_adapter is entry.input_adapter  # the entry's adapter travels with it
    batch = model.input_adapter.example_batch(model.preprocess, batch=2)  # (B, C, T, ...)
    assert batch.shape[:3] == (2, 3, model.preprocess.clip_frames)
    with torch.no_grad():
        logits = model(batch)
    assert logits.shape == (2, 3)
    assert torch.isfinite(logits).all()
    assert model.input_adapter.describe(model.preprocess)


def test_the_registry_imports_no_model_family() -> None:
    # The registry is a leaf: families import it, never the reverse (no import cycle).
    import sportslens.models.registry as registry

    tree = ast.parse(Path(str(registry.__file__)).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    families = {
        "sportslens.models.families",
        "sportslens.models.hf",
        "sportslens.models.skeleton",
        "sportslens.models.small",
        "sportslens.models.torchvision_video",
    }
    assert not imported & families
