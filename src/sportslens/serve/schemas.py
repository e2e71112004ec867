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


class PredictResponse(BaseModel):
    """Top-k labels of one uploaded video, best first.

    Fields that the predictor adds for some models (a dive's attributes and number, a skeleton
    model's keypoint summary and repetitions) are passed through unchanged.
    """

    model_config = ConfigDict(extra="allow")

    source: str = Field(description="The uploaded file's name, as the client sent it.")
    model: str = Field(description="The registered model name.")
    top: list[LabelScore]
    frames: list[int] = Field(description="Indices of the frames the model saw.")
    timing_ms: dict[str, float] = Field(
        description="decode and model (from the predictor), upload, wait and total (server)."
    )


class TimelineResponse(BaseModel):
    """Windows and segments of a long video, as ``Predictor.timeline(...).to_dict()`` gives."""

    model_config = ConfigDict(extra="allow")

    source: str
    model: str
    timing_ms: dict[str, float]


class ModelResponse(BaseModel):
    name: str
    classes: list[str]
    num_classes: int
    preprocess: dict[str, Any] = Field(description="Frames, sampling, size, mean and std.")
    metrics: dict[str, Any] | None = Field(
        description="The run's evaluation metrics.json, else the checkpoint's training metrics."
    )
    metrics_source: str | None = Field(description="Where the metrics came from.")
    timeline: bool = Field(description="Whether POST /v1/timeline is available.")
    batching: bool
    max_upload_bytes: int


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"])
    model: str
