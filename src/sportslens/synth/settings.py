"""What every synthetic clip of one run shares: one settings object for every builder."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["DEFAULT_SETTINGS", "DIVE_SETTINGS", "ClipSettings"]


@dataclass(frozen=True)
class ClipSettings:
    """Length, frame rate, frame size, the athletes drawn from, and the seed.

    Checked when made, so a bad value stops a run before any clip is drawn. The same settings
    (and class and index) always give the same clip.
    """

    num_frames: int = 90
    """Frames per clip (3 s at 30 fps). Sessions ignore it: each block draws its own length."""
    fps: float = 30.0
    size: int = 160
    """Frames are ``size`` x ``size`` pixels; even, as H.264 needs."""
    athletes: int = 20
    """How many bodies clips draw from; a clip's athlete is its split group."""
    seed: int = 0

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.num_frames < 2:
            raise ValueError(f"a clip needs at least 2 frames, got {self.num_frames}")
        if self.size < 64 or self.size % 2:
            raise ValueError(
                f"size must be even and at least 64 (H.264 needs even sizes), got {self.size}"
            )
        if self.athletes < 1:
            raise ValueError(f"athletes must be at least 1, got {self.athletes}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")

    def lasting(self, seconds: float) -> ClipSettings:
        """These settings with clips of ``seconds`` (``round(seconds * fps)`` frames)."""
        if seconds <= 0:
            raise ValueError(f"seconds and fps must be positive, got {seconds} and {self.fps}")
        return replace(self, num_frames=round(seconds * self.fps))


DEFAULT_SETTINGS = ClipSettings()
"""Athletes' defaults: 3 s at 30 fps, 160 px, 20 athletes, seed 0."""
DIVE_SETTINGS = ClipSettings(num_frames=30, fps=15.0, size=112)
"""Dives' defaults: 2 s at 15 fps, 112 px (what ``synth --kind dives`` makes by default)."""
