"""What the report stage renders from: one small validated table, plus the per-frame timelines derived from it.

The report never recomputes analysis: it takes the ``analysis@1`` result and the per-frame arrays the analysis was
computed from (time, angle series, phases, back-line state) and only *shows* them. Keeping the inputs to plain
arrays means the overlay, the HTML report and the exports can be tested with synthetic data whose answers are known.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from hingecoach.backline_frames import LINE_BREAKS, LINE_HOLDS, LINE_NEAR, LINE_UNKNOWN, BackLine, back_line
from hingecoach.drills import HEAD_GAP_THRESHOLD, ROUNDED_BACK_THRESHOLD
from hingecoach.kinematics import Kinematics
from hingecoach.schema import Analysis, Rep
from hingecoach.skeleton import Side, sided
from hingecoach.track import PoseTrack

if TYPE_CHECKING:  # the judge's types, for the analysis result's fields (the module imports the judge lazily)
    from hingecoach.judge_inputs import ClipFrames
    from hingecoach.measures import Baseline

FloatArray = NDArray[np.float64]

PHASE_NAMES: Final[tuple[str, ...]] = ("setup", "descent", "bottom", "ascent", "lockout")
"""Phase codes as :func:`hingecoach.reps.phase_labels` numbers them (0..4); -1 = unknown."""

BACK_HOLDS: Final[int] = LINE_HOLDS
BACK_BREAKS: Final[int] = LINE_BREAKS
BACK_UNKNOWN: Final[int] = LINE_UNKNOWN
#: Frames of a rep whose back-line answer is borderline, where the reading passes the threshold: too close to call.
BACK_NEAR: Final[int] = LINE_NEAR

CUE_WINDOW_S: Final[float] = 1.0
"""A fault's cue is shown on the overlay from ``at_s - 1 s`` to ``at_s + 1 s``: long enough to read one sentence."""


#: Plot labels of the back-line quantities a report may draw.
BACK_LABELS: Final[dict[str, str]] = {
    "dowel_shoulder_drop": "Shoulders below the dowel (÷ trunk length)",
    "dowel_tail_gap": "Dowel gap at the tailbone (÷ trunk length)",
    "dowel_bow": "Back above the dowel (÷ trunk length)",
}


@dataclass(frozen=True)
class DrillText:
    """The human text of one drill: its name, how to do it, and the seed article's words it traces to."""

    name: str
    instructions: tuple[str, ...] = ()
    source_quote: str | None = None


class AnalysisResultLike(Protocol):
    """The part of ``hingecoach.analysis.AnalysisResult`` :meth:`ReportInputs.from_result` reads."""

    @property
    def analysis(self) -> Analysis: ...

    @property
    def kinematics(self) -> Kinematics: ...

    @property
    def phases(self) -> NDArray[np.int8]: ...

    @property
    def view(self) -> object: ...

    @property
    def frames(self) -> ClipFrames | None: ...

    @property
    def baseline(self) -> Baseline | None: ...


class KinematicsLike(Protocol):
    """The part of ``hingecoach.kinematics.Kinematics`` the report reads (kept structural to avoid a hard import)."""

    @property
    def t_s(self) -> FloatArray: ...

    @property
    def series(self) -> Mapping[str, FloatArray]: ...


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report stage renders, as plain arrays over the ``T`` frames of the source video.

    Attributes:
        analysis: the ``hingecoach/analysis@1`` result (reps, faults, summary, warnings).
        t_s: ``(T,)`` frame times in seconds (the pose track's ``t_s``).
        series: named ``(T,)`` series from :mod:`hingecoach.kinematics` (``hip_flexion_deg``, ``knee_flexion_deg``...).
        phases: ``(T,)`` int8 phase codes (see :data:`PHASE_NAMES`), -1 unknown; None when not computed.
        back_ok: ``(T,)`` bool, True where the back line (head–upper back–tailbone) holds; None when not judged.
        back_judged: ``(T,)`` bool, False where the back line could not be judged (overrides ``back_ok``).
        back_line: each back-line reading's per-frame state, drawn as the reps' answers say
            (:func:`hingecoach.backline_frames.back_line`); when set it wins over ``back_ok`` and ``back_judged``.
        back_deviation: ``(T,)`` the deviation series the back-line check thresholds (e.g. ``back_bulge``), or None.
        back_threshold: the threshold on ``back_deviation`` above which the line counts as broken.
        back_label: axis label for ``back_deviation`` in plots.
        side: body side facing the camera (its ear–shoulder–hip draws the dowel line); None = pick by visibility.
        drill: the drill's name and instructions; None = derived from ``analysis.drill``.
        track: the pose track (for the overlay skeleton, key frames and TRC export); None when unavailable.

    """

    analysis: Analysis
    t_s: FloatArray
    series: Mapping[str, FloatArray] = field(default_factory=dict)
    phases: NDArray[np.int8] | None = None
    back_ok: NDArray[np.bool_] | None = None
    back_judged: NDArray[np.bool_] | None = None
    back_line: BackLine | None = None
    back_deviation: FloatArray | None = None
    back_threshold: float | None = None
    #: The drill's back-line thresholds (bow, head gap), so the overlay's dowel lifts where the checks say it does.
    bow_max: float = ROUNDED_BACK_THRESHOLD
    head_max: float = HEAD_GAP_THRESHOLD
    #: The lower back's threshold where the arms cover the upper back (the rounded back's alternate reading).
    lower_max: float | None = None
    back_label: str = "Back-line deviation"
    side: Side | None = None
    drill: DrillText | None = None
    track: PoseTrack | None = None

    def __post_init__(self) -> None:
        t = self.t_s.shape
        if self.t_s.ndim != 1:
            raise ValueError(f"t_s must be (T,), got {self.t_s.shape}")
        for name, arr in self.series.items():
            if np.shape(arr) != t:
                raise ValueError(f"series {name!r} has shape {np.shape(arr)}, expected {t}")
        for name in ("phases", "back_ok", "back_judged", "back_deviation"):
            arr = getattr(self, name)
            if arr is not None and np.shape(arr) != t:
                raise ValueError(f"{name} has shape {np.shape(arr)}, expected {t}")
        if self.back_line is not None and self.back_line.bow.shape != t:
            raise ValueError(f"back_line has shape {self.back_line.bow.shape}, expected {t}")
        if self.track is not None and self.track.n_frames != t[0]:
            raise ValueError(f"track has {self.track.n_frames} frames, t_s has {t[0]}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_kinematics(
        cls,
        kin: KinematicsLike,
        analysis: Analysis,
        *,
        phases: NDArray[np.integer[Any]] | None = None,
        back_ok: NDArray[np.bool_] | None = None,
        back_judged: NDArray[np.bool_] | None = None,
        back_series: str = "dowel_shoulder_drop",
        back_threshold: float | None = None,
        track: PoseTrack | None = None,
        drill: DrillText | None = None,
    ) -> ReportInputs:
        """Build from the kinematics stage's output (``t_s``, ``series``; ``side`` and ``track`` when present).

        ``back_series`` names the deviation plotted for the back line (by default the rounded-back check's quantity:
        how far the back at the shoulder line falls below the dowel).
        """
        series = {k: np.asarray(v, dtype=np.float64) for k, v in kin.series.items()}
        side = getattr(kin, "side", None)
        track = track if track is not None else getattr(kin, "track", None)
        deviation = series.get(back_series)
        return cls(
            analysis=analysis,
            t_s=np.asarray(kin.t_s, dtype=np.float64),
            series=series,
            phases=None if phases is None else np.asarray(phases, dtype=np.int8),
            back_ok=back_ok,
            back_judged=back_judged,
            back_deviation=deviation if deviation is not None and np.isfinite(deviation).any() else None,
            back_threshold=back_threshold,
            back_label=BACK_LABELS.get(back_series, back_series),
            side=side if side in ("left", "right") else None,
            drill=drill,
            track=track,
        )

    @classmethod
    def from_result(cls, result: AnalysisResultLike) -> ReportInputs:
        """Build from :class:`hingecoach.analysis.AnalysisResult`: kinematics, phases and the per-frame back line.

        The back line's state and threshold come from the judged drill (:func:`hingecoach.backline_frames.back_line`
        and the drill's ``rounded_back`` check), so the overlay shows exactly what the judge used.
        """
        from hingecoach.config import AnalysisConfig, tuned_drill
        from hingecoach.drills import DRILLS

        kin = result.kinematics
        drill = DRILLS.get(result.analysis.drill)
        prov = result.analysis.provenance
        if drill is not None and prov is not None and prov.config:
            drill = tuned_drill(drill, AnalysisConfig.model_validate(prov.config))  # the thresholds the judge used
        line = None
        threshold = None
        head = None
        lower = None
        series = "dowel_shoulder_drop"
        if drill is not None:
            line = back_line(
                kin, drill, result.view, frames=result.frames, baseline=result.baseline, reps=result.analysis.reps
            )
            check = drill.check("rounded_back")
            threshold = check.threshold if check is not None else None
            lower = check.alternate.threshold if check is not None and check.alternate is not None else None
            series = check.quantity if check is not None else series
            head_check = drill.check("head_out_of_line")
            head = head_check.threshold if head_check is not None else None
        built = cls.from_kinematics(
            kin,
            result.analysis,
            phases=result.phases,
            back_series=series,
            back_threshold=threshold,
        )
        return replace(
            built,
            back_line=line,
            bow_max=threshold if threshold is not None else ROUNDED_BACK_THRESHOLD,
            head_max=head if head is not None else HEAD_GAP_THRESHOLD,
            lower_max=lower,
        )

    # ------------------------------------------------------------------ derived per-frame timelines
    @property
    def n_frames(self) -> int:
        return int(self.t_s.shape[0])

    def back_state(self) -> NDArray[np.int8]:
        """``(T,)`` int8: 1 the back line holds, 0 it breaks, 2 too close to call, -1 not judged on that frame."""
        if self.back_line is not None:
            return self.back_line.state
        state = np.full(self.n_frames, BACK_UNKNOWN, dtype=np.int8)
        if self.back_ok is not None:
            state[:] = np.where(np.asarray(self.back_ok, dtype=bool), BACK_HOLDS, BACK_BREAKS)
        elif self.back_deviation is not None and self.back_threshold is not None:
            dev = np.asarray(self.back_deviation, dtype=np.float64)
            known = np.isfinite(dev)
            state[known] = np.where(dev[known] > self.back_threshold, BACK_BREAKS, BACK_HOLDS)
        if self.back_judged is not None:
            state[~np.asarray(self.back_judged, dtype=bool)] = BACK_UNKNOWN
        return state

    def rep_frames(self) -> NDArray[np.int64]:
        """``(n_reps, 3)`` start, bottom and end frame of each rep (clipped to the video)."""
        reps = self.analysis.reps
        if not reps:
            return np.zeros((0, 3), dtype=np.int64)
        arr = np.array([(r.start_frame, r.bottom_frame, r.end_frame) for r in reps], dtype=np.int64)
        return np.clip(arr, 0, max(self.n_frames - 1, 0))

    def rep_number(self) -> NDArray[np.int16]:
        """``(T,)`` the 1-based index of the rep each frame belongs to, 0 outside every rep."""
        out = np.zeros(self.n_frames, dtype=np.int16)
        frames = np.arange(self.n_frames)
        for rep, (s, _, e) in zip(self.analysis.reps, self.rep_frames(), strict=True):
            out[(frames >= s) & (frames <= e)] = rep.index
        return out

    def reps_done(self) -> NDArray[np.int16]:
        """``(T,)`` how many reps have been completed (their end frame reached) by each frame."""
        ends = np.sort(self.rep_frames()[:, 2])
        return np.searchsorted(ends, np.arange(self.n_frames), side="right").astype(np.int16)

    def fault_windows(self, window_s: float = CUE_WINDOW_S) -> NDArray[np.bool_]:
        """``(n_faults, T)`` True where fault ``k`` (in :meth:`faults` order) is within ``window_s`` of ``at_s``."""
        faults = self.faults()
        if not faults:
            return np.zeros((0, self.n_frames), dtype=bool)
        at = np.array([f.at_s for _, f in faults], dtype=np.float64)
        return np.abs(self.t_s[None, :] - at[:, None]) <= window_s

    def faults(self) -> list[tuple[Rep, Any]]:
        """All faults as ``(rep, fault)`` pairs in time order."""
        pairs = [(rep, f) for rep in self.analysis.reps for f in rep.faults]
        return sorted(pairs, key=lambda p: p[1].at_s)

    def active_cues(self, window_s: float = CUE_WINDOW_S, max_cues: int = 2) -> list[tuple[str, ...]]:
        """Per frame, the distinct cues to show (major faults first, then the nearest in time), at most ``max_cues``."""
        faults = self.faults()
        win = self.fault_windows(window_s)
        out: list[tuple[str, ...]] = [() for _ in range(self.n_frames)]
        if not faults:
            return out
        major = np.array([f.severity == "major" for _, f in faults])
        at = np.array([f.at_s for _, f in faults])
        for i in np.flatnonzero(win.any(axis=0)):
            ks = np.flatnonzero(win[:, i])
            ks = ks[np.lexsort((np.abs(at[ks] - self.t_s[i]), ~major[ks]))]
            cues: list[str] = []
            for k in ks:
                cue = faults[k][1].cue
                if cue not in cues:
                    cues.append(cue)
            out[i] = tuple(cues[:max_cues])
        return out

    def pick_side(self) -> Side:
        """The side whose ear, shoulder and hip are most visible (the side facing a side-on camera)."""
        if self.side is not None:
            return self.side
        if self.track is None:
            return "left"
        vis = self.track.visibility
        score = {
            s: float(np.nanmean(vis[:, [sided(s, p) for p in ("ear", "shoulder", "hip")]])) for s in ("left", "right")
        }
        return "left" if score["left"] >= score["right"] else "right"

    def drill_text(self) -> DrillText:
        """The drill's text: the given one, else looked up from :mod:`hingecoach.drills`, else its prettified id."""
        return self.drill if self.drill is not None else drill_text(self.analysis.drill)


def drill_text(drill_id: str) -> DrillText:
    """Name and instructions of a drill from ``hingecoach.drills.DRILLS`` (when that stage is present)."""
    fallback = DrillText(name=drill_id.replace("_", " ").capitalize())
    try:  # a sibling stage, read structurally: the report must work (with less text) without it
        drills = importlib.import_module("hingecoach.drills")
    except ImportError:
        return fallback
    table = getattr(drills, "DRILLS", None)
    spec = table.get(drill_id) if isinstance(table, Mapping) else None
    if spec is None:
        return fallback
    instructions = getattr(spec, "instructions", ())
    if isinstance(instructions, str):
        instructions = (instructions,)
    quote = getattr(spec, "source_quote", None) or getattr(spec, "seed_quote", None)
    return DrillText(
        name=str(getattr(spec, "name", fallback.name)),
        instructions=tuple(str(s) for s in instructions) if isinstance(instructions, Sequence) else (),
        source_quote=str(quote) if quote else None,
    )


def best_and_worst(analysis: Analysis) -> tuple[Rep | None, Rep | None]:
    """The highest- and lowest-scoring judged, full reps (ties: the earlier rep); ``(None, None)`` without any."""
    reps = [r for r in analysis.reps if r.judged and not r.partial] or [r for r in analysis.reps if r.judged]
    if not reps:
        return None, None
    best = max(reps, key=lambda r: (r.score, -r.index))
    worst = min(reps, key=lambda r: (r.score, r.index))
    return best, (worst if worst.index != best.index else None)


def key_frame_targets(inputs: ReportInputs) -> dict[str, int]:
    """Frames worth a still in the report: the bottom of the best and of the worst rep, labelled for captions."""
    best, worst = best_and_worst(inputs.analysis)
    last = max(inputs.n_frames - 1, 0)
    out: dict[str, int] = {}
    if best is not None:
        label = f"Best rep: bottom of rep {best.index} (score {best.score})" if worst else f"Bottom of rep {best.index}"
        out[label] = min(best.bottom_frame, last)
    if worst is not None:
        out[f"Worst rep: bottom of rep {worst.index} (score {worst.score})"] = min(worst.bottom_frame, last)
    return out
