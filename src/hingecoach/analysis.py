"""The pipeline in one place: video → pose track → kinematics → reps → drill checks → findings.

Each stage lives in its own module and knows nothing of the stages after it; this module only wires them and
assembles the typed result. It prints nothing and writes no files: the CLI, the web app and the batch runner are
thin layers over :func:`analyze_video` / :func:`analyze_track`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach import coaching, judge, judge_inputs
from hingecoach.config import AnalysisConfig, tuned_drill
from hingecoach.drills import DRILLS
from hingecoach.errors import UnknownDrillError
from hingecoach.filtering import clean_track
from hingecoach.kinematics import Kinematics, compute_kinematics
from hingecoach.measures import BackReference, Baseline
from hingecoach.pose.quality import check_track
from hingecoach.provenance import config_hash, content_sha256, drills_table_version, package_version
from hingecoach.provenance import model_sha256 as model_sha256_of
from hingecoach.recognise import (
    COULD_NOT_TELL,
    DEFAULT_DRILL,
    NOT_A_HINGE,
    SQUAT_REMEDY_DRILL,
    Recognition,
    recognise,
)
from hingecoach.reps import RepSegment, phase_labels, segment_reps
from hingecoach.schema import DRILL_IDS, Analysis, Provenance, Rep, Source, Summary, Warning
from hingecoach.schema import Recognition as SchemaRecognition
from hingecoach.track import PoseTrack
from hingecoach.view import ViewEstimate, classify_view, frame_yaws, span_views

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called by long stages so a caller can draw a progress bar."""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything a presentation layer may want: the JSON contract plus the arrays it was computed from."""

    analysis: Analysis
    raw_track: PoseTrack
    kinematics: Kinematics
    reps: tuple[RepSegment, ...]
    phases: NDArray[np.int8]
    view: ViewEstimate
    #: What the checks read, built once per clip: the overlay draws the back line on the same frames.
    frames: judge_inputs.ClipFrames | None = None
    baseline: Baseline | None = None


#: The cue a squat gets instead of hinge faults: the squat_pattern check's explanation and cue.
SQUAT_CUE: Final[str] = (
    "This is a squat, not a hip hinge: the knees bend as much as the hips. To hinge, push your hips back, not down "
    "— a slight bend in the knees, a big bend at the hips (practise with the wall hip hinge)."
)


def recognition_warnings(rec: Recognition) -> list[tuple[str, str]]:
    """The warnings that say what ``--drill auto`` decided, how sure it was, and what it did about it: one warning
    each (a squat or a clip it could not tell is said as such, never as "recognised as could_not_tell").
    """
    out: list[tuple[str, str]] = []
    if rec.result not in (NOT_A_HINGE, COULD_NOT_TELL):
        out.append(
            ("drill_recognised", f"drill recognised as {rec.result} (confidence {rec.confidence:.2f}): {rec.reason}")
        )
    if rec.result == NOT_A_HINGE:
        ratio = rec.features.get("knee_hip_ratio", float("nan"))
        measured = f" (knee ÷ hip flexion at the bottom {ratio:.2f})" if np.isfinite(ratio) else ""
        out.append(
            (
                "not_a_hinge",
                f"this looks like a squat{measured}, confidence {rec.confidence:.2f}: the knees bend as much as the "
                "hips and the trunk stays upright, so it is not judged as a hip hinge (squat_pattern). Practise the "
                "wall hip hinge: push the hips back to the wall.",
            )
        )
    elif rec.result == COULD_NOT_TELL:
        guess = f"; it may be {rec.guess}" if rec.guess else ""
        out.append(
            (
                "drill_not_recognised",
                f"could not tell which drill this is ({rec.reason}{guess}): judged with the basic hinge checks "
                f"({DEFAULT_DRILL}); pass --drill to choose the drill.",
            )
        )
    return out


def check_drill_id(drill: str) -> str:
    """Normalise and validate a drill id (``auto`` allowed); raises :class:`UnknownDrillError`."""
    d = drill.strip().lower().replace("-", "_")
    if d != "auto" and d not in DRILL_IDS:
        raise UnknownDrillError(f"unknown drill {drill!r}; choose one of: auto, {', '.join(DRILL_IDS)}")
    return d


def _rep_start(drill_id: str) -> Literal["standing", "floor"]:
    """Where a rep of this drill begins: deadlifts start with the bar on the floor, everything else from the top."""
    return "floor" if DRILLS[drill_id].start_position == "floor" else "standing"


def rep_model(
    index: int, rep: RepSegment, judged: judge.JudgedRep, t_s: NDArray[np.float64], *, frame_offset: int = 0
) -> Rep:
    """The contract's :class:`~hingecoach.schema.Rep` for one segmented and judged rep.

    One function for the file path and the live session (:mod:`hingecoach.live`), so a rep reads the same whichever
    way it was made. ``t_s`` are the timestamps the rep's frame indices point into; ``frame_offset`` turns those
    indices into frame numbers of the whole stream (a live window starts mid-stream).
    """
    t = t_s
    return Rep(
        index=index,
        start_s=round(float(t[rep.start]), 3),
        bottom_s=round(float(t[rep.bottom]), 3),
        end_s=round(float(t[rep.end]), 3),
        start_frame=int(rep.start) + frame_offset,
        bottom_frame=int(rep.bottom) + frame_offset,
        end_frame=int(rep.end) + frame_offset,
        descent_s=round(float(t[rep.bottom] - t[rep.start]), 3),
        ascent_s=round(float(t[rep.end] - t[rep.bottom]), 3),
        partial=bool(rep.partial),
        judged=judged.judged,
        metrics=judged.metrics,
        faults=judged.faults,
        score=judged.score,
        checks=list(judged.checks),
    )


def view_change_warnings(clip: ViewEstimate, rep_views: list[ViewEstimate]) -> list[tuple[str, str]]:
    """One warning naming the reps seen from a view other than the clip's (their checks say what they could not
    judge; this says why, once).
    """
    turned = [(i + 1, v.view) for i, v in enumerate(rep_views) if v.view != clip.view]
    if not turned:
        return []
    names = ", ".join(f"{i} ({v})" for i, v in turned)
    return [
        (
            "view_changed",
            f"the body turned during the set: rep(s) {names} were seen from a different view than the rest "
            f"({clip.view}); checks that view cannot show were not judged on them. Keep the camera square to the "
            "lifter's side for the whole set.",
        )
    ]


def analyze_track(
    track: PoseTrack,
    *,
    drill: str | None = None,
    source_path: str = "",
    frame_count: int | None = None,
    source_fps: float | None = None,
    reference: BackReference | None = None,
    config: AnalysisConfig | None = None,
    source_sha256: str | None = None,
    model_sha256: str | None = None,
) -> AnalysisResult:
    """Judge the reps in an already-extracted pose track.

    ``drill`` overrides ``config.drill`` (default ``"auto"``). ``config`` None = the defaults; the result's
    ``provenance`` records it with its hash, the drill table's version, the track's processing log and, when the
    caller knows them, the source file's and the pose model's sha256.

    ``reference``: the athlete's own neutral back line (from a clean earlier set in the same camera set-up, see
    :func:`hingecoach.judge.reference_from_analysis`); the back-line checks then compare against it instead of the
    population thresholds. Raises the input errors of :mod:`hingecoach.errors` (no person, two people, out of frame,
    unknown drill) before any judging, so a caller never gets a half-made result.
    """
    cfg = config if config is not None else AnalysisConfig()
    drill_id = check_drill_id(drill if drill is not None else cfg.drill)
    cfg = cfg.model_copy(update={"drill": drill_id})  # the result records the configuration actually used
    warnings = [Warning(code=c, message=m) for c, m in (*track.warnings, *check_track(track))]

    cleaned = clean_track(track, **cfg.filtering.model_dump())
    yaws = frame_yaws(cleaned)  # per-frame body yaw: the clip's view and each rep's come from it
    view = classify_view(cleaned, yaws)
    kin = compute_kinematics(cleaned)

    start_position = "auto" if drill_id == "auto" else _rep_start(drill_id)
    reps = tuple(segment_reps(kin, start_position=start_position, config=cfg.reps))

    recognition: Recognition | None = None
    if drill_id == "auto":
        recognition = recognise(kin, list(reps), view)
        drill_id = recognition.drill_to_judge
        warnings.extend(Warning(code=c, message=m) for c, m in recognition_warnings(recognition))
        reps = tuple(segment_reps(kin, start_position=_rep_start(drill_id), config=cfg.reps))
    spec = tuned_drill(DRILLS[drill_id], cfg)
    warnings.extend(Warning(code=c, message=m) for c, m in coaching.view_warnings(spec, view))
    if not reps:
        warnings.append(
            Warning(
                code="no_reps",
                message="no complete hinge repetition found: a rep needs a full descent at the hips and a return",
            )
        )

    squat = recognition is not None and recognition.result == NOT_A_HINGE
    if squat:
        spec = replace(spec, checks=())  # a squat is not judged as a hinge: no hinge faults, only the explanation
    frames = judge_inputs.clip_frames(kin)  # the judge's series and usable frames, once for the whole clip
    baseline = judge_inputs.compute_baseline(kin, reference, frames=frames)
    rep_views = span_views(cleaned, [(r.start, r.end) for r in reps], view, yaws)
    judged = [
        judge.judge_rep(spec, kin, r, view=v, baseline=baseline, frames=frames)
        for r, v in zip(reps, rep_views, strict=True)
    ]
    warnings.extend(Warning(code=c, message=m) for c, m in view_change_warnings(view, rep_views))
    if squat:
        judged = [replace(j, judged=False, score=0) for j in judged]
    outside = judge.judge_outside_reps(spec, kin, reps, baseline=baseline, view=view, frames=frames)
    judged, clip_checks = judge.attach_outside(spec, judged, reps, outside, kin.t_s)
    warnings.extend(
        Warning(code=c, message=m) for c, m in coaching.not_judged_warnings(spec, judged, warnings, clip_checks)
    )
    rep_models = [rep_model(i + 1, r, j, kin.t_s) for i, (r, j) in enumerate(zip(reps, judged, strict=True))]
    summary: Summary = coaching.summarise(spec, judged, clip_checks)
    if squat:
        summary = Summary(
            rep_count=len(judged), fault_counts={}, score=None, cues=[SQUAT_CUE], next_drill=SQUAT_REMEDY_DRILL
        )
    n = frame_count if frame_count is not None else track.n_frames
    # The source's own rate: a thinned track (``max_fps``) is tracked at a lower one, but the file is what it is.
    fps = source_fps if source_fps is not None else track.fps
    analysis = Analysis(
        source=Source(
            path=source_path,
            fps=fps,
            frame_count=n,
            width=track.image_wh[0],
            height=track.image_wh[1],
            duration_s=round(n / fps, 3),
        ),
        drill=drill_id,
        camera_view=view.view,
        facing=kin.facing,
        pose_coverage=round(track.coverage(), 4),
        reps=rep_models,
        summary=summary,
        warnings=warnings,
        clip_checks=clip_checks,
        recognition=None
        if recognition is None
        else SchemaRecognition(
            result=recognition.result,
            confidence=recognition.confidence,
            reason=recognition.reason,
            guess=recognition.guess,
        ),
        provenance=Provenance(
            hingecoach_version=package_version(),
            model_sha256=model_sha256,
            config_hash=config_hash(cfg),
            config=cfg.model_dump(mode="json"),
            source_sha256=source_sha256,
            drill_table_version=drills_table_version(),
            track_log=list(kin.track.log),
        ),
    )
    return AnalysisResult(
        analysis=analysis,
        raw_track=track,
        kinematics=kin,
        reps=reps,
        phases=phase_labels(kin, reps, cfg.reps),
        view=view,
        frames=frames,
        baseline=baseline,
    )


def analyze_video(
    path: str | Path,
    *,
    drill: str | None = None,
    model_path: Path | None = None,
    workers: int | None = None,
    max_fps: float | None = None,
    progress: ProgressFn | None = None,
    config: AnalysisConfig | None = None,
    reference: BackReference | None = None,
) -> AnalysisResult:
    """Decode a video, track the person and judge their reps. Fails fast on a bad drill id or a bad file.

    ``reference``: the athlete's own neutral back line (see :func:`analyze_track`).

    ``max_fps`` tracks at most that many frames per second (``AnalysisConfig.max_analysis_fps``): every other frame
    of a 60 fps clip for 30, each with its true time; None (the default) tracks every frame.

    The result's provenance carries the video's content sha256 and the pose model's (see :func:`analyze_track`).
    """
    from hingecoach.pose.extract import extract_track  # the pose model is imported only when a video is analysed
    from hingecoach.video import probe

    cfg = config if config is not None else AnalysisConfig()
    check_drill_id(drill if drill is not None else cfg.drill)
    info = probe(path)

    def _frames(done: int, total: int) -> None:
        if progress is not None:
            progress("pose", done, total)

    max_fps = max_fps if max_fps is not None else cfg.max_analysis_fps
    track = extract_track(
        path, model_path=model_path, workers=workers, max_fps=max_fps, symmetric=cfg.symmetric_pose, progress=_frames
    )
    return analyze_track(
        track,
        drill=drill,
        source_path=str(path),
        frame_count=info.frame_count,
        source_fps=info.fps,
        config=cfg.model_copy(update={"max_analysis_fps": max_fps}),  # the cap actually used
        source_sha256=content_sha256(path),
        model_sha256=model_sha256_of(model_path),
        reference=reference,
    )
