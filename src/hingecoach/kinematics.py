"""Kinematics stage: a :class:`~hingecoach.track.PoseTrack` in, named per-frame angle series out.

CONTRACT (other stages rely on these names; all arrays are ``(T,)`` float64, NaN where unreliable):

=========================  ======  ============================================================================
series                     unit    definition (sagittal quantities use the side facing the camera)
=========================  ======  ============================================================================
hip_flexion_deg            deg     180 − angle(shoulder, hip, knee); 0 standing tall, ~90 torso ⟂ thigh
knee_flexion_deg           deg     180 − angle(hip, knee, ankle); 0 straight (locked) knee
trunk_incline_deg          deg     angle of hip→shoulder from vertical; 0 upright, 90 torso horizontal
shin_angle_deg             deg     angle of ankle→knee from vertical, positive = knee ahead of the ankle
head_offset                ratio   signed distance of the ear from the hip→shoulder line ÷ trunk length;
                                   positive = ear on the front (chest) side
hand_height                ratio   wrist height: 0 at ankle, 1 at knee, 2 at hip (linear in image y)
hand_to_shin               ratio   horizontal wrist distance in front of the shin line ÷ shin length
pelvis_tilt_deg            deg     frontal-plane angle of the left→right hip line from horizontal (image)
hip_extension_deg          deg     = −hip_flexion_deg where negative (leaning back past vertical), else 0; NaN where the
                                   knee angle is impossible (a wrong knee landmark draws the thigh)
dowel_bow                  ratio   virtual dowel (hingecoach.backline.dowel) on track.back_profile: how far the back
                                   between tailbone and upper-back contacts rises above the stick ÷ trunk length
dowel_head_gap             ratio   back of the head below (+, dropped) or past (−, craned) the stick ÷ trunk length
dowel_tail_gap             ratio   stick held on the upper back: how far it lifts off the tailbone ÷ trunk length
dowel_shoulder_drop        ratio   how far the back at the shoulder line falls below the stick ÷ trunk length
dowel_lumbar_bow           ratio   a stick on the tailbone and the back just below the shoulder blades: how far the
                                   lower back rises above it ÷ trunk length (read where arms hide the upper back)
trunk_px                   px      hip→shoulder length at the pose model's working resolution (long side ≤ 960 px)
hands_to_neck              ratio   nearer wrist's distance from the neck (shoulder–ear midpoint) ÷ trunk length
elbow_behind_trunk         ratio   further-back elbow at the upper back's height behind the hip→shoulder axis ÷ trunk
                                   length (> 0: arms along the upper back; hingecoach.backline.elbow_behind_trunk)
hip_flexion_far_deg        deg     hip_flexion_deg measured on the other (far) side — the free leg of a
                                   single-leg RDL, noisier in side views
knee_flexion_far_deg       deg     knee_flexion_deg on the far side
hip_flexion_3d_deg         deg     unsigned 180 − angle(shoulder, hip, knee) from world_m (view-independent
                                   cross-check; NaN without world landmarks)
knee_flexion_3d_deg        deg     unsigned 180 − angle(hip, knee, ankle) from world_m (NaN without them)
trunk_incline_3d_deg       deg     angle of mid-hip→mid-shoulder from vertical in world_m (unsigned)
body_arch_deg              deg     signed angle at the hip between the ankle→hip line and the hip→shoulder
                                   line, positive = shoulders behind the leg line (leaning back, hips pushed
                                   forward): hip extension measured without the knee landmark
hand_to_leg                ratio   horizontal wrist distance in front of the leg at the wrist's height (the
                                   hip→knee line above the knee, knee→ankle below) ÷ shin length
=========================  ======  ============================================================================

Sign conventions (Sports2D style): image x is flipped by the facing direction and y by "up", giving sagittal
``(u forward, v up)`` coordinates; flexion angles are *signed* 2-D angles (cross and dot product), so a lean back
past straight reads negative (never 329°), and a left- and a right-facing lifter read the same. ``hand_height`` is
NaN when the shank or thigh is far from upright (hip thrust); ``pelvis_tilt_deg`` is NaN when the hips are less
than 0.15 trunk lengths apart in the image (side views), positive = right hip higher.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.backline import axis_position, dowel, elbow_behind_trunk, pair_mean
from hingecoach.filtering import body_scale_px, clean_track, is_clean
from hingecoach.nanstats import nanmean, rolling_nanmedian
from hingecoach.skeleton import INDEX, SIDES, Side, other, sided
from hingecoach.timebase import sample_rate_hz
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

#: Visibility (after cleaning) a landmark needs for its frame to count as reliable.
RELIABLE_VISIBILITY: Final[float] = 0.5
#: Landmarks on the camera side that sagittal angles need.
SAGITTAL_PARTS: Final[tuple[str, ...]] = ("shoulder", "hip", "knee", "ankle")
#: World-depth difference (m) between the two sides above which depth, not visibility, decides the near side.
DEPTH_DECISIVE_M: Final[float] = 0.04
#: Physically possible ranges (deg) of the flexion angles; values outside are landmark errors and become NaN.
#: Why this keeps angles continuous: the signed angle's (−180°, 180°] range contains the whole physical range, so
#: every real posture has exactly one value; a deep deadlift start (~140–150°) that landmark noise pushes past 180°
#: reads −170° — an impossible hyperextension that is rejected here instead of passed on as a 190° flip.
FLEXION_RANGE_DEG: Final[dict[str, tuple[float, float]]] = {
    "hip_flexion_deg": (-60.0, 175.0),
    "knee_flexion_deg": (-30.0, 170.0),
}

#: Sagittal angles screened for impossible spikes (:func:`reject_angle_spikes`).
ANGLE_SERIES: Final[tuple[str, ...]] = ("hip_flexion_deg", "knee_flexion_deg", "trunk_incline_deg", "shin_angle_deg")

SERIES_NAMES: Final[tuple[str, ...]] = (
    "hip_flexion_deg",
    "knee_flexion_deg",
    "trunk_incline_deg",
    "shin_angle_deg",
    "head_offset",
    "hand_height",
    "hand_to_shin",
    "pelvis_tilt_deg",
    "hip_extension_deg",
    "dowel_bow",
    "dowel_head_gap",
    "dowel_tail_gap",
    "dowel_shoulder_drop",
    "dowel_lumbar_bow",
    "trunk_px",
    "hands_to_neck",
    "elbow_behind_trunk",
    "hip_flexion_far_deg",
    "knee_flexion_far_deg",
    "hip_flexion_3d_deg",
    "knee_flexion_3d_deg",
    "trunk_incline_3d_deg",
    "body_arch_deg",
    "hand_to_leg",
)


@dataclass(frozen=True)
class Kinematics:
    """Named per-frame series of one clip (see the module docstring for names and units).

    ``side`` is the body side whose landmarks the sagittal series use (the one nearer the camera), ``facing`` the
    image direction the lifter faces, ``reliable`` the frames where that side's shoulder, hip, knee and ankle were all
    confidently seen, ``track`` the cleaned track everything was computed from.
    """

    t_s: FloatArray
    fps: float
    side: Side
    facing: Literal["left", "right"]
    series: Mapping[str, FloatArray]
    reliable: NDArray[np.bool_]
    track: PoseTrack


# ---------------------------------------------------------------------------------------------- geometry


def signed_flexion_deg(proximal: FloatArray, distal: FloatArray) -> FloatArray:
    """Signed angle (deg) turning ``proximal`` onto ``distal`` in sagittal ``(u forward, v up)`` coordinates.

    Positive = clockwise in (u, v), i.e. the distal segment folds towards the front, which is flexion at the hip
    (trunk relative to the knee→hip line) and at the knee (shank relative to the hip→knee line). Being signed, a
    lean back past straight reads negative instead of wrapping to a large positive angle.
    """
    cross = proximal[..., 0] * distal[..., 1] - proximal[..., 1] * distal[..., 0]
    dot = (proximal * distal).sum(axis=-1)
    return np.asarray(np.degrees(np.arctan2(-cross, dot)), dtype=np.float64)


def _from_vertical_deg(vec: FloatArray) -> FloatArray:
    """Angle of ``vec`` from straight up, positive when it leans forward (+u)."""
    return np.asarray(np.degrees(np.arctan2(vec[..., 0], vec[..., 1])), dtype=np.float64)


def choose_side(track: PoseTrack) -> Side:
    """The body side nearer the camera: by world depth when it is decisive, else by the model's visibility.

    Why both: BlazePose's world z separates the near and far hip/shoulder/knee by their depth in a side view, which
    is the real question; visibility is the model's own guess at the same thing and the fallback when there are no
    world landmarks or the lifter is square to the camera.
    """
    parts = ("shoulder", "hip", "knee")
    if track.world_m is not None and np.isfinite(track.world_m).any():
        z = track.world_m[..., 2]
        dz = np.stack([z[:, sided("left", p)] - z[:, sided("right", p)] for p in parts], axis=1)
        if np.isfinite(dz).any():
            d = float(np.nanmedian(dz))
            if abs(d) >= DEPTH_DECISIVE_M:
                return "left" if d < 0 else "right"
    score = {
        s: float(np.nanmean(track.visibility[:, [sided(s, p) for p in (*parts, "ankle")]])) for s in SIDES
    }
    return "right" if score["right"] > score["left"] else "left"


def estimate_facing(track: PoseTrack, side: Side | None = None) -> Literal["left", "right"]:
    """Which way the lifter faces in the image: where the toes point (heel→toe) and where the face points
    (ears→nose), by the median over frames; the profile rule (left side seen ⇒ facing left) breaks ties.
    """
    xy = track.xy_px

    def unit_x(a: FloatArray, b: FloatArray) -> FloatArray:
        d = b - a
        n = np.linalg.norm(d, axis=-1)
        return np.where(n > 0, d[..., 0] / np.where(n > 0, n, 1.0), np.nan)

    votes: list[float] = []
    feet = np.stack(
        [unit_x(xy[:, sided(s, "heel")], xy[:, sided(s, "foot_index")]) for s in SIDES], axis=1
    )
    if np.isfinite(feet).any():
        votes.append(float(np.nanmedian(feet)))
    ears = nanmean(np.stack([xy[:, INDEX["left_ear"]], xy[:, INDEX["right_ear"]]]), axis=0)  # no ear: NaN
    face = unit_x(ears, xy[:, INDEX["nose"]])
    if np.isfinite(face).any():
        votes.append(float(np.nanmedian(face)))
    vote = float(np.sum(votes)) if votes else 0.0
    if abs(vote) < 0.1:
        return side if side is not None else "right"
    return "right" if vote > 0 else "left"


def _sagittal_points(xy: FloatArray, side: Side, facing: Literal["left", "right"]) -> dict[str, FloatArray]:
    """Image px → sagittal ``(u, v)``: x flipped so +u is where the lifter faces, y flipped so +v is up."""
    sgn = 1.0 if facing == "right" else -1.0
    out: dict[str, FloatArray] = {}
    for part in ("shoulder", "hip", "knee", "ankle", "ear", "wrist"):
        p = xy[:, sided(side, part)]
        out[part] = np.stack([sgn * p[:, 0], -p[:, 1]], axis=-1)
    return out


def reject_angle_spikes(
    angle_deg: FloatArray, fps: float, *, window_s: float = 0.4, max_dev_deg: float = 30.0
) -> FloatArray:
    """NaN where an angle leaves its running median (``window_s`` wide) by more than ``max_dev_deg``.

    Why on the angle as well as on the landmarks: a knee landmark that slides across the thigh for a few frames (a
    plate passing in front of it) moves by less than the landmark jump test tolerates, yet swings the hip angle by
    80° in 0.1 s — far faster than any lift (hip extension peaks at a few hundred °/s). A running median ignores
    such excursions shorter than half its window while following every real rep (edges and ramps pass unchanged).
    ``angle_deg`` may be ``(T, k)``: ``k`` series screened at once along axis 0, each exactly as on its own.
    """
    x = np.asarray(angle_deg, dtype=np.float64)
    w = max(3, round(window_s * fps) | 1)
    if x.shape[0] < w:
        return x.copy()
    med = rolling_nanmedian(x, w)
    with np.errstate(invalid="ignore"):
        bad = np.abs(x - med) > max_dev_deg
    return np.asarray(np.where(bad, np.nan, x), dtype=np.float64)


def _in_range(angle_deg: FloatArray, name: str) -> FloatArray:
    lo, hi = FLEXION_RANGE_DEG[name]
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where((angle_deg >= lo) & (angle_deg <= hi), angle_deg, np.nan), dtype=np.float64)


def _chain_series(p: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """The sagittal contract series from one side's ``(u, v)`` points (pixels; NaN propagates)."""
    hip, knee, ankle, shoulder, ear, wrist = (p[k] for k in ("hip", "knee", "ankle", "shoulder", "ear", "wrist"))
    trunk = shoulder - hip
    trunk_len = np.linalg.norm(trunk, axis=-1)
    safe_tl = np.where(trunk_len > 0, trunk_len, np.nan)
    hip_flex = signed_flexion_deg(hip - knee, trunk)
    front = np.stack([trunk[:, 1], -trunk[:, 0]], axis=-1) / safe_tl[:, None]
    shin = knee - ankle
    shin_len = np.linalg.norm(shin, axis=-1)
    thigh_len = np.linalg.norm(hip - knee, axis=-1)
    dv_shin = knee[:, 1] - ankle[:, 1]
    dv_thigh = hip[:, 1] - knee[:, 1]
    upright = (dv_shin > 0.2 * shin_len) & (dv_thigh > 0.2 * thigh_len)
    with np.errstate(invalid="ignore", divide="ignore"):
        below_knee = (wrist[:, 1] - ankle[:, 1]) / dv_shin
        above_knee = 1.0 + (wrist[:, 1] - knee[:, 1]) / dv_thigh
        hand_height = np.where(wrist[:, 1] <= knee[:, 1], below_knee, above_knee)
        line_u = ankle[:, 0] + (wrist[:, 1] - ankle[:, 1]) * shin[:, 0] / dv_shin
        hand_to_shin = (wrist[:, 0] - line_u) / shin_len
        # the leg's line at the wrist's height: the thigh above the knee, the shin below
        thigh_u = knee[:, 0] + (wrist[:, 1] - knee[:, 1]) * (hip[:, 0] - knee[:, 0]) / dv_thigh
        hand_to_leg = (wrist[:, 0] - np.where(wrist[:, 1] <= knee[:, 1], line_u, thigh_u)) / shin_len
        arch = signed_flexion_deg(hip - ankle, trunk)
    hip_flex = _in_range(hip_flex, "hip_flexion_deg")
    knee_raw = signed_flexion_deg(knee - hip, ankle - knee)
    knee_flex = _in_range(knee_raw, "knee_flexion_deg")
    # A knee angle no leg can take means a wrong knee (or ankle) landmark. The lean-back reading is a maximum, so a
    # thigh drawn to a wrong knee on a few frames becomes the answer (a mirrored glute bridge read 55-60° of "hip
    # extension" on the frames its knee bent backwards): there the hip's angle against the thigh is not read either.
    leg_broken = np.isfinite(knee_raw) & ~np.isfinite(knee_flex)
    return {
        "hip_flexion_deg": hip_flex,
        "knee_flexion_deg": knee_flex,
        "trunk_incline_deg": _from_vertical_deg(trunk),
        "shin_angle_deg": _from_vertical_deg(shin),
        "head_offset": ((ear - shoulder) * front).sum(axis=-1) / safe_tl,
        "hand_height": np.where(upright, hand_height, np.nan),
        "hand_to_shin": np.where(np.abs(dv_shin) > 0.3 * shin_len, hand_to_shin, np.nan),
        "hip_extension_deg": np.where(np.isfinite(hip_flex) & ~leg_broken, np.maximum(-hip_flex, 0.0), np.nan),
        # signed flexion of the trunk against the ankle→hip line; arching back past that line is its negative
        "body_arch_deg": np.where(upright, -arch, np.nan),
        "hand_to_leg": np.where(upright, hand_to_leg, np.nan),
    }


def _pelvis_tilt_deg(xy: FloatArray, scale_px: float) -> FloatArray:
    """Angle of the left→right hip line from horizontal in the image, positive = right hip higher.

    Only defined when the hips are at least 0.15 trunk lengths apart in the image: in a side view the hip line
    points at the camera and its image angle is noise.
    """
    d = xy[:, INDEX["right_hip"]] - xy[:, INDEX["left_hip"]]
    ang = np.degrees(np.arctan2(-d[:, 1], np.abs(d[:, 0])))
    wide = np.linalg.norm(d, axis=-1) >= 0.15 * scale_px
    return np.asarray(np.where(wide, ang, np.nan), dtype=np.float64)


def _hip_flexion_3d_deg(world: FloatArray | None, side: Side, n: int) -> FloatArray:
    """Unsigned 3-D hip flexion from world landmarks (a view-independent cross-check; NaN without them)."""
    if world is None:
        return np.full(n, np.nan)
    s, h, k = (world[:, sided(side, p)] for p in ("shoulder", "hip", "knee"))
    a, b = s - h, h - k
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def _world_3d_series(world: FloatArray | None, side: Side, n: int) -> dict[str, FloatArray]:
    """Knee flexion and trunk incline from world landmarks (view-independent; NaN without them)."""
    if world is None:
        return {"knee_flexion_3d_deg": np.full(n, np.nan), "trunk_incline_3d_deg": np.full(n, np.nan)}
    h, k, a = (world[:, sided(side, p)] for p in ("hip", "knee", "ankle"))
    u, v = h - k, a - k
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
        knee = 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        mid_sh = (world[:, INDEX["left_shoulder"]] + world[:, INDEX["right_shoulder"]]) / 2
        mid_hp = (world[:, INDEX["left_hip"]] + world[:, INDEX["right_hip"]]) / 2
        tr = mid_sh - mid_hp
        # world y points down (image convention): the trunk's angle from straight up (0, −1, 0)
        trunk = np.degrees(np.arccos(np.clip(-tr[:, 1] / np.linalg.norm(tr, axis=-1), -1.0, 1.0)))
    return {
        "knee_flexion_3d_deg": np.asarray(knee, dtype=np.float64),
        "trunk_incline_3d_deg": np.asarray(trunk, dtype=np.float64),
    }


# ---------------------------------------------------------------------------------------------- entry point


#: The pose model works on frames whose long side is at most this (pose.extract's default ``max_side``).
MODEL_SIDE_PX: Final[float] = 960.0


def dowel_series(track: PoseTrack) -> dict[str, FloatArray]:
    """The virtual dowel's per-frame gaps (:func:`hingecoach.backline.dowel`) and the trunk's size in pixels.

    All NaN when the track has no dorsal profile of this version's layout (tracked without masks, or by an older
    version): the back-line checks then say *not judged* instead of reading a different quantity.
    """
    n = track.n_frames
    xy = track.xy_px
    scale = min(1.0, MODEL_SIDE_PX / max(track.image_wh))
    hip, shoulder = pair_mean(xy, "hip"), pair_mean(xy, "shoulder")
    trunk = np.linalg.norm(shoulder - hip, axis=-1)
    out = {"trunk_px": np.asarray(trunk * scale, dtype=np.float64)}
    neck = 0.5 * (shoulder + pair_mean(xy, "ear"))
    wrists = xy[:, [INDEX["left_wrist"], INDEX["right_wrist"]]]
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.linalg.norm(wrists - neck[:, None, :], axis=-1) / trunk[:, None]
    out["hands_to_neck"] = np.asarray(np.fmin(dist[:, 0], dist[:, 1]), dtype=np.float64)
    d = dowel(track.back_profile if track.back_profile is not None else np.zeros((n, 0)), axis_position(xy, "ear"))
    out.update(
        {
            "dowel_bow": d.bow,
            "dowel_head_gap": d.head_gap,
            "dowel_tail_gap": d.tail_gap,
            "dowel_shoulder_drop": d.shoulder_drop,
            "dowel_lumbar_bow": d.lumbar_bow,
        }
    )
    out["elbow_behind_trunk"] = elbow_behind_trunk(xy)
    return out


def compute_kinematics(track: PoseTrack, *, side: Side | None = None) -> Kinematics:
    """Every contract series for one track.

    The track is cleaned with :func:`hingecoach.filtering.clean_track`'s defaults unless it already was. ``side``
    forces the body side (default: :func:`choose_side`). All sagittal series use that side's landmarks in image
    pixels with x flipped by the facing direction, so a left- and a right-facing lifter give identical numbers.
    """
    clean = track if is_clean(track) else clean_track(track)
    use_side: Side = side if side is not None else choose_side(clean)
    facing = estimate_facing(clean, use_side)
    xy = clean.xy_px
    n = clean.n_frames
    near = _chain_series(_sagittal_points(xy, use_side, facing))
    far = _chain_series(_sagittal_points(xy, other(use_side), facing))
    # Both sides' angles screened in one running median (the same numbers as one series at a time, one call).
    names = [(chain, name) for chain in (near, far) for name in ANGLE_SERIES]
    screened = reject_angle_spikes(
        np.stack([c[name] for c, name in names], axis=1), sample_rate_hz(clean.t_s, clean.fps)
    )
    for k, (chain, name) in enumerate(names):
        chain[name] = np.ascontiguousarray(screened[:, k])
    series: dict[str, FloatArray] = dict(near)
    series["pelvis_tilt_deg"] = _pelvis_tilt_deg(xy, body_scale_px(xy))
    series.update(dowel_series(clean))
    series["hip_flexion_far_deg"] = far["hip_flexion_deg"]
    series["knee_flexion_far_deg"] = far["knee_flexion_deg"]
    series["hip_flexion_3d_deg"] = _hip_flexion_3d_deg(clean.world_m, use_side, n)
    series.update(_world_3d_series(clean.world_m, use_side, n))
    idx = [sided(use_side, p) for p in SAGITTAL_PARTS]
    reliable = np.isfinite(xy[:, idx]).all(axis=(1, 2)) & (clean.visibility[:, idx] >= RELIABLE_VISIBILITY).all(axis=1)
    return Kinematics(
        t_s=clean.t_s,
        fps=clean.fps,
        side=use_side,
        facing=facing,
        series={k: np.asarray(series[k], dtype=np.float64) for k in SERIES_NAMES},
        reliable=np.asarray(reliable, dtype=bool),
        track=clean,
    )
