"""Response bodies of the API: pydantic models, so the OpenAPI schema documents them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """Every error: a stable code for programs and a message for people."""

    error: str = Field(examples=["upload_too_large"])
    message: str = Field(examples=["the upload is larger than the limit of 200 MB"])


class LabelScore(BaseModel):
    label: str
    score: float = Field(description="Softmax probability in [0, 1].")


class PoseSummary(BaseModel):
    """The keypoints a skeleton model read, for drawing the skeleton over the video."""

    layout: str = Field(description="Joint layout of ``keypoints``: always coco17 here.")
    frames: int = Field(description="Frames of the video (frames with no person included).")
    fps: float
    size: list[int] = Field(description="(width, height) of the video in pixels.")
    detected_fraction: float = Field(description="Share of frames with a person found, 0-1.")
    stride: int = Field(
        description="keypoints[i] is frame i * stride: 1 up to 900 frames, more for longer videos."
    )
    keypoints: list[list[list[float] | None]] = Field(
        description="(frames / stride, 17) joints as [x, y] pixels (0.1 px), null if not detected."
    )
    edges: list[list[int]] = Field(description="Bones as pairs of joint indices.")


class RepetitionSummary(BaseModel):
    start: int = Field(description="First frame of the repetition.")
    end: int = Field(description="Last frame (inclusive).")
    duration_s: float
    angle_min: float = Field(description="Smallest angle of the counted signal (e.g. depth).")
    angle_max: float
    extremes: dict[str, list[float]] = Field(description="(min, max) of every angle signal.")


class FormSummary(BaseModel):
    """Joint angles over time and repetitions: ``sportslens form --json`` less its source."""

    exercise: str | None
    fps: float
    frames: int
    angles: dict[str, dict[str, float | None]] = Field(description="min, max, mean per angle.")
    signal: str = Field(description="The angle signal the repetitions were counted on.")
    count: int
    periodicity: float
    period_s: float | None
    repetitions: list[RepetitionSummary]
    feedback: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per repetition: verdict (good, partial, check), reasons and measures "
        "(depth, lockout, tempo, range, asymmetry, lean); see docs/form.md.",
    )
    impossible_angles: int | None = Field(
        default=None, description="Angle values found impossible and left out."
    )
    angles_per_frame: dict[str, list[float | None]] = Field(
        description="Every angle in degrees at every frame; null where not measured."
    )


class PersonPrediction(BaseModel):
    """One person's answer from a skeleton model (``people`` all or N)."""

    track_id: int = Field(description="The person's track id (the same in pose files).")
    top: list[LabelScore]
    answer: str | None = None
    pose: PoseSummary
    form: FormSummary | None = None


class PredictResponse(BaseModel):
    """Top-k labels of one uploaded video, best first.

    Skeleton models add ``pose`` and ``form``. Fields that the predictor adds for other models
    (a dive's attributes and number) are passed through unchanged.
    """

    model_config = ConfigDict(extra="allow")

    source: str = Field(description="The uploaded file's name, as the client sent it.")
    model: str = Field(description="The registered model name.")
    top: list[LabelScore]
    frames: list[int] = Field(description="Indices of the frames the model saw.")
    timing_ms: dict[str, float] = Field(
        description="decode and model (from the predictor), upload, wait and total (server)."
    )
    pose: PoseSummary | None = Field(
        default=None, description="Skeleton models: the keypoints the model read."
    )
    form: FormSummary | None = Field(
        default=None,
        description="Skeleton models: angles and repetitions; null when no angle was measured.",
    )
    track_id: int | None = Field(
        default=None,
        description="With people all or N: the track whose answer the fields above give (the "
        "person seen largest).",
    )
    people: list[PersonPrediction] | None = Field(
        default=None,
        description="With people all or N (skeleton models): every person's answer, by track.",
    )
    dive: dict[str, Any] | None = Field(
        default=None, description="Dive models only: the dive number and its attributes."
    )
    answer: str | None = Field(
        default=None,
        description='The top label, or "unknown" under the model\'s calibrated confidence; '
        "absent for models without a calibration.",
    )
    data_domain: str | None = Field(
        default=None, description='What the model was trained on ("synthetic athletes", ...).'
    )
    warnings: list[str] = Field(
        default_factory=list, description="Reasons to doubt the answer (a long video, ...)."
    )


class TimelineResponse(BaseModel):
    """Windows and segments of a long video, as ``Predictor.timeline(...).to_dict()`` gives.

    With ``people`` all or N (skeleton models) these are the timeline of the person seen largest,
    whose ``track_id`` is given, and ``lanes`` holds every person's timeline with its
    ``track_id``.
    """

    model_config = ConfigDict(extra="allow")

    source: str
    model: str
    timing_ms: dict[str, float]
    data_domain: str | None = Field(
        default=None, description='What the model was trained on ("synthetic athletes", ...).'
    )
    warnings: list[str] = Field(
        default_factory=list, description="Reasons to doubt the labels (synthetic training, ...)."
    )


class ModelResponse(BaseModel):
    name: str
    classes: list[str]
    num_classes: int
    preprocess: dict[str, Any] = Field(
        description="The model's input: a video recipe (frames, sampling, size, mean, std), "
        "or keypoints for skeleton models."
    )
    metrics: dict[str, Any] | None = Field(
        default=None,
        description="The run's evaluation metrics.json, else the checkpoint's training metrics; "
        "left out when the model has neither.",
    )
    metrics_source: str | None = Field(default=None, description="Where the metrics came from.")
    timeline: bool = Field(description="Whether POST /v1/timeline is available.")
    batching: bool
    max_upload_bytes: int


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"])
    model: str
