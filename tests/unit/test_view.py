"""Camera view from body yaw: synthetic cameras with known yaw, and three real clips (one per view)."""

from collections.abc import Callable

import numpy as np
import pytest

from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, generate
from hingecoach.filtering import clean_track
from hingecoach.skeleton import N_LANDMARKS, idx
from hingecoach.track import PoseTrack
from hingecoach.view import classify_view, yaw_from_image_deg, yaw_from_world_deg


@pytest.mark.parametrize(
    ("yaw", "expected"),
    [
        (0, "side"),
        (15, "side"),
        (-20, "side"),
        (45, "oblique"),
        (-40, "oblique"),
        (75, "front"),
        (90, "front"),
        (180, "side"),
    ],
)
@pytest.mark.parametrize("facing", ["left", "right"])
def test_synthetic_yaw_maps_to_view(yaw: float, expected: str, facing: str) -> None:
    r = generate(HingeSpec(reps=2), CameraSpec(yaw_deg=yaw, facing=facing), NoiseSpec(noise_px=1.5, seed=1))  # type: ignore[arg-type]
    v = classify_view(clean_track(r.track))
    assert v.view == expected
    folded = abs((yaw + 90) % 180 - 90)  # 0 = side-on, 90 = square, whichever way the lifter turns
    assert v.yaw_deg == pytest.approx(folded, abs=6.0)
    assert v.yaw_world_deg == pytest.approx(folded, abs=0.5)  # world landmarks are exact in synthesis
    assert 0.0 < v.confidence <= 1.0


def test_hinging_towards_the_camera_does_not_look_wider() -> None:
    # A front view whose trunk foreshortens at the bottom: only upright frames feed the image cue.
    r = generate(HingeSpec(reps=3, hip_flexion_deg=100), CameraSpec(yaw_deg=90))
    img = yaw_from_image_deg(r.track.xy_px)
    bottoms = [rep.bottom for rep in r.reps]
    assert np.isnan(img[bottoms]).all()
    assert np.nanmedian(img) == pytest.approx(90.0, abs=8.0)


def test_image_only_track_uses_the_image_cue() -> None:
    r = generate(HingeSpec(reps=1), CameraSpec(yaw_deg=45))
    tr = PoseTrack.from_numpy(r.track.xy_px, 30.0, (1280, 720), visibility=r.track.visibility)
    v = classify_view(tr)
    assert v.view == "oblique" and v.yaw_world_deg is None and v.yaw_image_deg is not None


def test_no_person_is_unknown() -> None:
    tr = PoseTrack.from_numpy(np.full((20, N_LANDMARKS, 2), np.nan), 30.0, (640, 480))
    v = classify_view(tr)
    assert v.view == "unknown" and v.confidence == 0.0 and v.yaw_deg is None


def test_world_yaw_formula() -> None:
    world = np.zeros((1, N_LANDMARKS, 3))
    world[0, idx("left_shoulder")] = [0.1, 0.0, 0.1]  # 45° between image-x and depth
    world[0, idx("left_hip")] = [0.0, 0.0, 0.2]  # pure depth: side-on
    assert yaw_from_world_deg(world)[0] == pytest.approx((45.0 + 0.0) / 2)


# ------------------------------------------------------------------------------------------- real clips (model)
@pytest.mark.model
@pytest.mark.real_data
@pytest.mark.parametrize(
    ("clip", "expected"),
    [
        ("to-be-frank/videos/kb-deadlift.mp4", "side"),
        ("03y/deadlift5.mp4", "front"),
        ("gym-app-ai/videos/rdl.mp4", "oblique"),
    ],
)
def test_real_clip_views(real_track: Callable[[str], PoseTrack], clip: str, expected: str) -> None:
    v = classify_view(clean_track(real_track(clip)))
    assert v.view == expected
    assert v.confidence >= 0.5
