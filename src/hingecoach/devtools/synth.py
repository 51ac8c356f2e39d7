"""Synthetic hinge lifters with known answers: joint angles over time → BlazePose-33 landmarks seen by a camera.

Why: every later stage (filtering, kinematics, reps, drill checks) needs inputs whose correct output is known
*analytically*, including faults of a known size. Real clips have no such ground truth. The generator builds a
planar chain in the body's sagittal plane (foot fixed on the floor → shin → thigh → trunk → neck → head, arms
hanging), places the two body sides laterally, poses it in 3-D, and projects it through a pinhole camera. Faults
are parameters (``HingeSpec``); camera placement is ``CameraSpec``; detector defects (noise, dropouts, left/right
swaps, spikes) are ``NoiseSpec``.

Conventions (same as :mod:`hingecoach.kinematics`): sagittal coordinates ``(u, v)`` with ``u`` the direction the
toes point and ``v`` up, metres. Hip flexion is the signed angle from the knee→hip line to the hip→shoulder chord
(positive = trunk folding forward); the spec's ``hip_flexion_deg`` is exactly what the contract's
``hip_flexion_deg`` measures at the bottom (spinal rounding bends the spine *between* the landmarks, so it shortens
the chord and tips the head but does not change the landmark angle — which is why rounding must be seen in the
silhouette, see :mod:`hingecoach.backline`).

Camera frame: x right, y down, z away from the camera (BlazePose's world convention). A person facing image-right
shows the camera their *right* side (yaw 0); yaw 90° turns them to face the camera.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.backline import DORSAL_U, axis_position, dowel
from hingecoach.devtools.synth_body import (  # noqa: F401  (proportions re-exported for tests and tools)
    ANKLE_H,
    FOREARM,
    HIP_WIDTH,
    NECK,
    SHANK,
    SHOULDER_WIDTH,
    THIGH,
    TRUNK,
    UPPER_ARM,
    body_3d,
)
from hingecoach.devtools.synth_body import HingeSpec as HingeSpec  # the spec lives with the body it moves
from hingecoach.skeleton import INDEX, LANDMARK_NAMES, N_LANDMARKS, Side, other
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

#: Hip flexion at or above which :class:`RepTruth` says a rep was "never locked out" (mirrors :mod:`hingecoach.reps`).
SYNTH_LOCKOUT_MAX_DEG: Final[float] = 25.0

# Phase codes shared with :func:`hingecoach.reps.phase_labels`.
SETUP, DESCENT, BOTTOM, ASCENT, LOCKOUT = 0, 1, 2, 3, 4

# Segment kinds of the timeline (private).
_HOLD, _DOWN, _UP = 0, 1, 2


@dataclass(frozen=True)
class CameraSpec:
    """A pinhole camera looking horizontally at the lifter.

    ``yaw_deg``: 0 = side-on (the ``facing`` side of the image is where the toes point), 90 = the lifter faces
    the camera (front view), ±30–60 = oblique, negative = turned away from the camera. ``focal_px`` None = chosen so
    the standing lifter fills ``fill`` of the image height.
    """

    facing: Literal["left", "right"] = "left"
    yaw_deg: float = 0.0
    image_wh: tuple[int, int] = (1280, 720)
    fps: float = 30.0
    distance_m: float = 4.0
    height_m: float = 1.0
    focal_px: float | None = None
    fill: float = 0.6


@dataclass(frozen=True)
class NoiseSpec:
    """Detector defects. ``noise_px`` Gaussian pixel noise (σ); ``occlusion_frac`` share of landmark-frames
    reported with low visibility and a wrong position; ``gaps_s`` whole-person losses ``(start_s, duration_s)``;
    ``swap_frac`` share of frames in short bursts where left/right labels of ``swap_parts`` are exchanged;
    ``spike_frac`` share of landmark-frames displaced by ``spike_size`` trunk lengths with *high* visibility.
    """

    noise_px: float = 0.0
    occlusion_frac: float = 0.0
    gaps_s: tuple[tuple[float, float], ...] = ()
    swap_frac: float = 0.0
    swap_parts: Literal["legs", "all"] = "legs"
    spike_frac: float = 0.0
    spike_size: float = 0.6
    seed: int = 0


@dataclass(frozen=True)
class RepTruth:
    """Ground-truth rep boundaries (frame indices) in the convention of :class:`hingecoach.reps.RepSegment`."""

    start: int
    bottom: int
    end: int
    lockout: int | None
    top_hip_flexion_deg: float


@dataclass(frozen=True)
class SynthResult:
    """A generated clip: the track a pose model would give, plus the answers."""

    track: PoseTrack
    angles: Mapping[str, FloatArray]
    reps: tuple[RepTruth, ...]
    phases: NDArray[np.int8]
    swapped: NDArray[np.bool_]
    side: Side
    facing: Literal["left", "right"]
    spec: HingeSpec
    camera: CameraSpec
    noise: NoiseSpec = field(default_factory=NoiseSpec)


# ---------------------------------------------------------------------------------------------- timeline


def _ease(tau: FloatArray) -> FloatArray:
    """Minimum-jerk 0→1 profile (smooth start and stop, like a real controlled rep)."""
    tau = np.clip(tau, 0.0, 1.0)
    return np.asarray(tau**3 * (10 - 15 * tau + 6 * tau**2), dtype=np.float64)


_CHANNELS: Final[tuple[str, ...]] = ("hip", "knee", "round", "head", "valgus", "pelvis")


def _rep_values(spec: HingeSpec, rep: int) -> tuple[FloatArray, FloatArray]:
    """Channel values (top, bottom) for 1-based ``rep``; faults only where ``fault_reps`` says so."""
    faulty = spec.fault_reps is None or rep in spec.fault_reps
    knee_bottom = spec.knee_flexion_deg
    if spec.squat:
        knee_bottom = max(spec.knee_flexion_deg, spec.hip_flexion_deg)
    top_hip = (spec.lockout_deficit_deg - spec.lean_back_deg) if faulty else 0.0
    f = 1.0 if faulty else 0.0
    top = np.array([top_hip, spec.knee_top_deg, 0.0, 0.0, 0.0, 0.0])
    bottom = np.array(
        [
            spec.hip_flexion_deg,
            knee_bottom,
            f * spec.trunk_round_deg,
            f * spec.head_drop_deg,
            f * spec.knee_valgus_deg,
            f * spec.pelvis_drop_deg,
        ]
    )
    return top, bottom


@dataclass(frozen=True)
class _Timeline:
    bounds_s: FloatArray  # (S+1,) segment boundaries
    kind: NDArray[np.int64]  # (S,)
    v_from: FloatArray  # (S, C)
    v_to: FloatArray  # (S, C)
    phase: NDArray[np.int8]  # (S,)
    reps: tuple[tuple[float, float, float, float | None, float], ...]  # start, bottom, end, lockout (s), top hip


def _timeline(spec: HingeSpec) -> _Timeline:
    """Segments (holds and moves) with their start/end channel values and ground-truth phase labels."""
    clean_top, _ = _rep_values(HingeSpec(), 1)
    clean_top[1] = spec.knee_top_deg
    segs: list[tuple[float, int, FloatArray, FloatArray, int]] = []
    reps: list[tuple[float, float, float, float | None, float]] = []
    t = 0.0

    def add(dur: float, kind: int, a: FloatArray, b: FloatArray, phase: int) -> None:
        nonlocal t
        if dur > 0:
            segs.append((dur, kind, a, b, phase))
            t += dur

    floor = spec.start == "floor"
    _, first_bottom = _rep_values(spec, 1)
    if floor:
        add(spec.setup_s, _HOLD, first_bottom, first_bottom, SETUP)
        current = first_bottom
    else:
        add(spec.setup_s, _HOLD, clean_top, clean_top, SETUP)
        current = clean_top
    for r in range(1, spec.reps + 1):
        top, bottom = _rep_values(spec, r)
        if floor and r == 1:
            start = bottom_t = t
        else:
            start = t
            add(spec.descent_s, _DOWN, current, bottom, DESCENT)
            bottom_t = t + spec.bottom_s / 2
            add(spec.bottom_s, _HOLD, bottom, bottom, BOTTOM)
        add(spec.ascent_s, _UP, bottom, top, ASCENT)
        end = t
        locked = top[0] < SYNTH_LOCKOUT_MAX_DEG
        reps.append((start, bottom_t, end, end if locked else None, float(top[0])))
        current = top
        last = r == spec.reps
        if not last:
            add(spec.top_s, _HOLD, top, top, LOCKOUT if locked else SETUP)
        elif floor:
            add(spec.top_s, _HOLD, top, top, LOCKOUT if locked else SETUP)
            _, set_down = _rep_values(spec, r)
            add(spec.descent_s, _DOWN, top, set_down, SETUP)
            current = set_down
    add(spec.tail_s, _HOLD, current, current, LOCKOUT if spec.reps and not floor and reps[-1][3] is not None else SETUP)
    if not segs:
        add(1.0, _HOLD, current, current, SETUP)
    dur = np.array([s[0] for s in segs])
    return _Timeline(
        bounds_s=np.concatenate([[0.0], np.cumsum(dur)]),
        kind=np.array([s[1] for s in segs], dtype=np.int64),
        v_from=np.stack([s[2] for s in segs]),
        v_to=np.stack([s[3] for s in segs]),
        phase=np.array([s[4] for s in segs], dtype=np.int8),
        reps=tuple(reps),
    )


def _channels(tl: _Timeline, t_s: FloatArray, hips_rise_first: float) -> tuple[dict[str, FloatArray], NDArray[np.int8]]:
    """Per-frame channel values and phase labels, sampled at ``t_s`` (vectorised over frames)."""
    k = np.clip(np.searchsorted(tl.bounds_s, t_s, side="right") - 1, 0, len(tl.kind) - 1)
    tau = (t_s - tl.bounds_s[k]) / (tl.bounds_s[k + 1] - tl.bounds_s[k])
    kind = tl.kind[k]
    base = np.where(kind == _HOLD, 0.0, _ease(tau))
    lead = 0.6 * hips_rise_first
    if lead > 0:
        knee_w = np.where(kind == _UP, _ease(tau / (1 - lead)), base)
        hip_w = np.where(kind == _UP, _ease((tau - lead) / (1 - lead)), base)
    else:
        knee_w = hip_w = base
    out: dict[str, FloatArray] = {}
    for c, name in enumerate(_CHANNELS):
        w = knee_w if name == "knee" else hip_w
        out[name] = tl.v_from[k, c] + w * (tl.v_to[k, c] - tl.v_from[k, c])
    return out, tl.phase[k]


# ---------------------------------------------------------------------------------------------- camera


def _camera_axes(camera: CameraSpec) -> FloatArray:
    """``(3, 3)`` rows = camera-frame coordinates of the body's forward, up and left axes."""
    psi = np.radians(camera.yaw_deg)
    sgn = 1.0 if camera.facing == "right" else -1.0
    fwd = np.array([sgn * np.cos(psi), 0.0, -np.sin(psi)])
    up = np.array([0.0, -1.0, 0.0])
    left = np.cross(up, fwd)
    return np.stack([fwd, up, left])


def _project(body: FloatArray, camera: CameraSpec, height_m: float) -> tuple[FloatArray, FloatArray]:
    """Body-frame points → (image px ``(T, 33, 2)``, camera-frame metres ``(T, 33, 3)``)."""
    axes = _camera_axes(camera)
    cam = body @ axes  # (T, 33, 3)
    cam = cam + np.array([0.0, camera.height_m, camera.distance_m])
    w, h = camera.image_wh
    f = camera.focal_px if camera.focal_px is not None else camera.fill * h * camera.distance_m / height_m
    # Principal point shifted so the standing lifter's mid-height sits mid-image (a pinhole camera with an
    # off-centre sensor: the shift is constant, so perspective stays exact).
    cy = h / 2 - f * (camera.height_m - 0.5 * height_m) / camera.distance_m
    x = f * cam[..., 0] / cam[..., 2] + w / 2
    y = f * cam[..., 1] / cam[..., 2] + cy
    return np.stack([x, y], axis=-1), cam


# ---------------------------------------------------------------------------------------------- truth


def _truth_series(
    p: Mapping[str, FloatArray], far: Mapping[str, FloatArray], body: FloatArray
) -> dict[str, FloatArray]:
    """The contract series computed from noise-free sagittal points (independent of the camera path)."""
    hip, knee, ankle, shoulder = p["hip"], p["knee"], p["ankle"], p["shoulder"]
    ear, wrist = p["ear"], p["wrist"]

    def signed(e: FloatArray, a: FloatArray) -> FloatArray:
        cross = e[:, 0] * a[:, 1] - e[:, 1] * a[:, 0]
        return np.asarray(np.degrees(np.arctan2(-cross, (e * a).sum(-1))), dtype=np.float64)

    trunk = shoulder - hip
    tl = np.linalg.norm(trunk, axis=-1)
    hip_flex = signed(hip - knee, trunk)
    normal = np.stack([trunk[:, 1], -trunk[:, 0]], axis=-1) / tl[:, None]
    shin_len = np.linalg.norm(knee - ankle, axis=-1)
    dv = knee[:, 1] - ankle[:, 1]
    safe_dv = np.where(np.abs(dv) > 1e-9, dv, 1.0)
    line_u = ankle[:, 0] + (wrist[:, 1] - ankle[:, 1]) * (knee[:, 0] - ankle[:, 0]) / safe_dv
    dv_thigh = hip[:, 1] - knee[:, 1]
    hand_h = np.where(
        wrist[:, 1] <= knee[:, 1],
        (wrist[:, 1] - ankle[:, 1]) / safe_dv,
        1.0 + (wrist[:, 1] - knee[:, 1]) / np.where(np.abs(dv_thigh) > 1e-9, dv_thigh, 1.0),
    )
    upright = (dv > 0.2 * shin_len) & (dv_thigh > 0.2 * np.linalg.norm(hip - knee, axis=-1))
    hand_h = np.where(upright, hand_h, np.nan)
    lh, rh = body[:, INDEX["left_hip"]], body[:, INDEX["right_hip"]]
    d_up = rh[:, 1] - lh[:, 1]
    d_lat = np.abs(rh[:, 2] - lh[:, 2])
    return {
        "hip_flexion_deg": hip_flex,
        "knee_flexion_deg": signed(knee - hip, ankle - knee),
        "trunk_incline_deg": np.degrees(np.arctan2(trunk[:, 0], trunk[:, 1])),
        "shin_angle_deg": np.degrees(np.arctan2(knee[:, 0] - ankle[:, 0], knee[:, 1] - ankle[:, 1])),
        "head_offset": ((ear - shoulder) * normal).sum(-1) / tl,
        "hand_height": hand_h,
        "hand_to_shin": np.where(np.abs(dv) > 0.3 * shin_len, (wrist[:, 0] - line_u) / shin_len, np.nan),
        "pelvis_tilt_deg": np.degrees(np.arctan2(d_up, d_lat)),
        "hip_extension_deg": np.maximum(-hip_flex, 0.0),
        "hip_flexion_far_deg": signed(far["hip"] - far["knee"], far["shoulder"] - far["hip"]),
        "knee_flexion_far_deg": signed(far["knee"] - far["hip"], far["ankle"] - far["knee"]),
    }


#: The top of the synthetic head along the trunk axis (trunk lengths from the hip).
HEAD_TOP_U: Final[float] = 1.55


def back_profile_from_curvature(
    round_deg: float | FloatArray, *, thickness: float = 0.2, head_offset: float | FloatArray = 0.0
) -> FloatArray:
    """Dorsal profile in the format of :func:`hingecoach.backline.profile_from_mask` (stations :data:`DORSAL_U`).

    The spine between hip (u = 0) and shoulder (u = 1) is a circular arc of total bend ``round_deg`` (negative =
    arched) whose chord is the landmark axis. Past the neck the back of the head sits ``thickness`` behind the ear,
    which lies ``head_offset`` trunk lengths in front of the axis (the kinematics contract's ``head_offset``: +
    chin dropped towards the chest, − craned up), so the head gap follows the head's pose. Below the hip the profile
    is straight, above the head NaN. ``round_deg`` (and ``head_offset``) may be ``(T,)``: the result is then
    ``(T, K)``. For small bends the bow at mid-trunk is ≈ β/8 trunk lengths.
    """
    deg = np.atleast_1d(np.asarray(round_deg, dtype=np.float64))
    beta = np.abs(np.radians(deg))
    sign = np.sign(deg)
    half = np.maximum(beta / 2, 1e-9)
    r_over_c = 1.0 / (2 * np.sin(half))  # radius of the arc in trunk lengths
    u = np.clip(DORSAL_U, 0.0, None)
    x = u[None, :] - 0.5
    rc = r_over_c[:, None]
    # Sagitta form, exact for tiny bends: sqrt(R² − x²) − R·cos(β/2) = (R²sin²(β/2) − x²)/(…).
    num = 0.25 - x**2  # (R·sin(β/2))² = (c/2)² = 0.25
    den = np.sqrt(np.maximum(rc**2 - x**2, 0.0)) + rc * np.cos(half)[:, None]
    bow = np.where(beta[:, None] > 1e-9, num / den, 0.0)
    prof = thickness + sign[:, None] * np.where(DORSAL_U[None, :] <= 1.0, bow, 0.0)
    head = thickness - np.broadcast_to(np.atleast_1d(np.asarray(head_offset, dtype=np.float64)), deg.shape)[:, None]
    blend = np.clip((DORSAL_U[None, :] - 1.0) / 0.1, 0.0, 1.0)  # the neck: from the upper back to the head
    prof = (1 - blend) * prof + blend * head
    prof = np.where(DORSAL_U[None, :] > HEAD_TOP_U, np.nan, prof)
    return np.asarray(prof if np.ndim(round_deg) else prof[0], dtype=np.float64)


# ---------------------------------------------------------------------------------------------- noise


def _bursts(rng: np.random.Generator, n: int, frac: float, max_len: int = 4) -> NDArray[np.bool_]:
    """``(n,)`` mask with about ``frac`` of frames covered by bursts of 1..max_len frames."""
    mask = np.zeros(n, dtype=bool)
    if frac <= 0 or n == 0:
        return mask
    target = round(frac * n)
    while mask.sum() < target:
        length = int(rng.integers(1, max_len + 1))
        start = int(rng.integers(0, max(n - length, 1)))
        mask[start : start + length] = True
    return mask


_PAIRS_LEGS: Final[tuple[str, ...]] = ("hip", "knee", "ankle", "heel", "foot_index")
_PAIRS_ALL: Final[tuple[str, ...]] = tuple(
    name[5:] for name in LANDMARK_NAMES if name.startswith("left_")
)


def swap_sides(xy: FloatArray, frames: NDArray[np.bool_], parts: tuple[str, ...]) -> FloatArray:
    """Exchange left/right labels of ``parts`` in the selected frames (what a confused detector does)."""
    out = xy.copy()
    li = np.array([INDEX[f"left_{p}"] for p in parts], dtype=np.intp)
    ri = np.array([INDEX[f"right_{p}"] for p in parts], dtype=np.intp)
    sel = np.flatnonzero(frames)
    out[np.ix_(sel, li)] = xy[np.ix_(sel, ri)]
    out[np.ix_(sel, ri)] = xy[np.ix_(sel, li)]
    return out


# ---------------------------------------------------------------------------------------------- entry point


def generate(
    spec: HingeSpec | None = None,
    camera: CameraSpec | None = None,
    noise: NoiseSpec | None = None,
    *,
    back_profile_k: int = 0,
) -> SynthResult:
    """Generate a clip with its ground truth.

    ``back_profile_k`` > 0 also emits ``track.back_profile`` (the dorsal profile of
    :func:`back_profile_from_curvature`; the number itself is kept for old callers); it is meaningful in side views
    only, as on real video.
    """
    spec = spec or HingeSpec()
    camera = camera or CameraSpec()
    noise = noise or NoiseSpec()
    tl = _timeline(spec)
    n = max(int(np.floor(tl.bounds_s[-1] * camera.fps)) + 1, 2)
    t_s = np.arange(n) / camera.fps
    ch, phases = _channels(tl, t_s, spec.hips_rise_first)
    body, per_side = body_3d(spec, ch)
    xy, cam = _project(body, camera, spec.height_m)
    ear_u = axis_position(xy, "ear")  # where the noiseless ears sit along the trunk axis (for the dowel's truth)
    hip_mid = cam[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1, keepdims=True)
    world = cam - hip_mid

    # Which side faces the camera: the one whose hip is nearer (smaller depth).
    near: Side = "left" if cam[0, INDEX["left_hip"], 2] <= cam[0, INDEX["right_hip"], 2] else "right"
    # Visibility: high on the near side, lower the further a landmark sits behind the body's mid-plane.
    depth = cam[..., 2] - hip_mid[..., 2]
    vis = 0.98 - 0.25 * np.clip(depth / (HIP_WIDTH * spec.height_m / 2), 0.0, 1.0)

    rng = np.random.default_rng(noise.seed)
    trunk_px = float(np.nanmedian(np.linalg.norm(xy[:, INDEX["left_shoulder"]] - xy[:, INDEX["left_hip"]], axis=-1)))
    if noise.noise_px > 0:
        xy = xy + rng.normal(0.0, noise.noise_px, size=xy.shape)
    if noise.spike_frac > 0:
        spikes = rng.random((n, N_LANDMARKS)) < noise.spike_frac
        ang = rng.uniform(0, 2 * np.pi, size=(n, N_LANDMARKS))
        kick = noise.spike_size * trunk_px * np.stack([np.cos(ang), np.sin(ang)], axis=-1)
        xy = np.where(spikes[..., None], xy + kick, xy)
    if noise.occlusion_frac > 0:
        occ = rng.random((n, N_LANDMARKS)) < noise.occlusion_frac
        vis = np.where(occ, rng.uniform(0.02, 0.3, size=vis.shape), vis)
        xy = np.where(occ[..., None], xy + rng.normal(0.0, 0.3 * trunk_px, size=xy.shape), xy)
    swapped = _bursts(rng, n, noise.swap_frac)
    if swapped.any():
        parts = _PAIRS_LEGS if noise.swap_parts == "legs" else _PAIRS_ALL
        xy = swap_sides(xy, swapped, parts)
        vis = swap_sides(vis[..., None], swapped, parts)[..., 0]
        world = swap_sides(world, swapped, parts)
    n_people = np.ones(n, dtype=np.int16)
    for start_s, dur_s in noise.gaps_s:
        gap = (t_s >= start_s) & (t_s < start_s + dur_s)
        xy[gap] = np.nan
        world[gap] = np.nan
        vis[gap] = 0.0
        n_people[gap] = 0

    head_truth = _truth_series(per_side[near], per_side[other(near)], body)["head_offset"]
    back = None
    if back_profile_k > 0:
        back = back_profile_from_curvature(ch["round"], head_offset=head_truth)
        back[n_people == 0] = np.nan

    track = PoseTrack.from_numpy(
        xy,
        camera.fps,
        camera.image_wh,
        visibility=vis,
        t_s=t_s,
        world_m=world,
        n_people=n_people,
        back_profile=back,
        source=f"hingecoach.devtools.synth {spec!r} {camera!r}",
    )
    angles = _truth_series(per_side[near], per_side[other(near)], body)
    # What the back-line stage reads on a perfectly measured silhouette (its definition, applied to the exact arc).
    exact = dowel(back_profile_from_curvature(ch["round"], head_offset=head_truth), ear_u)
    angles["dowel_bow"] = exact.bow
    angles["dowel_head_gap"] = exact.head_gap
    reps = tuple(
        RepTruth(
            start=round(s * camera.fps),
            bottom=round(b * camera.fps),
            end=round(e * camera.fps),
            lockout=None if lo is None else round(lo * camera.fps),
            top_hip_flexion_deg=top,
        )
        for s, b, e, lo, top in tl.reps
    )
    return SynthResult(
        track=track,
        angles=angles,
        reps=reps,
        phases=phases.astype(np.int8),
        swapped=swapped,
        side=near,
        facing=camera.facing,
        spec=spec,
        camera=camera,
        noise=noise,
    )
