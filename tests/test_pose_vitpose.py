"""The ViTPose backend with tiny random models saved to folders (no download), and its errors."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from conftest import MakeVideo
from sportslens.pose import VitPoseSettings, extract_keypoints

transformers = pytest.importorskip("transformers", reason="the hf extra is not installed")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 17-keypoint ViTPose and an RT-DETR with a "person" class, a few thousand weights each."""
    import torch

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny_vitpose")
    backbone = transformers.VitPoseBackboneConfig(
        image_size=[32, 24], patch_size=[8, 8], hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, mlp_ratio=2, out_indices=[1],
    )  # fmt: skip
    pose_config = transformers.VitPoseConfig(
        backbone_config=backbone, scale_factor=2, num_labels=17
    )
    transformers.VitPoseForPoseEstimation(pose_config).save_pretrained(root / "pose")
    transformers.VitPoseImageProcessor(size={"height": 32, "width": 24}).save_pretrained(
        root / "pose"
    )
    resnet = transformers.RTDetrResNetConfig(
        embedding_size=8, hidden_sizes=[8, 8, 16, 16], depths=[1, 1, 1, 1], layer_type="basic",
        out_features=["stage2", "stage3", "stage4"],
    )  # fmt: skip
    detector_config = transformers.RTDetrConfig(
        backbone_config=resnet, encoder_hidden_dim=16, encoder_in_channels=[8, 16, 16],
        encoder_ffn_dim=16, encoder_attention_heads=2, d_model=16, num_queries=10,
        decoder_in_channels=[16, 16, 16], decoder_ffn_dim=16, decoder_layers=1,
        decoder_attention_heads=2, num_denoising=0,
        id2label={0: "person", 1: "barbell"}, label2id={"person": 0, "barbell": 1},
    )  # fmt: skip
    transformers.RTDetrForObjectDetection(detector_config).save_pretrained(root / "detector")
    transformers.RTDetrImageProcessor(size={"height": 64, "width": 64}).save_pretrained(
        root / "detector"
    )
    return root / "pose", root / "detector"


def settings(models: tuple[Path, Path], **changes: object) -> VitPoseSettings:
    pose, detector = models
    base = {"model": str(pose), "detector": str(detector), "device": "cpu", "batch_size": 4}
    return VitPoseSettings(**{**base, **changes})  # type: ignore[arg-type]


def test_loads_models_from_folders_and_keeps_every_frame(
    make_video: MakeVideo, tiny_models: tuple[Path, Path]
) -> None:
    video = make_video("clip.mp4", frames=6)
    kp = extract_keypoints(video, "vitpose", vitpose=settings(tiny_models, detection_threshold=0.0))
    assert (kp.num_frames, kp.layout, kp.size) == (6, "coco17", (96, 64))
    assert kp.detected.all()  # threshold 0: the random detector always boxes a "person"
    assert np.isfinite(kp.keypoints).all() and kp.scores.min() > 0 and kp.scores.max() <= 1


def test_no_person_box_means_scores_zero_and_no_detector_means_the_whole_frame(
    make_video: MakeVideo, tiny_models: tuple[Path, Path]
) -> None:
    video = make_video("clip.mp4", frames=5)
    strict = settings(tiny_models, detection_threshold=1.0)  # no box can score above 1
    kp = extract_keypoints(video, "vitpose", vitpose=strict)
    assert kp.num_frames == 5 and not kp.scores.any()
    whole = extract_keypoints(video, "vitpose", vitpose=settings(tiny_models, detector=None))
    assert whole.detected.all()
    # Frame pixels, not the 24 × 32 crop's: a random model's points spread over the whole box.
    assert np.ptp(whole.keypoints[..., 0]) > 24 and np.isfinite(whole.keypoints).all()


def test_blazepose_layout_is_refused(make_video: MakeVideo, tiny_models: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="coco17 keypoints only"):
        extract_keypoints(
            make_video(frames=2), "vitpose", layout="blazepose33", vitpose=settings(tiny_models)
        )


def test_missing_weights_fail_at_once_saying_what_to_download(
    make_video: MakeVideo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    video = make_video(frames=2)
    start = time.perf_counter()
    missing = VitPoseSettings(model="sportslens-tests/no-such-vitpose", detector=None)
    with pytest.raises(
        FileNotFoundError, match=r"hf download sportslens-tests/no-such-vitpose"
    ) as error:
        extract_keypoints(video, "vitpose", vitpose=missing)
    assert "--vitpose-model ./no-such-vitpose" in str(error.value)
    assert time.perf_counter() - start < 20
    with pytest.raises(FileNotFoundError, match="not a folder holding a saved model"):
        extract_keypoints(video, "vitpose", vitpose=VitPoseSettings(model="./no/such/folder"))


def test_every_person_box_above_the_threshold_is_kept_and_tracked(
    make_video: MakeVideo, tiny_models: tuple[Path, Path]
) -> None:
    from sportslens.pose import extract_people
    from sportslens.pose.backends.vitpose import frame_people, load_vitpose
    from sportslens.pose.tracking import TrackerConfig
    from sportslens.video import read_frames

    video = make_video("clip.mp4", frames=6)
    loose = settings(tiny_models, detection_threshold=0.0)
    models = load_vitpose(loose)
    frames = [f.permute(1, 2, 0).numpy() for f in read_frames(video, [0, 1])]  # (H, W, 3) each
    import torch

    inputs = models.detector_processor(images=frames, return_tensors="pt")
    with torch.inference_mode():
        detected = models.detector_processor.post_process_object_detection(
            models.detector(**inputs), target_sizes=[f.shape[:2] for f in frames], threshold=0.0
        )
    boxes = [int((d["labels"] == models.person_label).sum()) for d in detected]
    assert max(boxes) > 1  # the random detector boxes several "people"
    found = frame_people(models, frames, 0.0)
    assert [len(points) for points, _ in found] == boxes  # each box kept, not the best one only
    assert all(
        points.shape[1:] == (17, 2) and scores.shape[1:] == (17,) for points, scores in found
    )
    from sportslens.pose.backends.vitpose import extract_vitpose_people

    everyone = TrackerConfig(min_score=0.0, min_frames=1, max_distance=1e6, shadows=None)
    tracked = extract_vitpose_people(video, loose, tracker=everyone)
    assert tracked.num_frames == 6 and tracked.num_people >= max(boxes)
    one = extract_people(video, "vitpose", vitpose=loose)  # largest: the best box, as before
    assert one.num_people == 1
    np.testing.assert_array_equal(
        one.person(0).keypoints, extract_keypoints(video, "vitpose", vitpose=loose).keypoints
    )
