"""Benchmarks: time sportslens against the ways people usually do the same job, and measure
how often attribute heads compose the right dive (:func:`evaluate_composition`).

Each timing benchmark returns plain rows (lists of dicts); the CLI renders them as a table or JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from numpy.typing import NDArray
from torch.utils.data import DataLoader

from sportslens import sampling
from sportslens.data.dataset import ClipConfig, ClipRecord, VideoDataset
from sportslens.decode_threads import LOOKAHEAD, StreamSample, choose_threading, sample_h264
from sportslens.transforms import Preprocess
from sportslens.video import INDEX_CACHE, probe, read_frames
from sportslens.writer import VideoWriter

Content = Literal["pan", "zoom"]
"""``pan``: a panning texture with moving blocks, x264's defaults (about 4 Mb/s at 720p).
``zoom``: a texture the camera zooms into while panning, x264 ``veryfast``: block matching cannot
follow a zoom exactly, so about 20 Mb/s at 720p."""


@dataclass(frozen=True)
class BenchVideo:
    """One generated test video: resolution, keyframe interval (None = x264's default), slices."""

    width: int
    height: int
    gop: int | None
    seconds: float = 10.0
    fps: int = 30
    slices: int = 1
    """Slices per frame. x264 is told the count, so a file does not depend on the encoding
    machine (left to itself, PyAV's libx264 writes one slice per core)."""
    content: Content = "pan"
    b_frames: bool = True
    """False writes only I- and P-frames, as many camera encoders do: nothing can be skipped."""

    @property
    def name(self) -> str:
        keyframes = "default-gop" if self.gop is None else f"gop{self.gop}"
        slices = f"{self.slices}slice" + ("s" if self.slices > 1 else "")
        content = self.content if self.b_frames else f"{self.content}-p-only"
        return f"{self.width}x{self.height}_{keyframes}_{content}_{slices}_{self.seconds:g}s.mp4"

    @property
    def x264_options(self) -> dict[str, str]:
        params = f"cpu-independent=1:sliced-threads=0:slices={self.slices}"
        params += "" if self.b_frames else ":bframes=0"
        return {"x264-params": params} | ({"preset": "veryfast"} if self.content == "zoom" else {})


def bench_videos(seconds: float = 10.0) -> list[BenchVideo]:
    """The decode benchmark's files.

    Three sizes of panning video, each with x264's default GOP and with GOP 30; then zooming,
    high-bitrate video: 720p in one slice and in four, with B-frames and without, and 1080p in
    four slices.
    """
    sizes = [(320, 240), (640, 360), (1280, 720)]
    panning = [BenchVideo(w, h, gop, seconds) for (w, h) in sizes for gop in [None, 30]]
    zooming = [
        BenchVideo(1280, 720, None, seconds, slices=1, content="zoom"),
        BenchVideo(1280, 720, None, seconds, slices=4, content="zoom"),
        BenchVideo(1280, 720, None, seconds, slices=4, content="zoom", b_frames=False),
        BenchVideo(1920, 1080, None, seconds, slices=4, content="zoom"),
    ]
    return panning + zooming


def _frames(video: BenchVideo) -> Iterator[NDArray[Any]]:
    match video.content:
        case "pan":
            return _textured_frames(video)
        case "zoom":
            return _zooming_frames(video)


def _textured_frames(video: BenchVideo, seed: int = 0) -> Iterator[NDArray[Any]]:
    """Camera-like content: a panning textured background and moving blocks (H, W, 3) uint8.

    Flat synthetic frames compress to almost nothing and decode unrealistically fast; texture and
    motion give x264 a bitrate close to real footage.
    """
    rng = np.random.default_rng(seed)
    h, w = video.height, video.width
    coarse = rng.integers(0, 256, (h // 8 + 2, w // 8 + 2, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1)  # blocky, then fine noise on top
    texture = (texture // 2 + rng.integers(0, 128, texture.shape, dtype=np.uint8)).astype(np.uint8)
    for i in range(int(video.seconds * video.fps)):
        frame = np.roll(texture, shift=(i, 2 * i), axis=(0, 1))[:h, :w].copy()
        for k in range(3):
            y = int((h - h // 4) * (0.5 + 0.5 * np.sin(i / (9 + 4 * k) + k)))
            x = int((w - w // 4) * (0.5 + 0.5 * np.cos(i / (13 + 3 * k) + 2 * k)))
            frame[y : y + h // 4, x : x + w // 4] = (60 * k + 40, 200 - 50 * k, 120)
        yield frame


def _zooming_frames(video: BenchVideo, seed: int = 0) -> Iterator[NDArray[Any]]:
    """A blocky, grainy texture (twice the frame size) zoomed into by 0.3% a frame while panning.

    Each frame samples the texture on a grid that shrinks and moves, (H, W, 3) uint8; the fine
    grain (0-116) sets the bitrate: about 20 Mb/s at 720p with x264 ``veryfast``.
    """
    rng = np.random.default_rng(seed)
    h, w = video.height, video.width
    coarse = rng.integers(0, 256, (h // 4 + 2, w // 4 + 2, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1)  # (2H+16, 2W+16, 3)
    texture = (texture // 2 + rng.integers(0, 116, texture.shape, dtype=np.uint8)).astype(np.uint8)
    rows, cols = np.arange(h) - h / 2, np.arange(w) - w / 2  # centred output grid
    for i in range(int(video.seconds * video.fps)):
        zoom = 1.0 + 0.003 * i
        y = (rows / zoom + h + 3 * i).astype(np.int64) % texture.shape[0]
        x = (cols / zoom + w + 5 * i).astype(np.int64) % texture.shape[1]
        yield texture[y[:, None], x[None, :]]


def ensure_bench_videos(folder: Path, videos: list[BenchVideo]) -> list[Path]:
    """Generate the benchmark videos into ``folder`` once; later calls reuse them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for video in videos:
        path = folder / video.name
        if not path.exists():
            partial = path.with_suffix(".partial.mp4")
            with VideoWriter(partial, video.fps, gop=video.gop, options=video.x264_options) as out:
                for frame in _frames(video):
                    out.write(frame)
            partial.rename(path)
        paths.append(path)
    return paths


def sample_stream(path: Path) -> StreamSample | None:
    """What read_frames learns from an H.264 file's first packets (None for other codecs)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.codec_context.name != "h264":
            return None
        packets = []
        for packet in container.demux(stream):
            if packet.size:
                packets.append(bytes(packet))
            if len(packets) == LOOKAHEAD:
                break
        return sample_h264(packets, stream.codec_context.extradata)


def _sportslens(path: Path, indices: NDArray[Any], size: int, threads: int) -> torch.Tensor:
    INDEX_CACHE.clear()  # time a cold read: the packet scan is part of the cost
    return read_frames(path, indices, size=(size, size), threads=threads)


def _naive(path: Path, indices: NDArray[Any], size: int, threads: int) -> torch.Tensor:
    """What tutorials do: every frame to RGB numpy, pick the wanted ones, resize as float."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    clip = torch.from_numpy(np.stack([frames[i] for i in indices])).permute(0, 3, 1, 2)
    return F.interpolate(clip.float(), size=(size, size), mode="bilinear", antialias=True)


def _decode_all(path: Path, threads: int, thread_type: str) -> None:
    """Decode every frame and keep none: the floor for any sequential decoder."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = thread_type
        stream.codec_context.thread_count = threads
        for _ in container.decode(stream):
            pass


def _decode_all_frame_threads(path: Path, indices: NDArray[Any], size: int, threads: int) -> None:
    _decode_all(path, threads, "AUTO")  # FFmpeg's choice: frame threads for H.264


def _decode_all_slice_threads(path: Path, indices: NDArray[Any], size: int, threads: int) -> None:
    _decode_all(path, threads, "SLICE")  # PyAV's default


METHODS: dict[str, Callable[[Path, NDArray[Any], int, int], object]] = {
    "read_frames": _sportslens,
    "naive": _naive,
    "decode_all": _decode_all_frame_threads,
    "decode_all_slices": _decode_all_slice_threads,
}


def _time_methods(
    path: Path, indices: NDArray[Any], size: int, threads: int, repeats: int
) -> dict[str, float]:
    """Median ms per method; the methods take turns each round, so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(repeats):
        for name, method in METHODS.items():
            start = time.perf_counter()
            method(path, indices, size, threads)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_decode(
    paths: list[Path],
    *,
    num_frames: int = 16,
    size: int = 112,
    threads: tuple[int, ...] = (1, 2, 0),
    repeats: int = 5,
) -> list[dict[str, Any]]:
    """Median ms to get ``num_frames`` uniform frames at ``size`` px, four ways per file.

    Decoding everything is timed with frame threads and with slice threads; ``read_frames`` is
    compared with the faster of the two, and ``threading`` says which one it chose.
    """
    rows = []
    for path in paths:
        info = probe(path)
        sample = sample_stream(path)
        indices = sampling.uniform(info.num_frames, num_frames)
        for thread_count in threads:
            medians = _time_methods(path, indices, size, thread_count, repeats)
            fastest = min(medians["decode_all"], medians["decode_all_slices"])
            row: dict[str, Any] = {"video": path.name, "frames": info.num_frames}
            row["slices"] = sample.slices if sample else None
            row["nonreference"] = sample.nonreference if sample else None
            row["threads"] = thread_count
            row["threading"] = _threading(sample, thread_count)
            row.update({f"{name}_ms": ms for name, ms in medians.items()})
            row["speedup_vs_naive"] = medians["naive"] / medians["read_frames"]
            row["ratio_to_decode_all"] = medians["read_frames"] / fastest
            rows.append(row)
    return rows


def _threading(sample: StreamSample | None, threads: int) -> str:
    """What read_frames threads across: ``slices``, ``frames``, ``none`` or ``ffmpeg``'s choice."""
    threading = choose_threading(sample, threads)
    if threading.thread_count == 1:
        return "none"
    return {"SLICE": "slices", "FRAME": "frames", "AUTO": "ffmpeg"}[threading.thread_type]


def bench_loader(
    records: Sequence[ClipRecord],
    preprocess: Preprocess,
    *,
    workers: Sequence[int] = (0, 2),
    batch_size: int = 8,
    cache: str | None = None,
) -> list[dict[str, Any]]:
    """Training clips per second a DataLoader delivers over one epoch, per worker count.

    Each run starts cold (no cached frame indices, fresh workers), so the figure is what the
    first epoch of a training run sees, worker start-up included. With a ``cache``
    (``sportslens cache``), each worker count is timed decoding the videos and then reading the
    cache, side by side: rows say which in ``frames_from``.
    """
    sources: list[str | None] = [None] if cache is None else [None, cache]
    rows = []
    for count in workers:
        for source in sources:
            INDEX_CACHE.clear()
            config = ClipConfig(mode="train", cache=source)
            dataset = VideoDataset(records, preprocess, config)
            loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=count)
            start, cpu_start = time.perf_counter(), time.process_time()
            clips = sum(len(batch.label) for batch in loader)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            rows.append(
                {
                    "workers": count,
                    "frames_from": "decoding" if source is None else "cache",
                    "clips": clips,
                    "seconds": seconds,
                    "clips_per_s": clips / seconds,
                    # Clips per second of one core: CPU time counts every thread of this
                    # process and no other load; workers' time is not ours to count.
                    "clips_per_cpu_s": clips / cpu if count == 0 else None,
                    "frames": preprocess.clip_frames,
                    "crop": preprocess.crop_size,
                }
            )
    return rows


def ensure_bench_dataset(folder: Path, count: int, seconds: float = 3.0) -> Path:
    """A two-class folder dataset of ``count`` 720p clips for ``bench data``, written once.

    The clips are the decode benchmark's zooming, grainy 720p (about 20 Mb/s, x264 ``veryfast``),
    each from its own seed: what decoding camera footage costs, not flat synthetic frames.
    """
    video = BenchVideo(1280, 720, None, seconds, content="zoom")
    for i in range(count):
        path = folder / f"class_{i % 2}" / f"clip_{i:03d}.mp4"
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.mp4")
        with VideoWriter(partial, video.fps, options=video.x264_options) as out:
            for frame in _zooming_frames(video, seed=i):
                out.write(frame)
        partial.rename(path)
    return folder


FAMILY_REPRESENTATIVES = (
    "r2plus1d_tiny",
    "r2plus1d_small",
    "r3d_18",
    "mvit_v2_s",
    "swin3d_t",
    "timesformer",
    "videomae",
)
"""Models timed by default: the small family and one or two of each other family."""


def bench_models(
    names: Sequence[str] = FAMILY_REPRESENTATIVES, *, batch_size: int = 2, repeats: int = 2
) -> list[dict[str, Any]]:
    """Forward+backward clips/s of each model at its default input, random weights, CPU.

    One warm-up step, then the median of ``repeats`` timed steps (an SGD step included).
    """
    from sportslens.models import create_model, get_entry
    from sportslens.models.inputs import example_input

    rows = []
    for name in names:
        model = create_model(name, 10)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        clips = example_input(model, batch_size)  # (B, C, T, H, W), or (B, C, T, V, M)
        labels = torch.zeros(batch_size, dtype=torch.long)
        times = []
        for step in range(repeats + 1):
            start = time.perf_counter()
            loss: torch.Tensor = F.cross_entropy(model(clips), labels)
            torch.autograd.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step:  # the first step pays one-off allocation costs
                times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        pre = model.preprocess
        rows.append(
            {
                "model": name,
                "family": get_entry(name).family,
                "input": f"{pre.clip_frames}x{model.input_adapter.describe(pre)}",
                "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
                "clips_per_s": batch_size / seconds,
            }
        )
    return rows


EXPORT_MODELS = ("r2plus1d_small", "tcn", "stgcn")
"""Models ``bench export`` times by default: the small video model and the skeleton models."""


def bench_runtimes(
    run: Path, *, batch_sizes: Sequence[int] = (1, 8), repeats: int = 10
) -> list[dict[str, Any]]:
    """Eager PyTorch against onnxruntime for one run on the CPU: ms per batch and clips/s.

    Both runtimes get the same random batch at the model's input and torch's thread count; one
    warm-up call, then the median of ``repeats``. The run's ONNX export (``RUN/onnx``) is used,
    or written to a temporary folder when there is none.
    """
    import tempfile

    from sportslens.export import export_onnx, resolve_export
    from sportslens.models.inputs import example_input
    from sportslens.predict import Predictor

    eager = Predictor.from_checkpoint(run, "cpu")
    with tempfile.TemporaryDirectory(prefix="sportslens-export-") as scratch:
        try:
            folder = resolve_export(run)
        except FileNotFoundError:
            folder = export_onnx(run, Path(scratch) / "onnx").folder
        exported = Predictor.from_checkpoint(folder, "cpu", runtime="onnx")
        rows = []
        for batch in batch_sizes:
            clips = example_input(eager.model, batch)  # (B, C, T, H, W), or (B, C, T, V, M)
            with torch.no_grad():
                diff = float((eager.model(clips) - exported.model(clips)).abs().max())
            pre = eager.model.preprocess
            case = {
                "model": eager.model.name,
                "input": f"{pre.clip_frames}x{eager.model.input_adapter.describe(pre)}",
                "batch": batch,
                "threads": torch.get_num_threads(),
                "max_abs_diff": diff,
            }
            for runtime, predictor in (("torch", eager), ("onnx", exported)):
                seconds = _median_seconds(predictor.forward, clips, repeats)
                rows.append(
                    {
                        **case,
                        "runtime": runtime,
                        "ms_per_batch": seconds * 1000,
                        "clips_per_s": batch / seconds,
                    }
                )
    return rows


def _median_seconds(
    forward: Callable[[torch.Tensor], object], clips: torch.Tensor, repeats: int
) -> float:
    """The median wall time of ``forward(clips)`` over ``repeats`` calls, after a warm-up."""
    forward(clips)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(clips)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def evaluate_composition(
    run: Path, data: Path, *, batch_size: int = 8, device: str = "cpu"
) -> dict[str, Any]:
    """How often attribute heads compose the right dive number (``sportslens bench compose``).

    Predicts every video of ``data`` (labelled by dive number) with the run's model: attribute
    and composed-number accuracy on the dives held out of training, on the trained ones (with
    class top-1 beside it) and on all. A skeleton model reads the keypoint file beside each
    video, as it does in training.
    """
    from sportslens.dive.attributes import DivePrediction, dive_attribute_values
    from sportslens.dive.diving48 import dive_number_of
    from sportslens.dive.evaluation import attribute_metrics
    from sportslens.dive.heads import DiveAttributeHeads
    from sportslens.dive.numbers import parse
    from sportslens.models.registry import read_model_catalog
    from sportslens.predict import Predictor

    predictor = Predictor.from_checkpoint(run, device)
    if not isinstance(predictor.heads, DiveAttributeHeads):
        raise ValueError(f"{run}: the model has no attribute heads (train with --heads attributes)")
    trained_numbers = predictor.heads.trained_numbers
    records = list(read_model_catalog(predictor.model.name, data))
    results = predictor.predict_many([r.source for r in records], top_k=1, batch_size=batch_size)
    numbers = [dive_number_of(r.label) for r in records]
    true = [dive_attribute_values(parse(number)) for number in numbers]
    predicted = [dict(p.dive.values) for p in results if isinstance(p.dive, DivePrediction)]
    out: dict[str, Any] = {"run": str(run), "data": str(data)}
    trained = set(trained_numbers)
    for subset, keep in (
        ("all", [True] * len(numbers)),
        ("held_out", [n not in trained for n in numbers]),
        ("trained", [n in trained for n in numbers]),
    ):
        chosen = [i for i, k in enumerate(keep) if k]
        if not chosen:
            out[subset] = None
            continue
        out[subset] = attribute_metrics(
            [true[i] for i in chosen], [predicted[i] for i in chosen], trained_numbers
        )
        if subset == "trained":
            right = [dive_number_of(results[i].labels[0]) == numbers[i] for i in chosen]
            out[subset]["class_accuracy"] = float(np.mean(right))
    return out
