"""Prediction: preprocess -> forward -> postprocess, shared by the CLI and the server."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from sportslens.checkpoint import CheckpointInfo, checkpoint_heads, load_checkpoint
from sportslens.data.domain import SYNTHETIC
from sportslens.models import ModelInput, VideoClassifier, create_model, get_entry
from sportslens.models.heads import ExtraHeads, HeadsAnswer
from sportslens.models.inputs import TimelineRequest
from sportslens.video import Source, describe_source, probe

if TYPE_CHECKING:
    from sportslens.export import Runtime
    from sportslens.models.inputs import KeypointSource, TimelineScoring
    from sportslens.pose.people import PeopleChoice
    from sportslens.timeline import Timeline, TimelineOptions
    from sportslens.timeline.lanes import TimelineLanes


@dataclass(frozen=True)
class Prediction:
    """Top-k labels for one video, best first."""

    source: str
    labels: list[str]
    scores: list[float]
    frames: list[int]
    """The frame indices the model saw."""
    timing_ms: dict[str, float] = field(default_factory=dict)
    dive: HeadsAnswer | None = None
    """What the model's extra heads make of it (attribute heads: each attribute's answer and the
    dive number they compose, a ``DivePrediction``); null under "dive" without extra heads."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Fields a model family adds, JSON-ready: a skeleton model's ``pose`` and ``form``."""
    answer: str | None = None
    """The top label, or "unknown" when its score is under the model's calibrated threshold
    (None: the model has no threshold, as for weights not trained here)."""
    data_domain: str | None = None
    """What the model was trained on: "synthetic athletes" or "user data: <folder>"."""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "top": [
                {"label": name, "score": score}
                for name, score in zip(self.labels, self.scores, strict=True)
            ],
            "frames": self.frames,
            "timing_ms": self.timing_ms,
            # Only dive models answer with a dive: other answers leave the field out.
            **({"dive": self.dive.to_dict()} if self.dive is not None else {}),
            # A model without calibration or a recorded domain leaves those out too.
            **({"answer": self.answer} if self.answer is not None else {}),
            **({"data_domain": self.data_domain} if self.data_domain is not None else {}),
            "warnings": self.warnings,
            **self.extras,
        }


LONG_VIDEO = 3.0
"""A video this many times longer than the training clips holds more than one action, likely."""


@dataclass(frozen=True)
class Trust:
    """How far a checkpoint's answers go: its data, its clip length, its calibrated threshold."""

    data_domain: str | None = None
    clip_seconds: float | None = None
    threshold: float | None = None
    """Top-1 scores under this are "unknown" (validation's ``metrics.confidence_threshold``)."""

    @classmethod
    def of(cls, info: CheckpointInfo) -> Trust:
        threshold = info.metrics.get("val_confidence_threshold")
        return cls(
            info.data_domain, info.clip_seconds, None if threshold is None else float(threshold)
        )

    def answer(self, label: str, score: float) -> str | None:
        """``label``, or "unknown" under the threshold; None without a threshold."""
        if self.threshold is None:
            return None
        return label if score >= self.threshold else "unknown"

    def warnings(self, video: Source) -> list[str]:
        """What to doubt in an answer for ``video``: its length, the model's training data."""
        return [*self._length_warnings(video), *self.domain_warnings()]

    def domain_warnings(self) -> list[str]:
        """What to doubt in any answer of this model: the data it learnt from."""
        if self.data_domain == SYNTHETIC:
            return [
                "this model was trained on synthetic figures only: on real footage its labels "
                "mean little; `sportslens analyze` measures real videos"
            ]
        return []

    def _length_warnings(self, video: Source) -> list[str]:
        found = []
        if self.clip_seconds and isinstance(video, str | os.PathLike):
            seconds = probe(video).duration
            if seconds > LONG_VIDEO * self.clip_seconds:
                found.append(
                    f"the video lasts {seconds:.0f} s but the model learnt from "
                    f"{self.clip_seconds:.0f} s clips: one label for all of it hides what happens "
                    "when; run `sportslens timeline` for a label per moment"
                )
        return found


class Predictor:
    """A loaded model with its class names and preprocessing, ready for videos."""

    def __init__(
        self,
        model: VideoClassifier,
        classes: Sequence[str],
        device: str | torch.device = "cpu",
        heads: ExtraHeads | None = None,
    ) -> None:
        if len(classes) != model.num_classes:
            raise ValueError(f"{len(classes)} class names for a {model.num_classes}-class model")
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.classes = list(classes)
        self.heads = heads
        """The model's extra heads, which add their answer to each prediction (None: none)."""
        self.trust = Trust()
        """What a checkpoint says about its own answers; empty for weights not trained here."""

    @classmethod
    def load(
        cls,
        checkpoint: str | Path | None = None,
        *,
        model: str | None = None,
        weights: str | Path | None = None,
        device: str | torch.device = "cpu",
        runtime: Runtime = "torch",
    ) -> Predictor:
        """A checkpoint (a run or checkpoint folder), or a registry model with its weights.

        What the CLI's ``--checkpoint`` / ``--model`` with ``--weights`` options load;
        ``runtime="onnx"`` runs the checkpoint's ONNX export (see :mod:`sportslens.export`).
        """
        if checkpoint is not None:
            return cls.from_checkpoint(checkpoint, device, runtime=runtime)
        if runtime != "torch":
            raise ValueError(f"--runtime {runtime} runs an exported model: give --checkpoint")
        if model is None or weights is None:
            raise ValueError(MODEL_SOURCE_HELP)
        return cls.from_pretrained(model, weights, device=device)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str | torch.device = "cpu", *, runtime: Runtime = "torch"
    ) -> Predictor:
        """Load a run folder (its best checkpoint) or a checkpoint folder; with
        ``runtime="onnx"``, an export folder (or a run folder's ``onnx/``) run by onnxruntime."""
        model: VideoClassifier
        if runtime == "onnx":
            from sportslens.export import load_onnx

            model, info = load_onnx(Path(path), device)
        elif runtime != "torch":
            raise ValueError(f"unknown runtime {runtime!r}; known: torch, onnx")
        else:
            model, info = load_checkpoint(Path(path), device)
        predictor = cls(model, info.classes, device, checkpoint_heads(info))
        predictor.trust = Trust.of(info)
        return predictor

    @classmethod
    def from_pretrained(
        cls,
        name: str,
        pretrained: str | Path,
        classes: Sequence[str] | None = None,
        device: str | torch.device = "cpu",
    ) -> Predictor:
        """A registry model with public or local weights, keeping their classifier head.

        Class names come from the weights (torchvision's Kinetics-400 metadata, a transformers
        config's ``id2label``) unless ``classes`` are given.
        """
        names = list(classes) if classes else pretrained_class_names(name, pretrained)
        if not names:
            raise ValueError(f"{pretrained}: the weights carry no class names; pass classes=")
        return cls(create_model(name, len(names), pretrained=pretrained), names, device)

    def preprocess(self, video: Source) -> tuple[torch.Tensor, list[int]]:
        """One source as one model input (``(C, T, H, W)`` for a video model) and its frames."""
        clip, frames, _ = self._prepare(video)
        return clip, frames

    def _prepare(self, video: Source) -> ModelInput:
        """The model input of ``video`` and the prediction's extra fields, by the model's adapter:
        decoded frames, or keypoints read (or extracted) for a skeleton model."""
        return self.model.input_adapter.prepare(self.model.preprocess, video)

    @torch.no_grad()
    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities (B, K) for a batch of clips (B, C, T, H, W)."""
        logits: torch.Tensor = self.model(clips.to(self.device))  # (B, K)
        return logits.float().softmax(dim=1).cpu()

    @torch.no_grad()
    def forward_heads(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        """Softmax probabilities of every head: ``class`` (B, K) and each extra head's."""
        logits = self.model.forward_heads(clips.to(self.device))
        return {name: values.float().softmax(dim=1).cpu() for name, values in logits.items()}

    def postprocess(self, probs: torch.Tensor, top_k: int, allowed: Sequence[int] | None) -> Any:
        """The top-k (names, scores) of (K,) probabilities, optionally among ``allowed`` only."""
        if allowed is not None:
            mask = torch.zeros_like(probs, dtype=torch.bool)
            mask[list(allowed)] = True
            probs = torch.where(mask, probs, torch.zeros_like(probs))
            probs = probs / probs.sum().clamp_min(1e-12)
        top = probs.topk(min(top_k, len(self.classes)))
        return [self.classes[i] for i in top.indices.tolist()], top.values.tolist()

    def predict_many(
        self,
        videos: Sequence[Source],
        *,
        top_k: int = 5,
        batch_size: int = 8,
        allowed: Sequence[int] | None = None,
    ) -> list[Prediction]:
        """Predict several videos, decoding one at a time and running the model in batches."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        results: list[Prediction] = []
        for begin in range(0, len(videos), batch_size):
            chunk = videos[begin : begin + batch_size]
            start = time.perf_counter()
            prepared = [self._prepare(video) for video in chunk]
            decoded = time.perf_counter()
            clips = torch.stack([clip for clip, _, _ in prepared])  # (B, C, T, H, W)
            if self.heads is not None:  # every head's probabilities
                heads = self.forward_heads(clips)
            else:  # one head, through forward: the server's micro-batcher wraps that call
                heads = {"class": self.forward(clips)}
            probs = heads["class"]  # (B, K)
            done = time.perf_counter()
            timing = {
                "decode": (decoded - start) * 1000 / len(chunk),
                "model": (done - decoded) * 1000 / len(chunk),
            }
            for i, (video, (_, indices, extras)) in enumerate(zip(chunk, prepared, strict=True)):
                names, scores = self.postprocess(probs[i], top_k, allowed)
                answer = None
                if self.heads is not None:
                    extra = {k: v[i] for k, v in heads.items() if k != "class"}  # (values,) each
                    answer = self.heads.postprocess(extra)
                source = describe_source(video)
                results.append(
                    Prediction(
                        source, names, scores, indices, dict(timing), answer, extras,
                        answer=self.trust.answer(names[0], scores[0]),
                        data_domain=self.trust.data_domain,
                        warnings=self.trust.warnings(video),
                    )
                )  # fmt: skip
        return results

    def predict(
        self, video: Source, *, top_k: int = 5, people: PeopleChoice = "largest"
    ) -> Prediction:
        """Top-k labels and scores for one video (per person with ``people`` all or N)."""
        if people != "largest":
            return self.predict_people(video, people, top_k=top_k)
        return self.predict_many([video], top_k=top_k)[0]

    def predict_people(
        self,
        video: Source,
        people: PeopleChoice = "all",
        *,
        top_k: int = 5,
        allowed: Sequence[int] | None = None,
    ) -> Prediction:
        """Top-k labels of each chosen person (skeleton models): the answer's own fields are
        the person seen largest's, as with one person, plus ``track_id`` and ``people``, a list
        of every person's ``track_id``, ``top``, ``answer``, ``pose`` and ``form``."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        start = time.perf_counter()
        found = self.model.input_adapter.prepare_people(self.model.preprocess, video, people)
        decoded = time.perf_counter()
        probs = self.forward(torch.stack([made.clip for made in found.inputs]))  # (P, K)
        done = time.perf_counter()
        timing = {"decode": (decoded - start) * 1000, "model": (done - decoded) * 1000}
        ranked = [self.postprocess(row, top_k, allowed) for row in probs]  # P x (names, scores)
        answers = [
            {
                "track_id": track_id,
                "top": [{"label": n, "score": s} for n, s in zip(names, scores, strict=True)],
                "answer": self.trust.answer(names[0], scores[0]),
                **made.extras,  # this person's pose and form
            }
            for track_id, made, (names, scores) in zip(
                found.track_ids, found.inputs, ranked, strict=True
            )
        ]
        names, scores = ranked[found.main]
        main = found.inputs[found.main]
        extras = {**main.extras, "track_id": found.track_ids[found.main], "people": answers}
        return Prediction(
            describe_source(video), names, scores, main.frames, timing, None, extras,
            answer=answers[found.main]["answer"], data_domain=self.trust.data_domain,
            warnings=self.trust.warnings(video),
        )  # fmt: skip

    def timeline_scoring(
        self,
        video: Source,
        *,
        keypoints: KeypointSource | None = None,
        batch_size: int = 8,
        show_progress: bool = False,
    ) -> TimelineScoring:
        """Everything :meth:`timeline` needs before scoring: a skeleton model's whole-video pose
        (``keypoints``, or extracted now, with a progress bar when ``show_progress``)."""
        request = TimelineRequest(video, keypoints, batch_size, show_progress)
        return self.model.input_adapter.timeline_scoring(self, request)

    def timeline(
        self,
        video: Source,
        *,
        window: float | None = None,
        stride: float | None = None,
        options: TimelineOptions | None = None,
        keypoints: KeypointSource | None = None,
        progress: Callable[[int, int], None] | None = None,
        stop_on_interrupt: bool = False,
        scoring: TimelineScoring | None = None,
    ) -> Timeline:
        """Slide the model over a whole video of any length: window scores and segments.

        ``window`` and ``stride`` (seconds, or frames with ``options.unit="frames"``) override
        ``options``; ``progress(frames_done, num_frames)`` follows scoring; with
        ``stop_on_interrupt`` Ctrl-C returns the windows scored so far (``complete=False``).

        A skeleton model scores windows of the video's keypoints: ``keypoints`` (a keypoint file
        or :class:`~sportslens.pose.Keypoints` of this video), or else those MediaPipe extracts
        from the whole video first. Its action segments of known exercises get repetitions.
        ``scoring`` from :meth:`timeline_scoring` skips that preparation (made beforehand).
        """
        from sportslens.timeline import TimelineOptions, build_timeline

        chosen = options or TimelineOptions()
        if window is not None:
            chosen = dataclasses.replace(chosen, window=window)
        if stride is not None:
            chosen = dataclasses.replace(chosen, stride=stride)
        if scoring is None:
            scoring = self.timeline_scoring(
                video, keypoints=keypoints, batch_size=chosen.batch_size
            )
        result = build_timeline(
            scoring.scorer, video, chosen, progress=progress, stop_on_interrupt=stop_on_interrupt
        )
        return self._honest(scoring.finish(result))

    def _honest(self, timeline: Timeline) -> Timeline:
        """``timeline`` with the model's domain, its warnings and each action segment's answer:
        its label, or "unknown" when its mean window score is under the calibrated threshold."""
        segments = [
            s
            if s.background
            else dataclasses.replace(s, answer=self.trust.answer(s.label, s.mean_score))
            for s in timeline.segments
        ]
        return dataclasses.replace(
            timeline,
            segments=segments,
            data_domain=self.trust.data_domain,
            warnings=self.trust.domain_warnings(),
        )

    def timeline_people(
        self,
        video: Source,
        people: PeopleChoice = "all",
        *,
        options: TimelineOptions | None = None,
        keypoints: KeypointSource | None = None,
        show_progress: bool = False,
    ) -> TimelineLanes:
        """A lane per chosen person (skeleton models): :meth:`timeline` on each person's
        keypoints (a keypoint file's tracks, or blazepose-multi's on the video)."""
        from sportslens.timeline import TimelineOptions
        from sportslens.timeline.lanes import TimelineLanes

        chosen = options or TimelineOptions()
        request = TimelineRequest(video, keypoints, chosen.batch_size, show_progress, people)
        ids, scorings, main = self.model.input_adapter.timeline_lanes(self, request)
        lanes = [self.timeline(video, options=chosen, scoring=s) for s in scorings]
        return TimelineLanes(describe_source(video), ids, lanes, main)


# Every command that loads a model takes both spellings of the weights option.
MODEL_SOURCE_HELP = "give --checkpoint RUN_DIR, or --model NAME with --weights"


def check_model_source(
    checkpoint: str | Path | None, model: str | None, weights: str | Path | None
) -> None:
    """Refuse, as :meth:`Predictor.load` does, a source that is neither a checkpoint nor a
    model with weights (for callers that load later, such as the server)."""
    if checkpoint is None and (model is None or weights is None):
        raise ValueError(MODEL_SOURCE_HELP)


def pretrained_class_names(name: str, pretrained: str | Path) -> list[str]:
    """The classes a model's pretrained weights were trained on, read from metadata only."""
    return get_entry(name).input_adapter.pretrained_classes(name, pretrained)
