"""Options every dataset-wide command shares to run here or on a Ray cluster."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from sportslens.cli.app import Opt
from sportslens.engines import EngineSettings


class EngineChoice(StrEnum):
    local = "local"
    ray = "ray"


EngineOpt = Annotated[
    EngineChoice,
    Opt(help="local: processes on this machine; ray: a Ray Data pipeline (the ray extra), on "
        "the cluster at --address or on a Ray instance started here."),
]  # fmt: skip
AddressOpt = Annotated[
    str | None,
    Opt(help="Ray cluster to join: auto (this node's), ray://HEAD:10001; default: start one."),
]
CpusOpt = Annotated[float, Opt(help="CPUs each Ray actor reserves.")]
GpusOpt = Annotated[float, Opt(help="GPUs each Ray actor reserves (0.5: two share one).")]


def engine_settings(
    engine: EngineChoice,
    workers: int | None,
    address: str | None,
    cpus_per_worker: float,
    gpus_per_worker: float,
    *,
    local_workers: int,
) -> EngineSettings:
    """The engine the options ask for; ``local_workers`` when ``--workers`` is not given here
    (Ray then fills its cluster)."""
    local = engine == EngineChoice.local
    return EngineSettings(
        engine.value,
        workers or (local_workers if local else None),
        address,
        cpus_per_worker,
        gpus_per_worker,
    )
