"""The BlazePose 33-landmark skeleton: names, indices and the side-specific groups the analysis uses.

Every stage refers to landmarks by name through this module, so a misspelt landmark fails at import
time (see ``tests/unit/test_skeleton.py``) instead of silently reading the wrong column.
"""

from __future__ import annotations

from typing import Final, Literal

LANDMARK_NAMES: Final[tuple[str, ...]] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
N_LANDMARKS: Final[int] = len(LANDMARK_NAMES)
INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

Side = Literal["left", "right"]
SIDES: Final[tuple[Side, Side]] = ("left", "right")

# Landmarks that make up the sagittal chain on one side of the body (ear → shoulder → hip → knee → ankle → foot).
SAGITTAL_CHAIN: Final[tuple[str, ...]] = (
    "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index",
)

# Bones drawn by annotators, as pairs of landmark names.
BONES: Final[tuple[tuple[str, str], ...]] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("left_ear", "left_shoulder"),
    ("right_ear", "right_shoulder"),
)


def idx(name: str) -> int:
    """Index of a landmark by its full name (``"left_hip"``); raises ``KeyError`` for an unknown name."""
    return INDEX[name]


def sided(side: Side, part: str) -> int:
    """Index of ``part`` (``"hip"``, ``"knee"``...) on ``side``."""
    return INDEX[f"{side}_{part}"]


def other(side: Side) -> Side:
    """The opposite side."""
    return "right" if side == "left" else "left"
