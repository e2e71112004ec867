"""Distributed training through PyTorch's own launcher (``torchrun``), and no-ops without it.

torchrun sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; with more than one process we join
a process group (NCCL on GPUs, gloo on CPUs) and wrap the model in DistributedDataParallel.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import torch
import torch.distributed as torch_dist
from torch import nn

T = TypeVar("T")


def is_distributed() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def is_main() -> bool:
    return not is_distributed() or torch_dist.get_rank() == 0


def setup() -> None:
    """Join the process group when launched by torchrun with several processes."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not is_distributed():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch_dist.init_process_group(backend=backend)


def cleanup() -> None:
    if is_distributed():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def device_for(device: torch.device) -> torch.device:
    """Each process gets its own GPU (LOCAL_RANK); CPUs are shared."""
    if device.type == "cuda" and is_distributed():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return device


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel around ``model`` when distributed, else the model itself."""
    if not is_distributed():
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def sum_values(values: dict[str, Any]) -> dict[str, Any]:
    """Sum numeric counters over all processes (identity when not distributed)."""
    if not is_distributed():
        return values
    keys = sorted(values)
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    torch_dist.all_reduce(tensor)
    return dict(zip(keys, tensor.tolist(), strict=True))


def from_main(compute: Callable[[], T]) -> T:
    """Run ``compute`` on rank 0 only and give every process its result."""
    if not is_distributed():
        return compute()
    box: list[Any] = [compute() if is_main() else None]
    torch_dist.broadcast_object_list(box, src=0)
    result: T = box[0]
    return result
