"""Live coaching: pose frames in one at a time, coaching events out — judged by the same checks as a file.

:class:`LiveSession` is the seam the browser's camera page (and any other frame source) drives. Each call to
:meth:`LiveSession.push` takes one frame's BlazePose-33 landmarks (image and, when available, world) with their
visibility and timestamp, and returns the events that frame caused: setup problems, phase changes, a rep counted and
judged (with at most one cue), a set summary.

Why this design:

* **Bounded memory.** Frames go into a fixed-size ring (:class:`FrameRing`, ``buffer_s`` seconds at up to
  ``max_fps``); nothing else grows with the session's length (judged reps are kept per set, capped).
* **Causal detection, offline judging.** Rep boundaries are found causally: the hip-flexion signal of One-Euro
  filtered landmarks (:class:`hingecoach.filtering.OneEuroFilter`) goes through a hysteresis whose levels come from
  the lifter's own standing posture (calibrated on the first frames after the set-up is right) and from the depth of
  their previous reps — never from a whole clip's percentiles, which a live stream does not have. When a rep has
  closed (the lifter is back at the top and has held it for ``settle_s``, or starts the next descent), its frames are
  all in the past, so the rep's window is cut from the ring as a :class:`~hingecoach.track.PoseTrack` and put through
  exactly the file path: :func:`~hingecoach.kinematics.compute_kinematics` (with its zero-phase cleaning),
  :func:`~hingecoach.reps.segment_reps` for the rep's exact boundaries and its validity rules, and
  :func:`~hingecoach.judge.judge_rep` with the drill's checks. A live rep and a filmed rep are judged by one code path.
* **Cheap frames.** Per frame: one ring write, one vectorised One-Euro step and a handful of scalar comparisons;
  setup checks run every ``setup_every_s`` on a short window. The expensive work happens once per rep.

Events are Pydantic models with a ``type`` discriminator, ready for a WebSocket (``event.model_dump_json()``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach import coaching, judge, judge_inputs
from hingecoach.analysis import check_drill_id, rep_model
from hingecoach.config import AnalysisConfig, LiveConfig, tuned_drill
from hingecoach.drills import DRILLS, FAULT_CODES, Drill
from hingecoach.filtering import OneEuroFilter, clean_track
from hingecoach.kinematics import (
    FLEXION_RANGE_DEG,
    RELIABLE_VISIBILITY,
    choose_side,
    compute_kinematics,
    estimate_facing,
    signed_flexion_deg,
)
from hingecoach.live.events import (
    LiveEvent,
    PhaseEvent,
    RepCountEvent,
    RepJudgedEvent,
    SetSummaryEvent,
    SetupEvent,
    SetupProblem,
)
from hingecoach.live.ring import FrameRing
from hingecoach.measures import BackReference
from hingecoach.pose.quality import part_shares
from hingecoach.recognise import COULD_NOT_TELL, DEFAULT_DRILL, NOT_A_HINGE, SQUAT_REMEDY_DRILL, recognise
from hingecoach.reps import RepSegment, segment_reps
from hingecoach.schema import Phase, Summary
from hingecoach.skeleton import N_LANDMARKS, Side, sided
from hingecoach.track import PoseTrack
from hingecoach.view import ViewEstimate, classify_view

FloatArray = NDArray[np.float64]

#: Fewest frames in a setup-check window before its verdict counts.
MIN_SETUP_FRAMES: Final[int] = 5
#: Signal speed (deg/s, filtered) that counts as moving, for the phase events.
MOVING_DEG_S: Final[float] = 25.0
#: A phase must last this many frames before it is announced (no flicker at a turning point).
PHASE_HOLD_FRAMES: Final[int] = 3
#: The camera view is re-estimated on every this-many-th setup check.
VIEW_EVERY: Final[int] = 3
#: Drill start positions that begin a rep from the floor (the file path's rule, :func:`analysis._rep_start`).
_FLOOR: Final[str] = "floor"


# ---------------------------------------------------------------------------------------------- detector state
@dataclass
class _Pending:
    """A rep in progress: session frame indices and the live signal's values."""

    start: int
    peak: int
    peak_value: float
    up_at: int | None = None  # first frame back below the low level
    up_t: float = math.nan


@dataclass(frozen=True)
class _Calibration:
    side: Side
    facing: Literal["left", "right"]
    use_3d: bool
    top: float


class LiveSession:
    """Coach one lifter from a stream of pose frames (see the module docstring).

    ``drill``: a drill id, or ``"auto"`` (recognised on the first rep, then kept); None = ``analysis_config.drill``.
    ``analysis_config``: the file path's configuration (the rep windows are cleaned and judged with it).
    ``reference``: the athlete's own neutral back line, as for :func:`~hingecoach.analysis.analyze_track`.
    ``image_wh``: the camera frame's size in pixels. ``coords``: whether :meth:`push` receives ``"normalized"``
    [0, 1] image coordinates (BlazePose's output, the browser's) or ``"pixels"``. ``fps``: the nominal frame rate
    (None: estimated from the timestamps).
    """

    def __init__(
        self,
        drill: str | None = None,
        *,
        image_wh: tuple[int, int],
        coords: Literal["normalized", "pixels"] = "normalized",
        fps: float | None = None,
        config: LiveConfig | None = None,
        analysis_config: AnalysisConfig | None = None,
        reference: BackReference | None = None,
    ) -> None:
        self.config = config if config is not None else LiveConfig()
        self.reference = reference
        self.analysis_config = analysis_config if analysis_config is not None else AnalysisConfig()
        self.drill_id = check_drill_id(drill if drill is not None else self.analysis_config.drill)
        self.image_wh = (int(image_wh[0]), int(image_wh[1]))
        self.coords = coords
        self.nominal_fps = fps
        cfg = self.config
        self.ring = FrameRing(max(2, math.ceil(cfg.buffer_s * cfg.max_fps)))
        self._filter = OneEuroFilter(min_cutoff_hz=cfg.min_cutoff_hz, beta=cfg.beta, d_cutoff_hz=cfg.d_cutoff_hz)
        self._scale = np.array(self.image_wh, dtype=np.float64) if coords == "normalized" else np.ones(2)
        # setup
        self._next_setup_t: float | None = None
        self._next_view_t: float | None = None
        self._next_cal_t: float | None = None
        self._absent_since: float | None = None
        self._setup_codes: tuple[str, ...] | None = None
        self._setup_ok_since: int | None = None
        # detector
        self._cal: _Calibration | None = None
        self._down = False
        self._pending: _Pending | None = None
        self._last_top_frame: int | None = None
        self._prev_rep_end = 0
        self._depths: deque[float] = deque(maxlen=5)
        self._levels_cache: tuple[tuple[float, int, float | None], tuple[float, float, float]] | None = None
        self._last_sig: tuple[float, float] | None = None  # (t, value) of the last finite signal
        self._speed = 0.0
        self._phase: Phase = "setup"
        self._phase_candidate: tuple[Phase, int] = ("setup", 0)
        self._view: ViewEstimate | None = None
        # sets
        self.set_index = 1
        self._set_reps: deque[judge.JudgedRep] = deque(maxlen=cfg.max_reps_per_set)
        self._set_count = 0
        self._last_rep_t: float | None = None
        self._dts: deque[float] = deque(maxlen=64)

    # ------------------------------------------------------------------ public
    @property
    def calibrated(self) -> bool:
        return self._cal is not None

    @property
    def rep_count(self) -> int:
        """Reps counted in the current set."""
        return self._set_count

    @property
    def fps(self) -> float:
        """The nominal frame rate: given, else 1 / the median interval of recent frames."""
        if self.nominal_fps is not None:
            return float(self.nominal_fps)
        if not self._dts:
            return 30.0
        return float(1.0 / max(float(np.median(np.asarray(self._dts))), 1e-3))

    def push(
        self,
        t_s: float,
        xy: NDArray[np.floating] | Sequence[Sequence[float]],
        visibility: NDArray[np.floating] | Sequence[float],
        world_m: NDArray[np.floating] | Sequence[Sequence[float]] | None = None,
        *,
        n_people: int | None = None,
        back_profile: NDArray[np.floating] | None = None,
    ) -> list[LiveEvent]:
        """Take one frame: ``xy`` ``(33, 2)`` (normalised or pixels, see ``coords``; NaN = not detected),
        ``visibility`` ``(33,)``, ``world_m`` ``(33, 3)`` metres or None, ``n_people`` seen in the frame if counted,
        ``back_profile`` the frame's dorsal profile if the caller has a mask. Timestamps must increase.
        """
        t = float(t_s)
        ring = self.ring
        if ring.count and t <= float(ring.t_s[(ring.count - 1) % ring.capacity]):
            raise ValueError(f"timestamps must increase (got {t})")
        if ring.count:
            self._dts.append(t - float(ring.t_s[(ring.count - 1) % ring.capacity]))
        xy_px = np.asarray(xy, dtype=np.float64).reshape(N_LANDMARKS, 2) * self._scale
        vis = np.asarray(visibility, dtype=np.float64).reshape(N_LANDMARKS)
        world = None if world_m is None else np.asarray(world_m, dtype=np.float64).reshape(N_LANDMARKS, 3)
        back = None if back_profile is None else np.asarray(back_profile, dtype=np.float64).ravel()
        i = ring.push(t, xy_px, vis, world, -1 if n_people is None else int(n_people), back)
        events: list[LiveEvent] = []
        self._setup_step(t, i, events)
        filtered = self._filter(np.where((vis >= RELIABLE_VISIBILITY)[:, None], xy_px, np.nan), t)
        ring.xy_filtered[i % ring.capacity] = filtered
        if self._cal is None:
            self._try_calibrate(i, events)
        if self._cal is not None:
            x = self._signal(filtered, vis, world)
            ring.signal[i % ring.capacity] = x
            self._detect(t, i, x, events)
        self._maybe_end_set(t, events)
        return events

    def finish(self) -> list[LiveEvent]:
        """End of the stream: close a rep still in progress and summarise the set."""
        events: list[LiveEvent] = []
        if self.ring.count == 0:
            return events
        last = self.ring.count - 1
        t = float(self.ring.t_s[last % self.ring.capacity])
        if self._pending is not None:
            self._close(t, last + 1, events)
        if self._set_count:
            events.append(self._summary_event(t))
            self._new_set()
        return events

    def summary(self) -> Summary:
        """Summary of the current set so far (the same :func:`coaching.summarise` as a file's)."""
        return coaching.summarise(self._drill(), list(self._set_reps))

    # ------------------------------------------------------------------ setup
    def _setup_step(self, t: float, i: int, events: list[LiveEvent]) -> None:
        cfg = self.config
        if self._next_setup_t is None:
            self._next_setup_t = t + cfg.setup_every_s
            self._next_view_t = t + 0.5 * cfg.setup_every_s
            return
        if self._next_view_t is not None and t >= self._next_view_t:
            # The costliest check, on its own frames (never with the others), and every few checks only: the
            # camera rarely moves.
            self._next_view_t = t + VIEW_EVERY * cfg.setup_every_s
            start = self._frame_at_or_after(t - cfg.setup_window_s)
            if i + 1 - start >= MIN_SETUP_FRAMES:
                view = classify_view(self.ring.track(start, i + 1, self.fps, self.image_wh))
                self._view = view if view.view != "unknown" else self._view
            return
        if t < self._next_setup_t:
            return
        self._next_setup_t = t + cfg.setup_every_s
        start = self._frame_at_or_after(t - cfg.setup_window_s)
        if i + 1 - start < MIN_SETUP_FRAMES:
            return
        track = self.ring.track(start, i + 1, self.fps, self.image_wh)
        problems = self._setup_problems(track)
        codes = tuple(p.code for p in problems)
        blocking = [c for c in codes if c != "turn_side_on"]
        if blocking:
            self._setup_ok_since = None
        elif self._setup_ok_since is None:
            self._setup_ok_since = start
        if "no_person" not in codes:
            self._absent_since = None
        elif self._absent_since is None:
            self._absent_since = t
        if (
            self._absent_since is not None
            and t - self._absent_since >= cfg.absent_reset_s
            and self._cal is not None
            and self._pending is None
        ):
            # Gone for a while: the set is over, and whoever steps in next is calibrated afresh (another lifter,
            # another spot).
            if self._set_count:
                events.append(self._summary_event(t))
                self._new_set()
            self._cal = None
            self._down = False
            self._last_top_frame = None
            self._filter.reset()
        if codes != self._setup_codes:
            self._setup_codes = codes
            events.append(SetupEvent(t_s=t, ok=not problems, problems=problems))

    def _setup_problems(self, track: PoseTrack) -> list[SetupProblem]:
        """What the lifter should fix before (or between) reps, from the last ``setup_window_s`` of frames."""
        out: list[SetupProblem] = []
        detected = track.detected()
        if detected.mean() < 0.5:
            return [SetupProblem(code="no_person", message="step into view: nobody is detected")]
        if track.n_people is not None:
            counted = track.n_people[track.n_people >= 0]
            if counted.size and float((counted >= 2).mean()) > 0.5:
                out.append(SetupProblem(code="one_person_only", message="one person only: others step out of view"))
        shares = part_shares(track)
        worst, (share, _) = max(shares.items(), key=lambda kv: kv[1][0])
        if share > 0.5:
            out.append(SetupProblem(code="step_back", message=f"step back: {worst} not in view"))
        view = self._view if self._view is not None else ViewEstimate(view="unknown", confidence=0.0, yaw_deg=None)
        needs_side = any("front" not in c.views for c in self._drill().checks)
        if view.view in ("front", "oblique") and needs_side and view.confidence >= 0.3:
            msg = "turn side-on to the camera: the back is judged from the side"
            out.append(SetupProblem(code="turn_side_on", message=msg))
        return out

    def _frame_at_or_after(self, t: float) -> int:
        """Session index of the first held frame at or after time ``t``."""
        r = self.ring.rows(self.ring.oldest, self.ring.count)
        ts = self.ring.t_s[r]
        k = int(np.searchsorted(ts, t, side="left"))
        return self.ring.oldest + k

    # ------------------------------------------------------------------ calibration and signal
    def _try_calibrate(self, i: int, events: list[LiveEvent]) -> None:
        """Once the set-up is right: which side faces the camera, which way the lifter faces, which hip signal to
        use (image, or world 3-D when not side-on) and where their top is; then the frames since the set-up became
        right are run through the detector, so a rep that began while calibrating is not lost.

        The top is the median posture of ``calibration_s`` held still (the medians of its two halves within
        ``calibration_still_deg``: landmark jitter is not movement); held still bent over (set up at the bar) means
        the lifter starts down and the top is the lockout limit. A lifter never still for
        ``calibration_max_wait_s`` gets their most upright posture so far (10th percentile) as the top.
        """
        cfg = self.config
        if self._setup_ok_since is None:
            return
        ring = self.ring
        ok_since = max(self._setup_ok_since, ring.oldest)
        t0 = float(ring.t_s[ok_since % ring.capacity])
        t1 = float(ring.t_s[i % ring.capacity])
        if t1 - t0 < cfg.calibration_s or (self._next_cal_t is not None and t1 < self._next_cal_t):
            return
        # At most a few tries a second, each on the last ``calibration_s`` of good set-up only (a bounded cost).
        self._next_cal_t = t1 + 0.25 * cfg.setup_every_s
        start = max(ok_since, self._frame_at_or_after(t1 - cfg.calibration_s))
        track = ring.track(start, i + 1, self.fps, self.image_wh)
        side = choose_side(track)
        facing = estimate_facing(track, side)
        view = classify_view(track)
        use_3d = view.view in ("front", "oblique") and track.world_m is not None
        cal = _Calibration(side=side, facing=facing, use_3d=use_3d, top=math.nan)
        xs = self._signals(cal, start, i + 1, filtered=False)
        finite = xs[np.isfinite(xs)]
        if finite.size < 4:
            return
        half = finite.size // 2
        still = abs(float(np.median(finite[half:]) - np.median(finite[:half]))) <= cfg.calibration_still_deg
        prior = self._lockout_max(cal)
        if still:
            top = float(np.median(finite))
            top = min(top, prior) if top > prior + cfg.standing_margin_deg else top
        elif t1 - t0 >= cfg.calibration_max_wait_s:
            since = self._signals(cal, ok_since, i + 1, filtered=False)
            top = min(float(np.nanpercentile(since, 10)), prior)
        else:
            return
        self._cal = _Calibration(side=side, facing=facing, use_3d=use_3d, top=top)
        self._view = view
        self._down, self._pending, self._last_top_frame = False, None, None
        past = self._signals(self._cal, ok_since, i, filtered=True)
        for k, x in enumerate(past):
            r = ok_since + k
            self._detect(float(ring.t_s[r % ring.capacity]), r, float(x), events)

    def _signals(self, cal: _Calibration, start: int, stop: int, *, filtered: bool) -> FloatArray:
        """The hip signal of session frames ``[start, stop)`` from the ring (raw or One-Euro filtered landmarks)."""
        ring = self.ring
        xy = ring.xy_filtered if filtered else ring.xy_px
        return np.array(
            [self._signal_of(cal, xy[r], ring.visibility[r], ring.world_m[r]) for r in ring.rows(start, stop)],
            dtype=np.float64,
        )

    def _lockout_max(self, cal: _Calibration) -> float:
        reps = self.analysis_config.reps
        return reps.lockout_max_3d_deg if cal.use_3d else reps.lockout_max_deg

    def _signal(self, xy: FloatArray, vis: FloatArray, world: FloatArray | None) -> float:
        assert self._cal is not None
        return self._signal_of(self._cal, xy, vis, world)

    @staticmethod
    def _signal_of(cal: _Calibration, xy: FloatArray, vis: FloatArray, world: FloatArray | None) -> float:
        """Hip flexion of one frame (deg): the near side's signed image angle, or the 3-D world angle."""
        ids = [sided(cal.side, p) for p in ("shoulder", "hip", "knee")]
        if cal.use_3d:
            if world is None:
                return math.nan
            s, h, k = world[ids[0]], world[ids[1]], world[ids[2]]
            a, b = s - h, h - k
            den = float(np.linalg.norm(a) * np.linalg.norm(b))
            if not np.isfinite(den) or den == 0:
                return math.nan
            return math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / den))))
        if (vis[ids] < RELIABLE_VISIBILITY).any():
            return math.nan
        sgn = 1.0 if cal.facing == "right" else -1.0
        p = xy[ids] * np.array([sgn, -1.0])
        ang = float(signed_flexion_deg(p[1] - p[2], p[0] - p[1]))
        lo, hi = FLEXION_RANGE_DEG["hip_flexion_deg"]
        return ang if lo <= ang <= hi else math.nan

    # ------------------------------------------------------------------ detection
    def _levels(self) -> tuple[float, float, float]:
        """(top, high, low): the hysteresis levels from the calibrated top and the depth of the last reps.

        Cached: they change only when a rep closes or the top moves, not per frame.
        """
        assert self._cal is not None
        key = (self._cal.top, len(self._depths), self._depths[-1] if self._depths else None)
        if self._levels_cache is None or self._levels_cache[0] != key:
            cfg = self.config
            depth = float(np.median(np.asarray(self._depths))) if self._depths else cfg.prior_depth_deg
            depth = max(depth, self.analysis_config.reps.min_depth_deg)
            top = self._cal.top
            self._levels_cache = (key, (top, top + cfg.high_frac * depth, top + cfg.low_frac * depth))
        return self._levels_cache[1]

    def _detect(self, t: float, i: int, x: float, events: list[LiveEvent]) -> None:
        """One step of the causal hysteresis; closes a rep when the lifter has settled at the top."""
        top, high, low = self._levels()
        finite = math.isfinite(x)
        if finite and self._last_sig is not None:
            dt = t - self._last_sig[0]
            if dt > 0:
                v = (x - self._last_sig[1]) / dt
                self._speed = 0.7 * self._speed + 0.3 * v
        if finite:
            self._last_sig = (t, x)
        p = self._pending
        if p is not None and p.up_at is not None:
            settled = t - p.up_t >= self.config.settle_s
            if settled or (finite and x > high):
                self._close(t, i + (0 if not settled else 1), events)
                p = None
        if finite:
            if not self._down:
                if x <= top + self.config.top_tol_deg or self._last_top_frame is None:
                    self._last_top_frame = i
                if x > high:
                    self._down = True
                    start = self._last_top_frame if self._last_top_frame is not None else i
                    self._pending = _Pending(start=max(start, self._prev_rep_end), peak=i, peak_value=x)
            else:
                q = self._pending
                if q is not None and x > q.peak_value:
                    q.peak, q.peak_value = i, x
                if x < low:
                    self._down = False
                    self._last_top_frame = i
                    if q is not None:
                        q.up_at, q.up_t = i, t
        self._phase_step(t, x, top, events)

    def _phase_step(self, t: float, x: float, top: float, events: list[LiveEvent]) -> None:
        if not math.isfinite(x):
            return
        if self._down or (self._pending is not None and self._pending.up_at is None):
            v = self._speed
            phase: Phase = "descent" if v > MOVING_DEG_S else "ascent" if v < -MOVING_DEG_S else "bottom"
        elif x > top + self.config.top_tol_deg:
            phase = "descent" if self._speed > 0 else "ascent"
        else:
            phase = "lockout" if self._set_count or self._pending is not None else "setup"
        cand, n = self._phase_candidate
        self._phase_candidate = (phase, n + 1) if phase == cand else (phase, 1)
        if self._phase_candidate[1] >= PHASE_HOLD_FRAMES and phase != self._phase:
            self._phase = phase
            events.append(PhaseEvent(t_s=t, phase=phase))

    # ------------------------------------------------------------------ closing a rep
    def _close(self, t: float, stop: int, events: list[LiveEvent]) -> None:
        """Cut the finished rep's window from the ring and judge it exactly as the file path would.

        The window is ``pre_s`` before the rep's start to now (never before the previous rep's end), never the ring:
        this push is on the frame path, so its work must be bounded by the rep, not by how long the session ran.
        """
        p = self._pending
        self._pending = None
        if p is None or self._cal is None:
            return
        cfg = self.config
        start_t = float(self.ring.t_s[max(p.start, self.ring.oldest) % self.ring.capacity])
        w0 = max(self.ring.oldest, self._prev_rep_end, self._frame_at_or_after(start_t - cfg.pre_s - 1e-6))
        if p.up_at is not None:
            self._prev_rep_end = p.up_at
        if p.peak_value - self._cal.top < self.analysis_config.reps.min_depth_deg:
            return
        track = self.ring.track(w0, stop, self.fps, self.image_wh)
        if track.n_frames < 5:
            return
        kin = compute_kinematics(clean_track(track, **self.analysis_config.filtering.model_dump()))
        view = classify_view(kin.track)
        drill = self._drill()
        start_position: Literal["standing", "floor"] = "floor" if drill.start_position == _FLOOR else "standing"
        segs = segment_reps(kin, start_position=start_position, config=self.analysis_config.reps)
        hi = (p.up_at if p.up_at is not None else stop - 1) - w0
        seg = _matching(segs, p.peak - w0, hi)
        if self.drill_id == "auto" and seg is not None:
            rec = recognise(kin, [seg], view).result
            self.drill_id = (
                SQUAT_REMEDY_DRILL if rec == NOT_A_HINGE else DEFAULT_DRILL if rec == COULD_NOT_TELL else rec
            )
            drill = self._drill()
            if drill.start_position == _FLOOR and start_position != "floor":
                seg = _matching(
                    segment_reps(kin, start_position="floor", config=self.analysis_config.reps), p.peak - w0, hi
                )
        if seg is None:
            return
        self._depths.append(p.peak_value - self._cal.top)
        self._retop(seg)
        frames = judge_inputs.clip_frames(kin)  # once for this rep's judging: the baseline and the checks share it
        baseline = judge_inputs.compute_baseline(kin, self.reference, frames=frames)
        judged = judge.judge_rep(drill, kin, seg, view=view, baseline=baseline, frames=frames)
        self._set_reps.append(judged)
        self._set_count += 1
        self._last_rep_t = t
        rep = rep_model(self._set_count, seg, judged, kin.t_s, frame_offset=w0)
        cue = _one_cue(drill, judged)
        events.append(RepCountEvent(t_s=t, set_index=self.set_index, count=self._set_count))
        events.append(
            RepJudgedEvent(
                t_s=t,
                set_index=self.set_index,
                drill=drill.id,
                camera_view=view.view,
                rep=rep,
                cue_id=None if cue is None else cue[0],
                cue=None if cue is None else cue[1],
                verdict=coaching.rep_verdict(rep),
                good_rep=coaching.is_good_rep(rep),
            )
        )

    def _retop(self, seg: RepSegment) -> None:
        """After a locked-out rep, move the top halfway to where the lifter stood at its lockout: people drift
        between reps (a step, a re-grip), and a stale top would shift both hysteresis levels.
        """
        assert self._cal is not None
        top = seg.top_hip_flexion_deg
        if seg.lockout is None or not math.isfinite(top) or top > self._lockout_max(self._cal):
            return
        c = self._cal
        self._cal = _Calibration(c.side, c.facing, c.use_3d, 0.5 * (c.top + top))

    # ------------------------------------------------------------------ sets
    def _drill(self) -> Drill:
        return tuned_drill(DRILLS["rdl" if self.drill_id == "auto" else self.drill_id], self.analysis_config)

    def _summary_event(self, t: float) -> SetSummaryEvent:
        return SetSummaryEvent(t_s=t, set_index=self.set_index, drill=self._drill().id, summary=self.summary())

    def _new_set(self) -> None:
        self.set_index += 1
        self._set_reps.clear()
        self._set_count = 0
        self._last_rep_t = None

    def _maybe_end_set(self, t: float, events: list[LiveEvent]) -> None:
        """A rest of ``set_idle_s`` at the top after some reps ends the set."""
        if (
            self._set_count
            and self._pending is None
            and not self._down
            and self._last_rep_t is not None
            and t - self._last_rep_t >= self.config.set_idle_s
        ):
            events.append(self._summary_event(t))
            self._new_set()


def _matching(segs: Sequence[RepSegment], lo: int, hi: int) -> RepSegment | None:
    """The segmented rep that overlaps the live detector's excursion ``[lo, hi]`` most (None: no overlap).

    Overlap, not "contains the deepest frame": a floor pull's rep starts at the lift-off, after the deepest frame
    of the set-up at the bar.
    """
    best: tuple[int, RepSegment] | None = None
    for s in segs:
        ov = min(s.end, hi) - max(s.start, lo)
        if ov >= 0 and (best is None or ov > best[0]):
            best = (ov, s)
    return None if best is None else best[1]


def _one_cue(drill: Drill, judged: judge.JudgedRep) -> tuple[str, str] | None:
    """At most one cue per rep: the worst fault (major before minor, then the safety order of the fault codes)."""
    if not judged.faults:
        return None
    order = {c: k for k, c in enumerate(FAULT_CODES)}
    f = min(judged.faults, key=lambda f: (f.severity != "major", order.get(f.code, len(order))))
    return f.code, f.cue
