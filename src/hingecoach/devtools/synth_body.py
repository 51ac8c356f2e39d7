"""The synthetic lifter's body and what it does: :class:`HingeSpec` (the motion and its faults) and the planar
sagittal chain posed in 3-D (used by :mod:`hingecoach.devtools.synth`, which re-exports the spec).

Kept apart from the generator so each module stays readable. All positions are metres in the body frame: ``u``
forward (where the toes point), ``v`` up, lateral positive to the lifter's left. The spec's angles are the joint
angles of this chain exactly; see :mod:`hingecoach.devtools.synth` for the conventions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.skeleton import INDEX, N_LANDMARKS, SIDES, Side, other

FloatArray = NDArray[np.float64]

@dataclass(frozen=True)
class HingeSpec:
    """What the synthetic lifter does. Angles are the *bottom* of each rep unless said otherwise.

    Faults (all 0 = a clean hinge): ``trunk_round_deg`` spinal flexion spread evenly from hip to shoulder;
    ``head_drop_deg`` neck flexion (negative = looking up); ``lean_back_deg`` hip hyperextension at the top;
    ``lockout_deficit_deg`` hip flexion left at the top (never stands tall); ``knee_valgus_deg`` knees caving in
    (frontal plane); ``pelvis_drop_deg`` frontal tilt of the hip line, the free-leg side (right side when bilateral)
    rising; ``hips_rise_first`` 0–1 share of the ascent in which the knees straighten before the hips open.
    ``fault_reps`` (1-based) limits the faults to some reps; None = every rep.
    """

    reps: int = 3
    hip_flexion_deg: float = 80.0
    knee_flexion_deg: float = 20.0
    knee_top_deg: float = 0.0
    shin_ratio: float = 0.5
    trunk_round_deg: float = 0.0
    head_drop_deg: float = 0.0
    lean_back_deg: float = 0.0
    lockout_deficit_deg: float = 0.0
    knee_valgus_deg: float = 0.0
    pelvis_drop_deg: float = 0.0
    hips_rise_first: float = 0.0
    squat: bool = False
    single_leg: bool = False
    stance_side: Side = "left"
    horizontal: bool = False
    start: Literal["standing", "floor"] = "standing"
    # bar: straight arms keep a bar against the legs (RDL); through: hands pulled back between the legs (pull-through);
    # shoulders: a bar held on the upper back, elbows back along it (good morning); dowel: the hands hold a stick
    # behind the neck, elbows raised beside the head, clear of the upper back (dowel hinge)
    arms: Literal["hang", "shoulders", "bar", "through", "dowel"] = "hang"
    descent_s: float = 1.2
    bottom_s: float = 0.2
    ascent_s: float = 1.0
    top_s: float = 0.6
    setup_s: float = 0.8
    tail_s: float = 0.8
    fault_reps: tuple[int, ...] | None = None
    height_m: float = 1.75

    def __post_init__(self) -> None:
        if self.reps < 0:
            raise ValueError("reps must be >= 0")
        if not 0.0 <= self.hips_rise_first <= 1.0:
            raise ValueError("hips_rise_first must be in [0, 1]")
        if min(self.descent_s, self.ascent_s) <= 0 or min(self.bottom_s, self.top_s, self.setup_s, self.tail_s) < 0:
            raise ValueError("phase durations must be positive (holds may be 0)")



#: Body proportions as fractions of standing height (Drillis & Contini / Winter anthropometry, rounded; the
#: widths are where BlazePose puts its shoulder and hip landmarks: 0.75 and 0.43 trunk lengths apart on real clips).
ANKLE_H: Final[float] = 0.039
SHANK: Final[float] = 0.246
THIGH: Final[float] = 0.245
TRUNK: Final[float] = 0.288
NECK: Final[float] = 0.100
UPPER_ARM: Final[float] = 0.186
FOREARM: Final[float] = 0.146
#: How far behind the front of the legs (height fractions) a band pulling from behind holds the hands (pull-through).
THROUGH_BEHIND: Final[float] = 0.07
HIP_WIDTH: Final[float] = 0.124
SHOULDER_WIDTH: Final[float] = 0.216


def _dir(angle_deg: FloatArray) -> FloatArray:
    """``(T, 2)`` unit vector at ``angle_deg`` from vertical (+v), positive towards +u."""
    a = np.radians(angle_deg)
    return np.stack([np.sin(a), np.cos(a)], axis=-1)


def _sinc_half(beta_rad: FloatArray) -> FloatArray:
    """Chord/arc ratio of a circular arc bent by ``beta_rad``: sin(β/2)/(β/2), 1 when straight."""
    half = beta_rad / 2
    safe = np.where(np.abs(half) < 1e-9, 1.0, half)
    return np.where(np.abs(half) < 1e-9, 1.0, np.sin(safe) / safe)


def _two_link_closure(
    s: FloatArray, trunk: FloatArray, thigh: float, shank: float, ankle: FloatArray, hip_flex_deg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Hip thrust: shoulder ``s`` fixed on the bench, ankle fixed on the floor. Find the trunk angle for which the
    leg (thigh at ``hip_flex_deg`` to the trunk, then the shank) reaches the ankle. Vectorised bisection.

    Returns (hip, knee) ``(T, 2)``.
    """
    lo = np.full(s.shape[0], -5.0)
    hi = np.full(s.shape[0], 80.0)

    def miss(alpha: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = np.radians(alpha)
        hip = s + trunk[:, None] * np.stack([np.cos(a), -np.sin(a)], axis=-1)
        # thigh direction: continue the shoulder→hip line, then fold by the hip flexion (knee rises).
        b = np.radians(-alpha + hip_flex_deg)
        knee = hip + thigh * np.stack([np.cos(b), np.sin(b)], axis=-1)
        return np.linalg.norm(knee - ankle, axis=-1) - shank, hip, knee

    for _ in range(50):
        mid = (lo + hi) / 2
        m, _, _ = miss(mid)
        too_long = m > 0  # knee too far from the ankle: drop the hips further
        lo = np.where(too_long, mid, lo)
        hi = np.where(too_long, hi, mid)
    _, hip, knee = miss((lo + hi) / 2)
    return hip, knee


def _sagittal(spec: HingeSpec, ch: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """Sagittal ``(T, 2)`` positions (u forward, v up, metres) of the chain; keys are part names (no side)."""
    H = spec.height_m
    n = ch["hip"].shape[0]
    hip_f, knee_f = ch["hip"], ch["knee"]
    beta = np.radians(ch["round"])
    chord = TRUNK * H * _sinc_half(beta)
    p: dict[str, FloatArray] = {}
    if spec.horizontal:
        bench = np.tile([0.0, ANKLE_H * H + SHANK * H], (n, 1))
        ankle = np.tile([(TRUNK + THIGH) * H, ANKLE_H * H], (n, 1))
        hip, knee = _two_link_closure(bench, chord, THIGH * H, SHANK * H, ankle, hip_f)
        p.update(ankle=ankle, knee=knee, hip=hip, shoulder=bench)
        trunk_dir = (bench - hip) / np.linalg.norm(bench - hip, axis=-1, keepdims=True)
        theta = np.degrees(np.arctan2(trunk_dir[:, 0], trunk_dir[:, 1]))
    else:
        shin = spec.shin_ratio * knee_f
        ankle = np.tile([0.0, ANKLE_H * H], (n, 1))
        knee = ankle + SHANK * H * _dir(shin)
        phi = shin - knee_f
        hip = knee + THIGH * H * _dir(phi)
        theta = hip_f + phi
        shoulder = hip + chord[:, None] * _dir(theta)
        p.update(ankle=ankle, knee=knee, hip=hip, shoulder=shoulder)
    neck_angle = theta + np.degrees(beta) / 2 + ch["head"]
    hd = _dir(neck_angle)
    fn = np.stack([hd[:, 1], -hd[:, 0]], axis=-1)  # face normal: head direction turned towards the front
    s = H / 1.75
    ear = p["shoulder"] + NECK * H * hd
    p["ear"] = ear
    p["eye"] = ear + s * (0.075 * fn + 0.025 * hd)
    p["eye_inner"] = ear + s * (0.085 * fn + 0.025 * hd)
    p["eye_outer"] = ear + s * (0.06 * fn + 0.025 * hd)
    p["nose"] = ear + s * (0.10 * fn - 0.005 * hd)
    p["mouth"] = ear + s * (0.085 * fn - 0.045 * hd)
    # Feet: stance foot flat on the floor.
    foot_v = 0.012 * H
    p["heel"] = np.tile([-0.04 * H, foot_v], (n, 1)) + (p["ankle"] - np.array([0.0, ANKLE_H * H]))
    p["foot_index"] = np.tile([0.11 * H, foot_v], (n, 1)) + (p["ankle"] - np.array([0.0, ANKLE_H * H]))
    # Arms.
    down = np.tile([0.0, -1.0], (n, 1))
    if spec.horizontal:
        wrist = p["hip"] + s * np.array([0.02, 0.12])
        mid = (p["shoulder"] + wrist) / 2
        elbow = mid + s * np.array([0.0, 0.08])
    elif spec.arms == "shoulders":
        td = _dir(theta)
        back = np.stack([-td[:, 1], td[:, 0]], axis=-1)
        wrist = p["shoulder"] + s * (0.10 * td + 0.06 * back)
        elbow = p["shoulder"] + s * (-0.10 * td + 0.15 * back)
    elif spec.arms == "dowel":
        td = _dir(theta)
        back = np.stack([-td[:, 1], td[:, 0]], axis=-1)
        wrist = p["shoulder"] + s * (0.16 * td + 0.07 * back)
        elbow = p["shoulder"] + s * (0.12 * td + 0.22 * back)
    else:
        elbow = p["shoulder"] + UPPER_ARM * H * down
        wrist = elbow + FOREARM * H * down
        if spec.arms == "bar":
            elbow, wrist = _arms_on_bar(p, wrist, H)
        elif spec.arms == "through":  # a band or cable from behind: the hands pulled back between the legs
            elbow, wrist = _arms_on_bar(p, wrist, H, offset=-THROUGH_BEHIND * H)
    p["elbow"], p["wrist"] = elbow, wrist
    fa = (wrist - elbow) / np.maximum(np.linalg.norm(wrist - elbow, axis=-1, keepdims=True), 1e-9)
    for part, reach in (("pinky", 0.07), ("index", 0.08), ("thumb", 0.05)):
        p[part] = wrist + s * reach * fa
    return p


def _free_leg(spec: HingeSpec, p: Mapping[str, FloatArray], theta_trunk: FloatArray) -> dict[str, FloatArray]:
    """Single-leg RDL: the free leg rises behind, straight and in line with the trunk chord."""
    H = spec.height_m
    d = -_dir(theta_trunk)  # hip → free foot: opposite of hip → shoulder
    knee = p["hip"] + THIGH * H * d
    ankle = knee + SHANK * H * d
    toe_dir = np.stack([-d[:, 1], d[:, 0]], axis=-1)
    toe_dir = np.where((toe_dir[:, 1] > 0)[:, None], -toe_dir, toe_dir)  # toes point to the floor side
    return {
        "knee": knee,
        "ankle": ankle,
        "heel": ankle - 0.04 * H * toe_dir - 0.02 * H * d,
        "foot_index": ankle + 0.11 * H * toe_dir,
    }


#: Half-widths across the body (metres for a 1.75 m lifter; scaled with ``height_m``).
_LATERAL: Final[dict[str, float]] = {
    "shoulder": SHOULDER_WIDTH * 1.75 / 2,
    "elbow": SHOULDER_WIDTH * 1.75 / 2 + 0.01,
    "wrist": SHOULDER_WIDTH * 1.75 / 2,
    "pinky": SHOULDER_WIDTH * 1.75 / 2 + 0.02,
    "index": SHOULDER_WIDTH * 1.75 / 2,
    "thumb": SHOULDER_WIDTH * 1.75 / 2 - 0.02,
    "hip": HIP_WIDTH * 1.75 / 2,
    "knee": HIP_WIDTH * 1.75 / 2,
    "ankle": HIP_WIDTH * 1.75 / 2,
    "heel": HIP_WIDTH * 1.75 / 2,
    "foot_index": HIP_WIDTH * 1.75 / 2 + 0.01,
    "ear": 0.075,
    "eye": 0.035,
    "eye_inner": 0.02,
    "eye_outer": 0.05,
    "mouth": 0.025,
}


def body_3d(spec: HingeSpec, ch: Mapping[str, FloatArray]) -> tuple[FloatArray, dict[Side, dict[str, FloatArray]]]:
    """``(T, 33, 3)`` body-frame positions (forward, up, left) and each side's sagittal points."""
    H = spec.height_m
    scale = H / 1.75
    p = _sagittal(spec, ch)
    n = ch["hip"].shape[0]
    out = np.full((n, N_LANDMARKS, 3), np.nan)
    trunk = p["shoulder"] - p["hip"]
    theta = np.degrees(np.arctan2(trunk[:, 0], trunk[:, 1]))
    free: dict[str, FloatArray] = _free_leg(spec, p, theta) if spec.single_leg else {}
    free_side: Side = other(spec.stance_side) if spec.single_leg else "right"
    pelvis = np.radians(ch["pelvis"])
    valgus = np.radians(ch["valgus"])
    per_side: dict[Side, dict[str, FloatArray]] = {}
    for side in SIDES:
        sign = 1.0 if side == "left" else -1.0
        pts = {**p, **free} if side == free_side else dict(p)
        per_side[side] = pts
        for part, lat in _LATERAL.items():
            uv = pts[part]
            lateral = np.full(n, sign * lat * scale)
            up = uv[:, 1].copy()
            if part == "hip":
                rise = 1.0 if side == free_side else -1.0
                up = up + rise * lat * scale * np.sin(pelvis)
                lateral = sign * lat * scale * np.cos(pelvis)
            if part == "knee" and not (side == free_side and spec.single_leg):
                lateral = lateral - sign * THIGH * H * np.sin(valgus)
            name = f"mouth_{side}" if part == "mouth" else f"{side}_{part}"
            out[:, INDEX[name]] = np.stack([uv[:, 0], up, lateral], axis=-1)
    out[:, INDEX["nose"]] = np.stack([p["nose"][:, 0], p["nose"][:, 1], np.zeros(n)], axis=-1)
    return out, per_side


def _leg_front_u(p: Mapping[str, FloatArray], v: FloatArray, offset: float) -> FloatArray:
    """Forward (u) position of the front of the legs at height ``v``: the ankle→knee→hip polyline plus ``offset``."""
    ankle, knee, hip = p["ankle"], p["knee"], p["hip"]
    on_shin = v <= knee[:, 1]
    a, b = np.where(on_shin[:, None], ankle, knee), np.where(on_shin[:, None], knee, hip)
    dv = b[:, 1] - a[:, 1]
    frac = np.clip((v - a[:, 1]) / np.where(np.abs(dv) > 1e-9, dv, 1e-9), 0.0, 1.0)
    u: FloatArray = a[:, 0] + frac * (b[:, 0] - a[:, 0]) + offset
    return u


def _arms_on_bar(
    p: Mapping[str, FloatArray], hang_wrist: FloatArray, H: float, offset: float | None = None
) -> tuple[FloatArray, FloatArray]:
    """Straight arms that keep a bar against the legs, as in a well-grooved RDL (the lats pull the bar back).

    The wrist hangs plumb unless that would leave it in front of the legs; then the straight arm swings back until
    the wrist (bar) sits just in front of the thigh/shin line. Solved by a few fixed-point steps on the circle of arm
    length around the shoulder. ``offset`` (m) moves that line: a negative one keeps the hands behind the front of
    the legs, between them, as a band pulling from behind does (default: a bar just in front of them).
    """
    arm = (UPPER_ARM + FOREARM) * H
    off = 0.05 * H if offset is None else offset  # bar radius + leg thickness in front of the joint line
    sh = p["shoulder"]
    wrist = hang_wrist.copy()
    for _ in range(6):
        front = _leg_front_u(p, wrist[:, 1], off)
        u = np.minimum(hang_wrist[:, 0], front)
        du = np.clip(u - sh[:, 0], -arm, arm)
        wrist = np.stack([u, sh[:, 1] - np.sqrt(arm**2 - du**2)], axis=-1)
    elbow = sh + (wrist - sh) * (UPPER_ARM / (UPPER_ARM + FOREARM))
    return elbow, wrist
