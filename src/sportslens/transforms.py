"""Clip transforms: decoded uint8 frames (T, C, H, W) in, normalised float (C, T, H, W) out.

Every model carries a `Preprocess`; training, evaluation and serving build their transforms from it
with `train_transform`, `eval_transform` and `multi_view_transform`, so no other module hard-codes
sizes or normalisation. The functional ops are pure and take randomness only from an explicit
`numpy.random.Generator`. Frames stay uint8 through resizing and cropping (torchvision resizes uint8
natively on CPU, much cheaper than float) and become float only in `normalize`, the last step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import torch
from torch import Tensor
from torchvision.transforms.v2 import functional as tvf

from sportslens.sampling import Sampling

__all__ = [
    "KINETICS_MEAN",
    "KINETICS_STD",
    "Preprocess",
    "Sampling",
    "eval_transform",
    "multi_view_transform",
    "scales_for_crop",
    "train_transform",
]

# Kinetics-400 statistics of torchvision's r3d_18 / mc3_18 / r2plus1d_18 / s3d weights. Its mvit_*
# weights use 0.45 / 0.225 and swin3d_* the ImageNet values, so each model entry sets its own.
KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)

# JSON keys written for fields renamed since checkpoints were first saved: config.json files and
# the server's /v1/model answer keep the old key, and reading accepts both.
_JSON_KEYS = {"clip_frames": "num_frames"}


@dataclass(frozen=True)
class Preprocess:
    """What a model expects of its clips: how frames are sampled, their size and normalisation.

    Every model entry carries one and checkpoints store it in config.json (`to_dict`), so training,
    evaluation and serving all build the same transforms from the same numbers. A keypoint model
    reads ``clip_frames`` only (see `sportslens.models.keypoint_input`).
    """

    clip_frames: int = 16
    """Frames per clip the model sees (a video's own length is ``num_frames`` elsewhere)."""
    sampling: Sampling = "uniform"
    sampling_rate: int = 1  # step between sampled frames, used by "clip" sampling only
    frames_per_segment: int = 1
    """Consecutive frames from each TSN segment ("segments" sampling only): ``clip_frames`` is
    ``num_segments * frames_per_segment``."""
    crop_size: int = 112  # square side fed to the model
    resize: int = 128  # eval: short side before the centre crop (112/128, as torchvision's r3d)
    # train: random short side, like the usual 256-320 range for 224 crops
    train_scale: tuple[int, int] = (128, 160)
    mean: tuple[float, float, float] = KINETICS_MEAN
    std: tuple[float, float, float] = KINETICS_STD

    def __post_init__(self) -> None:
        for name, value in (
            ("clip_frames", self.clip_frames),
            ("sampling_rate", self.sampling_rate),
            ("frames_per_segment", self.frames_per_segment),
            ("crop_size", self.crop_size),
            ("resize", self.resize),
        ):
            _require_positive_int(f"Preprocess.{name}", value)
        if self.sampling not in get_args(Sampling):
            raise ValueError(
                f"Preprocess.sampling must be one of {get_args(Sampling)}, got {self.sampling!r}"
            )
        if self.sampling == "segments" and self.clip_frames % self.frames_per_segment:
            raise ValueError(
                f"Preprocess.clip_frames={self.clip_frames} must be a multiple of "
                f"frames_per_segment={self.frames_per_segment}: a clip is whole segments"
            )
        if self.crop_size > self.resize:
            raise ValueError(
                f"Preprocess.crop_size={self.crop_size} must be <= resize={self.resize}: "
                "the eval centre crop is taken after resizing the short side"
            )
        self._validate_train_scale()
        for name, stats in (("mean", self.mean), ("std", self.std)):
            if len(stats) != 3:
                raise ValueError(f"Preprocess.{name} needs 3 values (RGB), got {stats!r}")
        if not all(0.0 <= m <= 1.0 for m in self.mean):
            raise ValueError(
                f"Preprocess.mean={self.mean!r} must lie in [0, 1]: frames are scaled to [0, 1] "
                "before normalising (0-255 statistics are a common slip)"
            )
        if not all(s > 0.0 for s in self.std):
            raise ValueError(f"Preprocess.std={self.std!r} must be positive")

    def _validate_train_scale(self) -> None:
        scale = self.train_scale
        if len(scale) != 2:
            raise ValueError(f"Preprocess.train_scale needs (low, high), got {scale!r}")
        low, high = scale
        _require_positive_int("Preprocess.train_scale low", low)
        _require_positive_int("Preprocess.train_scale high", high)
        if low > high:
            raise ValueError(f"Preprocess.train_scale={scale!r} must have low <= high")
        if self.crop_size > low:
            raise ValueError(
                f"Preprocess.crop_size={self.crop_size} must be <= train_scale low={low}: "
                "the training crop is taken after the random short-side scale"
            )

    def with_input_size(
        self, clip_frames: int | None = None, crop_size: int | None = None
    ) -> Preprocess:
        """This recipe for clips of ``clip_frames`` frames cropped to ``crop_size`` (None: as is).

        The eval short side and the training scale follow the crop at this recipe's own ratios
        (`scales_for_crop`); sampling and normalisation stay.
        """
        frames = self.clip_frames if clip_frames is None else clip_frames
        if crop_size is None or crop_size == self.crop_size:
            return dataclasses.replace(self, clip_frames=frames)
        resize, train_scale = scales_for_crop(crop_size, self)
        return dataclasses.replace(
            self, clip_frames=frames, crop_size=crop_size, resize=resize, train_scale=train_scale
        )

    def with_sampling(
        self,
        sampling: Sampling | None = None,
        *,
        frames_per_segment: int | None = None,
        sampling_rate: int | None = None,
    ) -> Preprocess:
        """This recipe with another way of picking frames (None: as is); sizes stay."""
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("sampling", sampling),
                ("frames_per_segment", frames_per_segment),
                ("sampling_rate", sampling_rate),
            )
            if value is not None
        }
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict (tuples become lists), as stored in a checkpoint's config.json."""
        return {
            _JSON_KEYS.get(key, key): list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocess:
        """Rebuild from `to_dict` output or parsed JSON/YAML; missing fields take their defaults.

        Both ``num_frames`` (what config.json files hold) and ``clip_frames`` name the clip length.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        renamed = {old: new for new, old in _JSON_KEYS.items()}
        known = fields | set(renamed)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Preprocess field(s) {unknown}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = renamed.get(key, key)
            if name in values and values[name] != value:
                raise ValueError(f"Preprocess: {key}={value!r} contradicts {name}={values[name]!r}")
            values[name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


def scales_for_crop(
    crop_size: int, recipe: Preprocess | None = None
) -> tuple[int, tuple[int, int]]:
    """The eval short side and the training short-side range for ``crop_size`` crops.

    Both keep the ratios ``recipe`` has to its own crop (by default the small models' recipe:
    short side 8/7 of the crop, as torchvision's 112/128 and 224/256, and training scales from
    the crop to 9/7 of it), never going below the crop itself.
    """
    _require_positive_int("crop_size", crop_size)
    recipe = recipe or _SMALL_RECIPE
    ratio = crop_size / recipe.crop_size
    resize = max(crop_size, round(recipe.resize * ratio))
    low, high = (max(crop_size, round(side * ratio)) for side in recipe.train_scale)
    return resize, (low, high)


# --- functional ops: (T, C, H, W) uint8 in, same layout out unless stated -----------------------


def resize_short_side(video: Tensor, size: int) -> Tensor:
    """Resize every frame so its shorter side is `size`, keeping the aspect ratio.

    Bilinear with antialias, so downscaling does not alias. The long side is truncated
    (240x320 -> 128x170), and a clip already at that size comes back as the same tensor, not a copy.
    """
    _check_video(video)
    _require_positive_int("size", size)
    resized: Tensor = tvf.resize(video, [size], antialias=True)  # (T, C, H', W')
    return resized


def random_short_side_scale(
    video: Tensor, min_size: int, max_size: int, rng: np.random.Generator
) -> Tensor:
    """Resize the short side to a size drawn uniformly from [min_size, max_size], both included.

    Scale jitter for training: the later fixed-size crop then sees objects at varying scales.
    """
    _require_positive_int("min_size", min_size)
    if max_size < min_size:
        raise ValueError(f"max_size={max_size} must be >= min_size={min_size}")
    size = int(rng.integers(min_size, max_size + 1))
    return resize_short_side(video, size)


def center_crop(video: Tensor, size: int) -> Tensor:
    """The central `size` x `size` square of every frame (a view, not a copy).

    An odd margin leaves the extra pixel at the bottom/right. We slice rather than call
    torchvision's `center_crop`, which zero-pads frames smaller than the crop instead of failing
    and rounds half-pixel offsets to even, so its offset flips between floor and ceil.
    """
    height, width = _frame_size(video, size)
    return _crop_square(video, (height - size) // 2, (width - size) // 2, size)


def random_crop(video: Tensor, size: int, rng: np.random.Generator) -> Tensor:
    """A `size` x `size` square at a uniformly random position, the same for every frame."""
    height, width = _frame_size(video, size)
    top = int(rng.integers(0, height - size + 1))
    left = int(rng.integers(0, width - size + 1))
    return _crop_square(video, top, left, size)


def horizontal_flip(video: Tensor) -> Tensor:
    """Mirror every frame left to right."""
    _check_video(video)
    flipped: Tensor = tvf.horizontal_flip(video)  # (T, C, H, W)
    return flipped


def three_crops(video: Tensor, size: int) -> list[Tensor]:
    """Three `size` squares spread along the long side: left/centre/right, or top/centre/bottom.

    The multi-view test protocol (SlowFast, torchvision's references) first resizes the short side
    to `size`, so the three crops together cover the whole frame.
    """
    height, width = _frame_size(video, size)
    if width >= height:  # landscape (or square): slide along x, centred in y
        top = (height - size) // 2
        return [_crop_square(video, top, left, size) for left in _three_offsets(width, size)]
    left = (width - size) // 2  # portrait: slide along y, centred in x
    return [_crop_square(video, top, left, size) for top in _three_offsets(height, size)]


def normalize(video: Tensor, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """Scale uint8 frames to [0, 1], normalise each channel and put channels first.

    Returns float32 (C, T, H, W), the layout every sportslens video model takes, which is why this
    is the last step of each preset.
    """
    _check_video(video)
    if video.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 frames (0-255), got {video.dtype}")
    channels = video.shape[1]
    if len(mean) != channels or len(std) != channels:
        raise ValueError(
            f"mean and std need one value per channel ({channels}), got {len(mean)} and {len(std)}"
        )
    frames: Tensor = tvf.to_dtype(video, torch.float32, scale=True)  # (T, C, H, W) in [0, 1]
    # to_dtype made a fresh tensor, so normalising in place touches nothing the caller owns.
    frames = tvf.normalize(frames, mean=list(mean), std=list(std), inplace=True)  # (T, C, H, W)
    return frames.permute(1, 0, 2, 3).contiguous()  # (C, T, H, W)


def _check_video(video: Tensor) -> None:
    if video.ndim != 4:
        raise ValueError(f"expected frames shaped (T, C, H, W), got shape {tuple(video.shape)}")


def _require_positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _frame_size(video: Tensor, crop: int) -> tuple[int, int]:
    """(H, W) of the frames, after checking a `crop` square fits inside them."""
    _check_video(video)
    _require_positive_int("crop size", crop)
    height, width = video.shape[-2:]
    if crop > min(height, width):
        raise ValueError(
            f"crop size {crop} does not fit frames of {height}x{width} (HxW); "
            "resize the short side to at least the crop size first"
        )
    return height, width


def _crop_square(video: Tensor, top: int, left: int, size: int) -> Tensor:
    return video[..., top : top + size, left : left + size]  # (T, C, size, size)


def _three_offsets(length: int, size: int) -> tuple[int, int, int]:
    return 0, (length - size) // 2, length - size


# --- presets built from a Preprocess --------------------------------------------------------------
# Small frozen classes rather than closures: DataLoader workers started with "spawn" must pickle
# them, and their repr shows which Preprocess they apply.


@dataclass(frozen=True)
class TrainTransform:
    """Random short-side scale, random `crop_size` crop, mirror with p = 0.5, then normalise.

    Draws from `rng` in a fixed order (scale, top, left, flip), so a seed reproduces a clip exactly.
    """

    pre: Preprocess

    def __call__(self, video: Tensor, rng: np.random.Generator) -> Tensor:
        low, high = self.pre.train_scale
        video = random_short_side_scale(video, low, high, rng)  # (T, C, H', W')
        video = random_crop(video, self.pre.crop_size, rng)  # (T, C, crop, crop)
        if rng.random() < 0.5:
            video = horizontal_flip(video)
        return normalize(video, self.pre.mean, self.pre.std)  # (C, T, crop, crop)


@dataclass(frozen=True)
class EvalTransform:
    """Resize the short side to `resize`, take the centre `crop_size` square, normalise."""

    pre: Preprocess

    def __call__(self, video: Tensor) -> Tensor:
        video = resize_short_side(video, self.pre.resize)  # (T, C, H', W')
        video = center_crop(video, self.pre.crop_size)  # (T, C, crop, crop)
        return normalize(video, self.pre.mean, self.pre.std)  # (C, T, crop, crop)


@dataclass(frozen=True)
class MultiViewTransform:
    """Short side to `crop_size`, then 3 crops along the long side (or 1 centre crop), normalised.

    Returns (V, C, T, crop, crop) with V = `num_crops`; the caller pairs it with k temporal clips
    for the usual k x 3 view test protocol and averages the predictions.
    """

    pre: Preprocess
    num_crops: Literal[1, 3] = 3

    def __post_init__(self) -> None:
        if self.num_crops not in (1, 3):
            raise ValueError(f"num_crops must be 1 or 3, got {self.num_crops!r}")

    def __call__(self, video: Tensor) -> Tensor:
        size = self.pre.crop_size
        video = resize_short_side(video, size)  # (T, C, H', W'), short side = crop
        crops = three_crops(video, size) if self.num_crops == 3 else [center_crop(video, size)]
        views = [normalize(crop, self.pre.mean, self.pre.std) for crop in crops]
        return torch.stack(views)  # (V, C, T, crop, crop)


def train_transform(pre: Preprocess) -> TrainTransform:
    """The training transform for `pre`; call it as `transform(video, rng)`."""
    return TrainTransform(pre)


def eval_transform(pre: Preprocess) -> EvalTransform:
    """The single-view evaluation transform for `pre`; call it as `transform(video)`."""
    return EvalTransform(pre)


def multi_view_transform(pre: Preprocess, num_crops: Literal[1, 3] = 3) -> MultiViewTransform:
    """The multi-crop test transform for `pre`; `transform(video)` gives (V, C, T, crop, crop)."""
    return MultiViewTransform(pre, num_crops)


# The small models' recipe (16 frames at 112 px): resize 128 = 8/7 and training scales 112-144.
_SMALL_RECIPE = Preprocess(crop_size=112, resize=128, train_scale=(112, 144))
