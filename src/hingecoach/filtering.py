"""Cleaning a raw pose track before any angle is measured: gate, repair, reject, fill, smooth.

Why each step, in the order :func:`clean_track` applies them:

1. **Confidence gating** — a landmark the model itself doubts (an occluded far leg, a hand behind a plate) is a
   guess; it becomes NaN rather than a confident-looking wrong angle.
2. **Left/right swap repair** — in side views BlazePose often trades the labels of the two legs (or the whole body)
   for a few frames; each swap is an instant, impossible exchange of positions, so it is detected from continuity
   and undone, per limb group.
3. **Jump rejection** — a landmark that leaves its neighbours' trajectory by a large fraction of the trunk length
   for a frame or three cannot be a body moving (Hampel-style test against a running median).
4. **Gap filling** — holes up to ``max_gap_s`` are interpolated; longer holes stay NaN so a rep is reported as not
   judged instead of judged on invented data.
5. **Zero-phase low-pass** — a Butterworth filter run forwards and backwards (no lag, so the bottom of a rep stays
   where it was) on each run of valid samples long enough for the filter's padding (pose2sim's rule: gaps stay gaps).

Every step appends a line to ``track.log``. :class:`OneEuroFilter` is the causal alternative for live use.
"""

from __future__ import annotations

import functools
import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.butter import butter_lowpass_sos, sosfilt, sosfilt_zi
from hingecoach.nanstats import nanmean, rolling_nanmedian
from hingecoach.skeleton import INDEX
from hingecoach.timebase import sample_rate_hz
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

LOG_PREFIX: Final[str] = "clean_track"

# Defaults of :func:`clean_track` (also those of :class:`hingecoach.config.FilterConfig`).
#: Visibility below which a landmark is a guess, not a measurement.
MIN_VISIBILITY: Final[float] = 0.5
#: Longest hole (s) filled by interpolation.
MAX_GAP_S: Final[float] = 0.25
#: Low-pass cut-off (Hz) and effective order of the zero-phase Butterworth filter.
CUTOFF_HZ: Final[float] = 6.0
ORDER: Final[int] = 4
#: Jump rejection: deviation from the running median (trunk lengths) and the median's window (frames).
JUMP_MAX_DEV: Final[float] = 0.3
JUMP_WINDOW: Final[int] = 7
#: Swap repair (see :func:`detect_swaps`): cost ratio, minimum gain (trunk lengths) and longest burst (s).
SWAP_RATIO: Final[float] = 0.5
SWAP_MIN_GAIN: Final[float] = 0.06
SWAP_MAX_BURST_S: Final[float] = 0.5

#: Left/right landmark pairs that a detector swaps together (one decision per group and frame).
SWAP_GROUPS: Final[dict[str, tuple[tuple[int, int], ...]]] = {
    "legs": tuple(
        (INDEX[f"left_{p}"], INDEX[f"right_{p}"]) for p in ("hip", "knee", "ankle", "heel", "foot_index")
    ),
    "arms": tuple(
        (INDEX[f"left_{p}"], INDEX[f"right_{p}"]) for p in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")
    ),
    "face": (
        *((INDEX[f"left_{p}"], INDEX[f"right_{p}"]) for p in ("eye_inner", "eye", "eye_outer", "ear")),
        (INDEX["mouth_left"], INDEX["mouth_right"]),
    ),
}

# ---------------------------------------------------------------------------------------------- helpers


def body_scale_px(xy_px: FloatArray) -> float:
    """A robust body size in pixels: the 90th percentile of the per-frame shoulder→hip length (trunk).

    The high percentile, not the median, because the trunk is foreshortened whenever the lifter hinges towards or
    away from the camera. Falls back to 1.2 × thigh length, then NaN.
    """
    trunk = nanmean(
        np.stack(
            [
                np.linalg.norm(xy_px[:, INDEX[f"{s}_shoulder"]] - xy_px[:, INDEX[f"{s}_hip"]], axis=-1)
                for s in ("left", "right")
            ]
        ),
        axis=0,
    )
    if np.isfinite(trunk).any():
        return float(np.nanpercentile(trunk, 90))
    thigh = np.linalg.norm(xy_px[:, INDEX["left_hip"]] - xy_px[:, INDEX["left_knee"]], axis=-1)
    if np.isfinite(thigh).any():
        return float(1.2 * np.nanpercentile(thigh, 90))
    return float("nan")


def _runs(mask: BoolArray) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and (exclusive) end indices of the True runs of a 1-D mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


# ---------------------------------------------------------------------------------------------- steps


def gate_visibility(xy_px: FloatArray, visibility: FloatArray, min_visibility: float) -> FloatArray:
    """NaN wherever the model's own visibility is below ``min_visibility`` (or the value is not finite)."""
    keep = (visibility >= min_visibility) & np.isfinite(xy_px).all(axis=-1)
    return np.where(keep[..., None], xy_px, np.nan)


def detect_swaps(
    xy_px: FloatArray,
    *,
    scale_px: float,
    fps: float = 30.0,
    ratio: float = SWAP_RATIO,
    min_gain: float = SWAP_MIN_GAIN,
    max_burst_s: float = SWAP_MAX_BURST_S,
) -> BoolArray:
    """``(T, G)`` True where group ``G`` (see :data:`SWAP_GROUPS`) carries exchanged left/right labels.

    Between consecutive valid frames a group either kept its labels or swapped them; a swap is declared when
    pairing each landmark with the *other* side's previous position costs less than ``ratio`` × keeping the labels
    *and* saves at least ``min_gain`` × ``scale_px`` per landmark (when the legs overlap in a side view the labels
    cannot be told apart — and then a swap does not change any angle either). A detector swap is a *burst*: labels
    trade places and trade back. Only such pairs of swaps at most ``max_burst_s`` apart are undone; a lone swap with
    no return is left alone, because which of the two labellings is right cannot be told from continuity, and a
    wrong guess would corrupt everything after it.
    """
    t = xy_px.shape[0]
    out = np.zeros((t, len(SWAP_GROUPS)), dtype=bool)
    if t < 2 or not np.isfinite(scale_px):
        return out
    max_burst = max(1, round(max_burst_s * fps))
    for g, pairs in enumerate(SWAP_GROUPS.values()):
        li = np.array([p[0] for p in pairs], dtype=np.intp)
        ri = np.array([p[1] for p in pairs], dtype=np.intp)
        left, right = xy_px[:, li], xy_px[:, ri]  # (T, n, 2)
        both = np.asarray(np.isfinite(left).all(axis=-1) & np.isfinite(right).all(axis=-1), dtype=bool)  # (T, n)
        valid = np.flatnonzero(both.any(axis=1))
        if valid.size < 2:
            continue
        prev, cur = valid[:-1], valid[1:]
        ok = both[prev] & both[cur]  # landmarks comparable in both frames

        def dist(a: FloatArray, b: FloatArray, ok: BoolArray = ok) -> FloatArray:
            d = np.where(ok, np.linalg.norm(a - b, axis=-1), 0.0)
            return np.asarray(d.sum(axis=1) / np.maximum(ok.sum(axis=1), 1), dtype=np.float64)

        keep = dist(left[cur], left[prev]) + dist(right[cur], right[prev])
        swap = dist(left[cur], right[prev]) + dist(right[cur], left[prev])
        flips = cur[ok.any(axis=1) & (swap < ratio * keep) & (keep - swap > min_gain * scale_px)]
        i = 0
        while i + 1 < flips.size:
            if flips[i + 1] - flips[i] <= max_burst:
                out[flips[i] : flips[i + 1], g] = True
                i += 2
            else:
                i += 1
    return out


def apply_swaps(values: NDArray[np.float64], swapped: BoolArray) -> NDArray[np.float64]:
    """Undo (or apply) the label exchanges ``swapped`` ``(T, G)`` on any ``(T, 33, ...)`` array."""
    out = values.copy()
    for g, pairs in enumerate(SWAP_GROUPS.values()):
        frames = np.flatnonzero(swapped[:, g])
        if frames.size == 0:
            continue
        li = np.array([p[0] for p in pairs], dtype=np.intp)
        ri = np.array([p[1] for p in pairs], dtype=np.intp)
        out[np.ix_(frames, li)] = values[np.ix_(frames, ri)]
        out[np.ix_(frames, ri)] = values[np.ix_(frames, li)]
    return out


def reject_jumps(
    xy_px: FloatArray, *, scale_px: float, max_dev: float = JUMP_MAX_DEV, window: int = JUMP_WINDOW
) -> BoolArray:
    """``(T, 33)`` True where a landmark sits more than ``max_dev`` × ``scale_px`` from the running median.

    The running median over ``window`` frames follows any smooth motion however fast (the median of a straight
    or gently curved trajectory is its middle point) but ignores excursions shorter than half the window: exactly
    the 1–3-frame spikes a detector produces when it latches onto a plate, a bar or the other leg.
    """
    t = xy_px.shape[0]
    if t < 3 or not np.isfinite(scale_px):
        return np.zeros(xy_px.shape[:2], dtype=bool)
    w = min(window, t if t % 2 else t - 1)
    med = rolling_nanmedian(xy_px, w)  # (T, 33, 2)
    dev = np.linalg.norm(xy_px - med, axis=-1)
    return np.asarray(np.isfinite(dev) & (dev > max_dev * scale_px))


def fill_gaps(values: FloatArray, max_gap: int) -> tuple[FloatArray, BoolArray]:
    """Linearly interpolate interior NaN runs of at most ``max_gap`` samples along axis 0 (any trailing shape).

    Returns the filled array and the mask of filled entries. Leading/trailing holes and longer holes stay NaN.
    Columns sharing a pattern of finite samples share their holes, so the holes are found once per pattern (the
    live session cleans every rep's window on the frame path: a per-column loop cost it milliseconds).
    """
    flat = values.reshape(values.shape[0], -1).copy()
    filled = np.zeros(flat.shape, dtype=bool)
    if max_gap <= 0 or flat.shape[0] < 3:
        return values.copy(), filled.reshape(values.shape)
    idx = np.arange(flat.shape[0])
    for cols, good in _finite_patterns(flat):
        if good.sum() < 2 or good.all():
            continue
        starts, ends = _runs(~good)
        interior = (starts > 0) & (ends < good.shape[0]) & (ends - starts <= max_gap)
        if not interior.any():
            continue
        fill = np.zeros(good.shape[0], dtype=bool)
        for s, e in zip(starts[interior], ends[interior], strict=True):
            fill[s:e] = True
        x, xp = idx[fill], idx[good]
        for c in cols:
            flat[fill, c] = np.interp(x, xp, flat[good, c])
        filled[np.ix_(fill, np.asarray(cols, dtype=np.intp))] = True
    return flat.reshape(values.shape), filled.reshape(values.shape)


def _finite_patterns(flat: FloatArray) -> list[tuple[list[int], BoolArray]]:
    """Columns of a 2-D array grouped by their pattern of finite samples: ``[(columns, finite mask), ...]``."""
    finite = np.isfinite(flat)
    packed = np.ascontiguousarray(np.packbits(finite, axis=0).T)  # one row of bytes per column
    groups: dict[bytes, list[int]] = {}
    for c in range(flat.shape[1]):
        groups.setdefault(packed[c].tobytes(), []).append(c)
    return [(cols, finite[:, cols[0]]) for cols in groups.values()]


def lowpass(
    values: FloatArray, fps: float, *, cutoff_hz: float, order: int, t_s: FloatArray | None = None
) -> FloatArray:
    """Zero-phase Butterworth low-pass along axis 0, applied to each run of finite samples separately.

    ``order`` is the effective order after the forward-backward pass (pose2sim's convention: a 4th-order filter is
    a 2nd-order design run twice). Runs no longer than the filter's padding are left as they are. A cut-off at or
    above the Nyquist frequency returns the input unchanged.

    ``t_s`` (the samples' times) matters for a variable-frame-rate video: a digital filter assumes evenly spaced
    samples, so a 6 Hz cut-off designed for the mean rate would be 9 Hz where the camera ran faster and 3 Hz where
    it ran slower. Uneven samples are therefore resampled onto an even grid at the fastest rate, filtered there,
    and read back at their own times.
    """
    if t_s is not None and values.shape[0] > 2:
        dt = np.diff(np.asarray(t_s, dtype=np.float64))
        if dt.min() > 0 and dt.max() > UNEVEN_SAMPLING_RATIO * dt.min():
            return _lowpass_uneven(values, np.asarray(t_s, dtype=np.float64), cutoff_hz=cutoff_hz, order=order)
    if cutoff_hz <= 0 or cutoff_hz >= 0.5 * fps:
        return values.copy()
    sos, zi = _design(max(order // 2, 1), float(cutoff_hz), float(fps))
    padlen = 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    flat = values.reshape(values.shape[0], -1).copy()
    # Columns with the same pattern of finite samples (all coordinates of a landmark, usually all landmarks of a
    # frame) are filtered together along axis 0: the same arithmetic as one column at a time, far fewer calls.
    # Every run of finite samples of every group is filtered by one :func:`_filtfilt` call — scipy's
    # ``sosfiltfilt`` step for step, with the design and its initial state computed once per (order, cut-off, rate).
    where: list[tuple[int, int, list[int]]] = []
    for cols, good in _finite_patterns(flat):
        starts, ends = _runs(good)
        where.extend((int(s), int(e), cols) for s, e in zip(starts, ends, strict=True) if e - s > padlen)
    if where:
        out = _filtfilt(sos, zi, [flat[s:e, cols] for s, e, cols in where], padlen)
        for (s, e, cols), y in zip(where, out, strict=True):
            flat[s:e, cols] = y
    return flat.reshape(values.shape)


@functools.lru_cache(maxsize=64)
def _design(n: int, cutoff_hz: float, fps: float) -> tuple[FloatArray, FloatArray]:
    """The Butterworth design (second-order sections) and ``sosfilt_zi`` of it shaped for filtering along axis 0
    of a 2-D array, ``(n_sections, 2, 1)``: designed once per (order, cut-off, rate) — a design costs about a
    millisecond, which the live session would pay on every rep. Shared arrays: never write to them.
    """
    sos = butter_lowpass_sos(n, cutoff_hz, fps)
    zi = np.asarray(sosfilt_zi(sos), dtype=np.float64).reshape(sos.shape[0], 2, 1)
    return sos, zi


def _filtfilt(sos: FloatArray, zi: FloatArray, blocks: list[FloatArray], padlen: int) -> list[FloatArray]:
    """``scipy.signal.sosfiltfilt(sos, x, axis=0, padtype="odd", padlen=padlen)`` of each 2-D block ``x``, with the
    initial state ``zi`` given (see :func:`_design`): the same operations in the same order, so the same numbers.

    Why one call for all blocks: a call costs ~0.1 ms whatever its size, and a rep window has dozens of runs (each
    landmark's own pattern of holes). The odd-extended blocks become the columns of one array (shorter ones padded
    at the end: a causal filter's first ``n`` outputs never see what follows them); the backward pass gets each
    column reversed within its own length.
    """
    exts = [
        np.concatenate((2 * x[:1] - x[padlen:0:-1], x, 2 * x[-1:] - x[-2 : -(padlen + 2) : -1]), axis=0) for x in blocks
    ]
    lens = [int(x.shape[0]) for x in exts]
    offs = np.cumsum([0] + [int(x.shape[1]) for x in exts]).tolist()
    fwd = np.zeros((max(lens), offs[-1]))
    for x, o in zip(exts, offs, strict=False):
        fwd[: x.shape[0], o : o + x.shape[1]] = x
    y = sosfilt(sos, fwd, zi * fwd[:1])
    bwd = np.zeros_like(fwd)
    for n, o, o1 in zip(lens, offs, offs[1:], strict=False):
        bwd[:n, o:o1] = y[n - 1 :: -1, o:o1]
    y = sosfilt(sos, bwd, zi * bwd[:1])
    spans = zip(lens, offs, offs[1:], strict=False)
    return [np.asarray(y[n - 1 :: -1, o:o1][padlen:-padlen], dtype=np.float64) for n, o, o1 in spans]


#: Samples count as uneven when the longest gap between them exceeds the shortest by this factor.
UNEVEN_SAMPLING_RATIO = 1.2


def _lowpass_uneven(values: FloatArray, t_s: FloatArray, *, cutoff_hz: float, order: int) -> FloatArray:
    """:func:`lowpass` for unevenly timed samples: per finite run, even grid at the fastest rate, filter, read back."""
    fs = 1.0 / float(np.diff(t_s).min())
    flat = values.reshape(values.shape[0], -1).copy()
    for c in range(flat.shape[1]):
        col = flat[:, c]
        starts, ends = _runs(np.isfinite(col))
        for s, e in zip(starts, ends, strict=True):
            if e - s < 3:
                continue
            ts = t_s[s:e]
            grid = np.arange(ts[0], ts[-1] + 0.5 / fs, 1.0 / fs)
            even = lowpass(np.interp(grid, ts, col[s:e]), fs, cutoff_hz=cutoff_hz, order=order)
            col[s:e] = np.interp(ts, grid, even)
    return flat.reshape(values.shape)


# ---------------------------------------------------------------------------------------------- pipeline


def _side_by_side(xy: FloatArray, world: FloatArray | None) -> FloatArray:
    """``(T, 33, 2)`` image and ``(T, 33, 3)`` world landmarks as the columns of one ``(T, 165)`` array."""
    flat = xy.reshape(xy.shape[0], -1)
    return flat.copy() if world is None else np.concatenate([flat, world.reshape(world.shape[0], -1)], axis=1)


def is_clean(track: PoseTrack) -> bool:
    """True when :func:`clean_track` has already been applied (it leaves its mark in the log)."""
    return any(entry.startswith(f"{LOG_PREFIX}(") for entry in track.log)


def clean_track(
    track: PoseTrack,
    *,
    min_visibility: float = MIN_VISIBILITY,
    max_gap_s: float = MAX_GAP_S,
    cutoff_hz: float = CUTOFF_HZ,
    order: int = ORDER,
    jump_max_dev: float = JUMP_MAX_DEV,
    jump_window: int = JUMP_WINDOW,
    swap_ratio: float = SWAP_RATIO,
    swap_min_gain: float = SWAP_MIN_GAIN,
    swap_max_burst_s: float = SWAP_MAX_BURST_S,
) -> PoseTrack:
    """Gate, repair swaps, reject jumps, fill short gaps and low-pass a track (see the module docstring).

    World landmarks, when present, get the same gating, swaps, rejections, filling and filtering as the image
    landmarks. Visibility becomes 0 where a landmark is left missing and ``min_visibility`` where it was filled in,
    so later stages can still tell measured from interpolated values. Durations counted in samples (the gap to fill,
    a swap burst, the filter's design) use the rate the timestamps show (:func:`hingecoach.timebase.sample_rate_hz`),
    not the container's nominal fps: a track capped with ``--max-fps`` holds fewer frames per second than its source.
    """
    fps = sample_rate_hz(track.t_s, track.fps)
    xy = gate_visibility(track.xy_px, track.visibility, min_visibility)
    vis = track.visibility.copy()
    world = None if track.world_m is None else track.world_m.copy()
    gated = int((np.isfinite(track.xy_px).all(-1) & ~np.isfinite(xy).all(-1)).sum())
    out = track.with_log(f"{LOG_PREFIX}.gate_visibility(min_visibility={min_visibility}): {gated} landmark-frames")

    scale = body_scale_px(xy)
    swapped = detect_swaps(
        xy, scale_px=scale, fps=fps, ratio=swap_ratio, min_gain=swap_min_gain, max_burst_s=swap_max_burst_s
    )
    if swapped.any():
        xy = apply_swaps(xy, swapped)
        vis = apply_swaps(vis[..., None], swapped)[..., 0]
        if world is not None:
            world = apply_swaps(world, swapped)
    out = out.with_log(
        f"{LOG_PREFIX}.repair_swaps: "
        + ", ".join(f"{name} {int(swapped[:, g].sum())} frames" for g, name in enumerate(SWAP_GROUPS))
    )

    jumps = reject_jumps(xy, scale_px=scale, max_dev=jump_max_dev, window=jump_window)
    xy[jumps] = np.nan
    out = out.with_log(
        f"{LOG_PREFIX}.reject_jumps(max_dev={jump_max_dev} trunk, window={jump_window}): "
        f"{int(jumps.sum())} landmark-frames"
    )

    missing = ~np.isfinite(xy).all(-1)
    if world is not None:
        world[missing] = np.nan
    max_gap = math.floor(max_gap_s * fps + 1e-9)
    # Image and world landmarks are filled and filtered as the columns of one array (column by column, as two
    # arrays would be): their missing frames coincide, so each pattern of holes is handled once for both.
    n_xy = 2 * int(xy.shape[1])
    both, filled = fill_gaps(_side_by_side(xy, world), max_gap)
    filled_lm = filled[:, :n_xy].reshape(xy.shape).any(-1)
    out = out.with_log(f"{LOG_PREFIX}.fill_gaps(max_gap_s={max_gap_s}): {int(filled_lm.sum())} landmark-frames filled")

    both = lowpass(both, fps, cutoff_hz=cutoff_hz, order=order, t_s=track.t_s)
    xy = both[:, :n_xy].reshape(xy.shape)
    world = None if world is None else both[:, n_xy:].reshape(world.shape)
    out = out.with_log(f"{LOG_PREFIX}.lowpass(cutoff_hz={cutoff_hz}, order={order}, zero-phase, per finite run)")

    final_missing = ~np.isfinite(xy).all(-1)
    vis = np.where(final_missing, 0.0, np.where(filled_lm, min_visibility, vis))
    return out.with_log(
        f"{LOG_PREFIX}(min_visibility={min_visibility}, max_gap_s={max_gap_s}, cutoff_hz={cutoff_hz}, order={order})",
        xy_px=xy,
        visibility=vis,
        world_m=world,
    )


# ---------------------------------------------------------------------------------------------- live


class OneEuroFilter:
    """The 1€ filter (Casiez, Roussel & Vogel, CHI 2012), vectorised over any array of landmarks.

    Why for live use: a zero-phase filter needs the future; the 1€ filter is causal and adapts its cut-off to the
    speed — heavy smoothing while the lifter holds still (no jitter at the top), little lag when they move.
    ``beta`` is in 1/(input unit per second): with pixel input, 0.005–0.05 is the useful range. NaN inputs give NaN
    outputs and leave that element's state untouched; an element seen for the first time starts from its value.
    """

    def __init__(self, *, min_cutoff_hz: float = 1.0, beta: float = 0.01, d_cutoff_hz: float = 1.0) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ValueError("cut-offs must be positive and beta non-negative")
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        """Forget the past (a new set, a new person)."""
        self._x = self._dx = None
        self._t = None

    @staticmethod
    def _alpha(dt_s: float, cutoff_hz: FloatArray | float) -> FloatArray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff_hz, dtype=np.float64))
        return np.asarray(1.0 / (1.0 + tau / dt_s), dtype=np.float64)

    def __call__(self, x: NDArray[np.float64], t_s: float) -> FloatArray:
        """Filtered copy of ``x`` observed at time ``t_s`` (seconds, strictly increasing between calls)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._dx is None or self._t is None or self._x.shape != x.shape:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = float(t_s)
            return x.copy()
        dt = float(t_s) - self._t
        if dt <= 0:
            raise ValueError(f"timestamps must increase (got {t_s} after {self._t})")
        seen = np.isfinite(x)
        fresh = seen & ~np.isfinite(self._x)
        prev = np.where(fresh, x, self._x)
        dx = np.where(seen, (x - prev) / dt, 0.0)
        a_d = self._alpha(dt, self.d_cutoff_hz)
        dx_hat = np.where(seen, a_d * dx + (1 - a_d) * self._dx, self._dx)
        a = self._alpha(dt, self.min_cutoff_hz + self.beta * np.abs(dx_hat))
        x_hat = a * x + (1 - a) * prev
        self._x = np.where(seen, x_hat, self._x)
        self._dx = dx_hat
        self._t = float(t_s)
        return np.asarray(np.where(seen, x_hat, np.nan), dtype=np.float64)
