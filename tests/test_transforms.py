"""Behaviour of the clip transforms: pixel arithmetic, randomness through rng, Preprocess config."""

import json
import pickle
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

from sportslens.transforms import (
    KINETICS_MEAN,
    KINETICS_STD,
    Preprocess,
    center_crop,
    eval_transform,
    horizontal_flip,
    multi_view_transform,
    normalize,
    random_crop,
    random_short_side_scale,
    resize_short_side,
    scales_for_crop,
    three_crops,
    train_transform,
)

# Small sizes so the whole file runs in well under a second.
TINY = Preprocess(clip_frames=4, crop_size=8, resize=10, train_scale=(10, 14))


def coordinate_clip(frames: int, height: int, width: int) -> Tensor:
    """uint8 (T, 3, H, W) whose pixels name their place: channel 0 = y, 1 = x, 2 = frame index."""
    t, y, x = torch.meshgrid(
        torch.arange(frames), torch.arange(height), torch.arange(width), indexing="ij"
    )
    return torch.stack([y, x, t], dim=1).to(torch.uint8)  # (T, 3, H, W)


def crop_origin(crop: Tensor) -> tuple[int, int]:
    """(top, left) of a crop of a coordinate clip, read from its first pixel."""
    return int(crop[0, 0, 0, 0]), int(crop[0, 1, 0, 0])


def assert_is_window(crop: Tensor, top: int, left: int) -> None:
    """The crop is exactly the contiguous window of the coordinate clip starting at (top, left)."""
    _, _, height, width = crop.shape
    expected = coordinate_clip(crop.shape[0], top + height, left + width)[..., top:, left:]
    torch.testing.assert_close(crop, expected, rtol=0, atol=0)


# --- normalisation -------------------------------------------------------------------------------


def test_normalize_maths_on_known_values() -> None:
    # Channel values 255, 0, 51 -> 1.0, 0.0, 0.2 in [0, 1]; chosen statistics give round answers.
    clip = torch.empty(2, 3, 2, 2, dtype=torch.uint8)
    clip[:, 0], clip[:, 1], clip[:, 2] = 255, 0, 51
    clip[1, 2] = 102  # frame 1 of channel 2 differs, to catch a wrong permute
    out = normalize(clip, mean=(0.5, 0.25, 0.0), std=(0.5, 0.25, 1.0))  # (C, T, H, W)
    assert out.shape == (3, 2, 2, 2)
    assert out.dtype == torch.float32
    expected = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [0.2, 0.4]])  # (C, T)
    torch.testing.assert_close(out[:, :, 0, 0], expected)
    assert out.is_contiguous()


def test_normalize_with_kinetics_statistics() -> None:
    clip = torch.full((3, 3, 4, 4), 128, dtype=torch.uint8)
    out = normalize(clip, KINETICS_MEAN, KINETICS_STD)
    for c in range(3):
        expected = (128 / 255 - KINETICS_MEAN[c]) / KINETICS_STD[c]
        torch.testing.assert_close(out[c], torch.full((3, 4, 4), expected))


def test_normalize_refuses_float_frames() -> None:
    with pytest.raises(TypeError, match="uint8"):
        normalize(torch.zeros(2, 3, 4, 4), KINETICS_MEAN, KINETICS_STD)


def test_normalize_refuses_wrong_channel_count() -> None:
    with pytest.raises(ValueError, match="one value per channel"):
        normalize(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), (0.5,), (0.5,))


# --- deterministic geometry ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "width", "size", "top", "left"),
    [
        (10, 20, 8, 1, 6),
        (11, 20, 8, 1, 6),  # odd margin: floor, the extra row stays at the bottom
        (8, 8, 8, 0, 0),
        (20, 9, 8, 6, 0),
    ],
)
def test_center_crop_picks_the_central_pixels(
    height: int, width: int, size: int, top: int, left: int
) -> None:
    crop = center_crop(coordinate_clip(3, height, width), size)
    assert crop.shape == (3, 3, size, size)
    assert_is_window(crop, top, left)


def test_crop_larger_than_frame_raises_instead_of_padding() -> None:
    with pytest.raises(ValueError, match="crop size 12 does not fit frames of 10x20"):
        center_crop(coordinate_clip(2, 10, 20), 12)


def test_horizontal_flip_mirrors_content() -> None:
    clip = coordinate_clip(2, 4, 6)
    flipped = horizontal_flip(clip)
    assert torch.equal(flipped[:, 1, 0], torch.tensor([[5, 4, 3, 2, 1, 0]] * 2, dtype=torch.uint8))
    assert torch.equal(flipped[:, 0], clip[:, 0])  # rows untouched
    assert torch.equal(horizontal_flip(flipped), clip)


def test_resize_short_side_keeps_uint8_and_aspect() -> None:
    landscape = resize_short_side(torch.zeros(2, 3, 240, 320, dtype=torch.uint8), 128)
    assert landscape.shape == (2, 3, 128, 170)  # 128 * 320 / 240 = 170.67, truncated
    assert landscape.dtype == torch.uint8
    portrait = resize_short_side(torch.zeros(2, 3, 320, 240, dtype=torch.uint8), 128)
    assert portrait.shape == (2, 3, 170, 128)


def test_resize_short_side_preserves_a_constant_clip() -> None:
    clip = torch.full((2, 3, 30, 40), 77, dtype=torch.uint8)
    assert torch.all(resize_short_side(clip, 12) == 77)


def test_three_crops_landscape_left_centre_right() -> None:
    crops = three_crops(coordinate_clip(2, 10, 20), 8)
    assert [crop_origin(c) for c in crops] == [(1, 0), (1, 6), (1, 12)]
    for crop in crops:
        assert_is_window(crop, *crop_origin(crop))


def test_three_crops_portrait_top_centre_bottom() -> None:
    crops = three_crops(coordinate_clip(2, 20, 10), 8)
    assert [crop_origin(c) for c in crops] == [(0, 1), (6, 1), (12, 1)]


def test_ops_reject_frames_without_time_axis() -> None:
    with pytest.raises(ValueError, match=r"\(T, C, H, W\)"):
        center_crop(torch.zeros(3, 10, 10, dtype=torch.uint8), 8)


# --- randomness ----------------------------------------------------------------------------------


def test_random_crop_same_seed_reproduces() -> None:
    clip = coordinate_clip(2, 40, 60)
    first = random_crop(clip, 8, np.random.default_rng(7))
    second = random_crop(clip, 8, np.random.default_rng(7))
    assert torch.equal(first, second)


def test_random_crop_different_seeds_differ() -> None:
    clip = coordinate_clip(2, 40, 60)
    origins = {crop_origin(random_crop(clip, 8, np.random.default_rng(seed))) for seed in range(5)}
    assert len(origins) > 1


def test_random_crop_stays_in_bounds_and_reaches_both_edges() -> None:
    clip = coordinate_clip(2, 10, 12)
    rng = np.random.default_rng(0)
    origins = [crop_origin(random_crop(clip, 8, rng)) for _ in range(200)]
    tops = {top for top, _ in origins}
    lefts = {left for _, left in origins}
    assert tops == {0, 1, 2}  # every legal offset, including height - size
    assert lefts == {0, 1, 2, 3, 4}
    crop = random_crop(clip, 8, rng)
    assert_is_window(crop, *crop_origin(crop))


def test_random_short_side_scale_lies_in_range_inclusive() -> None:
    clip = torch.zeros(2, 3, 30, 40, dtype=torch.uint8)
    rng = np.random.default_rng(0)
    shapes = [random_short_side_scale(clip, 10, 12, rng).shape for _ in range(100)]
    short_sides = {shape[-2] for shape in shapes}
    assert short_sides == {10, 11, 12}
    for shape in shapes:
        assert shape[-1] == int(shape[-2] * 40 / 30)


def test_random_short_side_scale_rejects_inverted_range() -> None:
    with pytest.raises(ValueError, match="max_size=10 must be >= min_size=12"):
        random_short_side_scale(coordinate_clip(1, 20, 20), 12, 10, np.random.default_rng(0))


# --- presets -------------------------------------------------------------------------------------


def test_eval_transform_output() -> None:
    clip = torch.full((4, 3, 24, 32), 128, dtype=torch.uint8)
    out = eval_transform(TINY)(clip)
    assert out.shape == (3, 4, 8, 8)
    assert out.dtype == torch.float32
    torch.testing.assert_close(
        out[0], torch.full((4, 8, 8), (128 / 255 - TINY.mean[0]) / TINY.std[0])
    )


def test_eval_transform_takes_the_centre() -> None:
    # 20x40 -> short side 10 gives 10x20; the 8x8 centre starts at (1, 6) of the resized frame,
    # i.e. the middle of the original x range.
    unnormalised = Preprocess(
        crop_size=8, resize=10, train_scale=(10, 12), mean=(0, 0, 0), std=(1, 1, 1)
    )
    out = eval_transform(unnormalised)(coordinate_clip(2, 20, 40))
    x_centre = float(out[1, 0].mean()) * 255
    assert abs(x_centre - 19.5) < 1.0


def test_train_transform_reproducible_and_leaves_torch_rng_alone() -> None:
    clip = coordinate_clip(4, 20, 30)
    transform = train_transform(TINY)
    torch_state = torch.random.get_rng_state()
    first = transform(clip, np.random.default_rng(3))
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert torch.equal(first, transform(clip, np.random.default_rng(3)))
    assert first.shape == (3, 4, 8, 8)
    assert first.dtype == torch.float32
    outputs = [transform(clip, np.random.default_rng(seed)) for seed in range(6)]
    assert any(not torch.equal(outputs[0], other) for other in outputs[1:])


def test_train_transform_flips_about_half_the_time() -> None:
    # Square clip, scale fixed at 8 and crop 8: the only randomness left is the flip.
    pre = Preprocess(crop_size=8, resize=8, train_scale=(8, 8), mean=(0, 0, 0), std=(1, 1, 1))
    clip = coordinate_clip(1, 8, 8)
    rng = np.random.default_rng(0)
    flips = [bool(train_transform(pre)(clip, rng)[1, 0, 0, 0] > 0) for _ in range(200)]
    assert 70 < sum(flips) < 130


def test_multi_view_transform_shapes_and_views() -> None:
    clip = coordinate_clip(4, 20, 40)  # short side -> 8 gives 8x16 frames
    views = multi_view_transform(TINY)(clip)
    assert views.shape == (3, 3, 4, 8, 8)
    assert views.dtype == torch.float32
    x_means = [float(v[1].mean()) for v in views]
    assert x_means[0] < x_means[1] < x_means[2]  # left, centre, right
    single = multi_view_transform(TINY, num_crops=1)(clip)
    assert single.shape == (1, 3, 4, 8, 8)
    torch.testing.assert_close(single[0], views[1])


def test_multi_view_transform_rejects_other_crop_counts() -> None:
    with pytest.raises(ValueError, match="num_crops must be 1 or 3, got 2"):
        multi_view_transform(TINY, num_crops=2)  # type: ignore[arg-type]


def test_presets_pickle_for_dataloader_workers() -> None:
    for transform in (train_transform(TINY), eval_transform(TINY), multi_view_transform(TINY)):
        assert pickle.loads(pickle.dumps(transform)) == transform


# --- Preprocess ----------------------------------------------------------------------------------


def test_preprocess_defaults() -> None:
    pre = Preprocess()
    assert (pre.clip_frames, pre.crop_size, pre.resize, pre.train_scale) == (
        16,
        112,
        128,
        (128, 160),
    )
    assert pre.mean == (0.43216, 0.394666, 0.37645)
    assert pre.std == (0.22803, 0.22145, 0.216989)


def test_preprocess_round_trips_through_json() -> None:
    pre = Preprocess(
        clip_frames=8,
        sampling="clip",
        sampling_rate=2,
        crop_size=224,
        resize=256,
        train_scale=(256, 320),
        mean=(0.45, 0.45, 0.45),
        std=(0.225, 0.225, 0.225),
    )
    as_dict = pre.to_dict()
    assert as_dict["train_scale"] == [256, 320]
    assert json.loads(json.dumps(as_dict)) == as_dict
    restored = Preprocess.from_dict(json.loads(json.dumps(as_dict)))
    assert restored == pre
    assert isinstance(restored.train_scale, tuple)
    assert isinstance(restored.mean, tuple)


def test_preprocess_from_partial_dict_takes_defaults() -> None:
    assert Preprocess.from_dict({"num_frames": 8}) == Preprocess(clip_frames=8)


def test_checkpoints_keep_the_num_frames_key_and_read_either_name() -> None:
    as_dict = Preprocess(clip_frames=8).to_dict()
    assert as_dict["num_frames"] == 8 and "clip_frames" not in as_dict  # config.json, /v1/model
    assert Preprocess.from_dict({"clip_frames": 8}) == Preprocess(clip_frames=8)
    with pytest.raises(ValueError, match="num_frames=4 contradicts clip_frames=8"):
        Preprocess.from_dict({"clip_frames": 8, "num_frames": 4})


SMALL_RECIPE = Preprocess(crop_size=112, resize=128, train_scale=(112, 144))
KINETICS_RECIPE = Preprocess(crop_size=224, resize=256, train_scale=(256, 320))


@pytest.mark.parametrize(
    ("crop", "recipe", "expected"),
    [
        (112, None, (128, (112, 144))),  # the small models' own recipe
        (32, None, (37, (32, 41))),  # 8/7 and 9/7 of the crop, rounded
        (224, None, (256, (224, 288))),
        (32, SMALL_RECIPE, (37, (32, 41))),
        (112, KINETICS_RECIPE, (128, (128, 160))),  # the recipe's ratios, not the small ones
        (8, KINETICS_RECIPE, (9, (9, 11))),
        (224, Preprocess(crop_size=224, resize=224, train_scale=(256, 320)), (224, (256, 320))),
    ],
)
def test_scales_for_crop_keep_the_recipes_ratios(
    crop: int, recipe: Preprocess | None, expected: tuple[int, tuple[int, int]]
) -> None:
    assert scales_for_crop(crop, recipe) == expected


def test_with_input_size_changes_only_frames_and_sizes() -> None:
    recipe = Preprocess(
        clip_frames=16, sampling="clip", sampling_rate=2, crop_size=112, resize=128,
        train_scale=(128, 160), mean=(0.5, 0.5, 0.5),
    )  # fmt: skip
    resized = recipe.with_input_size(clip_frames=4, crop_size=32)
    assert (resized.clip_frames, resized.crop_size) == (4, 32)
    assert (resized.resize, resized.train_scale) == scales_for_crop(32, recipe)
    assert (resized.sampling, resized.sampling_rate, resized.mean) == ("clip", 2, (0.5, 0.5, 0.5))
    assert recipe.with_input_size() == recipe
    assert recipe.with_input_size(clip_frames=8) == Preprocess.from_dict(
        recipe.to_dict() | {"num_frames": 8}
    )


def test_preprocess_from_dict_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match=r"unknown Preprocess field\(s\) \['size'\]"):
        Preprocess.from_dict({"size": 112})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"clip_frames": 0}, "clip_frames must be a positive int, got 0"),
        ({"sampling_rate": -1}, "sampling_rate must be a positive int, got -1"),
        ({"crop_size": 160}, "crop_size=160 must be <= resize=128"),
        ({"train_scale": (160, 128)}, r"train_scale=\(160, 128\) must have low <= high"),
        ({"train_scale": (100, 160)}, "crop_size=112 must be <= train_scale low=100"),
        ({"sampling": "random"}, "sampling must be one of .* got 'random'"),
        ({"std": (0.2, 0.0, 0.2)}, r"std=\(0.2, 0.0, 0.2\) must be positive"),
        ({"mean": (123.7, 116.3, 103.5)}, "mean=.* must lie in"),
        ({"mean": (0.5, 0.5)}, "mean needs 3 values"),
    ],
)
def test_preprocess_validation_names_field_and_value(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Preprocess(**changes)


def test_preprocess_sampling_is_replaced_and_checked() -> None:
    pre = Preprocess(clip_frames=12).with_sampling("segments", frames_per_segment=3)
    assert (pre.sampling, pre.frames_per_segment, pre.clip_frames) == ("segments", 3, 12)
    assert Preprocess.from_dict(json.loads(json.dumps(pre.to_dict()))) == pre
    assert Preprocess.from_dict({"num_frames": 8}).frames_per_segment == 1  # older checkpoints
    with pytest.raises(
        ValueError, match="clip_frames=10 must be a multiple of frames_per_segment=3"
    ):
        Preprocess(clip_frames=10).with_sampling("segments", frames_per_segment=3)
