"""Evaluation on a labelled manifest: analyse each clip once and keep every check's answer on every rep.

The manifest (``eval/manifest.csv``, its columns in ``eval/README.md``) says, per clip, what a coach sees: drill,
camera view, reps, faults, who is lifting (``lifter``), whether a label was revised after the tool flagged the clip
(``label_status``), whether the footage is rendered (``synthetic``), the fault every rep of a take repeats
(``rep_faults``) and whether it is a side view of the whole body (``whole_body``).

Why answers are stored rather than re-computed: the honest figures (:mod:`hingecoach.devtools.lolo`) refit the
data-chosen thresholds on the other lifters for every held-out lifter; with the measured values kept per rep, that is
arithmetic on numbers, not one more pass of the pipeline per fold. Pose tracks are cached by file identity and the
back-profile version, so re-running after a change to the checks costs seconds, not minutes.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach import backline
from hingecoach.analysis import AnalysisResult, analyze_track
from hingecoach.drills import DRILLS, Check, Drill
from hingecoach.errors import HingecoachError, VideoError
from hingecoach.fileio import atomic_path
from hingecoach.provenance import content_sha256
from hingecoach.schema import Analysis, Rep
from hingecoach.track import PoseTrack

ProgressFn = Callable[[str, int, int], None]

#: Checks whose thresholds were chosen by looking at the labelled dev clips (docs/checks.md, eval/README.md), used
#: only while no check of ``drills`` sets ``Check.fitted`` (once the table marks any, the table alone decides).
#: Each is refit leave-one-lifter-out; the others follow from the article, anatomy or landmark noise and are scored
#: as they are.
#:
#: | code | why it counts as fitted |
#: |---|---|
#: | rounded_back | 0.035 chosen between the dev clips' neutral and rounded bulge values |
#: | head_out_of_line | 0.20 chosen between the dev clips' forward gaze and craned heads |
#: | squat_pattern | 0.8 / 1.0 chosen between dev hinges and squats |
#: | locked_knees | 10 / 45 deg checked against dev clips and the st17086ts takes |
#: | overextension | 25 deg loosened to what clean dev lockouts read |
#: | incomplete_lockout | 15 deg from the dev clips' standing readings |
#: | bar_far_from_body | 0.8 loosened to what clean dev lifts read |
#: | hips_rise_first | 10 deg set after good016 and good002 |
ASSUMED_FITTED: Final[frozenset[str]] = frozenset(
    {
        "rounded_back",
        "head_out_of_line",
        "squat_pattern",
        "locked_knees",
        "overextension",
        "incomplete_lockout",
        "bar_far_from_body",
        "hips_rise_first",
    }
)

#: Manifest ``faults`` value for "the frames let me defend neither a fault nor a clean clip".
UNKNOWN_FAULTS: Final[str] = "?"
#: Log line of a track whose stale back profile was dropped (:func:`cached_track` with ``stale_ok``).
STALE_MARK: Final[str] = "eval: stale track"
REVISED: Final[str] = "revised-after-tool"


def _table_marks_fitted() -> bool:
    return any(getattr(c, "fitted", False) for d in DRILLS.values() for c in d.checks)


def is_fitted(check: Check) -> bool:
    """Whether ``check``'s threshold was chosen on the labelled clips (so leave-one-lifter-out must refit it)."""
    if _table_marks_fitted():
        return bool(getattr(check, "fitted", False))
    return check.code in ASSUMED_FITTED


# ---------------------------------------------------------------------------------------------- the manifest
@dataclass(frozen=True)
class ManifestRow:
    path: str
    drill: str
    view: str
    reps: int | None
    faults: frozenset[str]
    notes: str = ""
    lifter: str = ""
    label_status: str = "original"
    synthetic: bool = False
    rep_faults: frozenset[str] = frozenset()
    whole_body: bool = False
    faults_known: bool = True

    @property
    def lifter_id(self) -> str:
        """The lifter, or the clip itself when no lifter is given (a clip never shares a fold by accident)."""
        return self.lifter or self.path

    @property
    def revised(self) -> bool:
        return self.label_status == REVISED


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(f.strip() for f in (text or "").split(";") if f.strip())


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "yes", "1")


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse the manifest CSV (comment lines starting with '#' are ignored; missing columns take defaults)."""
    with path.open(newline="", encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    rows = []
    for rec in csv.DictReader(lines):
        reps = (rec.get("reps") or "").strip()
        faults_text = (rec.get("faults") or "").strip()
        known = faults_text != UNKNOWN_FAULTS
        rows.append(
            ManifestRow(
                path=rec["path"].strip(),
                drill=(rec.get("drill") or "auto").strip(),
                view=(rec.get("view") or "").strip(),
                reps=int(reps) if reps else None,
                faults=_codes(faults_text) if known else frozenset(),
                notes=(rec.get("notes") or "").strip(),
                lifter=(rec.get("lifter") or "").strip(),
                label_status=(rec.get("label_status") or "original").strip(),
                synthetic=_flag(rec.get("synthetic")),
                rep_faults=_codes(rec.get("rep_faults")),
                whole_body=_flag(rec.get("whole_body")),
                faults_known=known,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------- tracks
def track_version() -> int:
    """Version of the stored back profile: a track cached under another version is re-extracted."""
    return int(getattr(backline, "PROFILE_VERSION", 1))


#: Content hashes already computed in this process, by (resolved path, size, mtime): a clip is hashed once.
_CONTENT_KEYS: dict[tuple[str, int, int], str] = {}


def _file_key(video: Path, version: int) -> str:
    """Cache key of a clip's track: its *content* (sha256) and the back-profile version.

    Why content and not path + mtime: a data folder copied or restored anew (new mtimes, another mount point)
    holds the same clips, and re-extracting 60 tracks costs the model ~20 CPU-minutes for nothing.
    """
    st = video.stat()
    ident = (str(video.resolve()), st.st_size, st.st_mtime_ns)
    sha = _CONTENT_KEYS.get(ident)
    if sha is None:
        sha = _CONTENT_KEYS[ident] = content_sha256(video)
    return hashlib.sha1(f"{sha}|profile-v{version}".encode()).hexdigest()[:16]


class NotCachedError(HingecoachError):
    """``cached_only`` was asked and the clip has no cached track (nothing was extracted)."""

    code = "not_cached"


def track_cache_path(video: Path, cache_dir: Path, *, symmetric: bool = False) -> Path:
    """Where :func:`cached_track` keeps the track of ``video`` (mirror-averaged tracks under their own name)."""
    return cache_dir / f"{video.stem}-{_file_key(video, track_version())}{'-sym' if symmetric else ''}.npz"


def cached_track(
    video: Path,
    cache_dir: Path,
    *,
    workers: int | None = None,
    cached_only: bool = False,
    stale_ok: bool = False,
    symmetric: bool = False,
) -> PoseTrack:
    """The pose track of ``video``, extracted once and cached by (absolute path, size, mtime, profile version).

    ``cached_only``: raise :class:`NotCachedError` instead of extracting (a quick look while a cache fills).
    ``stale_ok``: when only a track of an older profile version is cached, use its landmarks *without* its back
    profile (the back-line checks then cannot be judged and say so) rather than re-extracting; the track's log
    says so, and ``ClipOutcome.stale_track`` marks the clip in the figures.
    ``symmetric``: the mirror-averaged track (:mod:`hingecoach.pose.symmetric`), cached apart from the plain one.
    """
    from hingecoach.pose.extract import extract_track

    cached = track_cache_path(video, cache_dir, symmetric=symmetric)
    if cached.exists():
        return PoseTrack.load(cached)
    if stale_ok and not symmetric:
        old = cache_dir / f"{video.stem}-{_file_key(video, 1)}.npz"
        if old.exists():
            tr = PoseTrack.load(old)
            log = (*tr.log, f"{STALE_MARK}: back profile of version 1 dropped (current {track_version()})")
            return replace(tr, back_profile=None, log=log)
    if cached_only:
        raise NotCachedError(f"no cached track for {video.name}")
    tr = extract_track(video, workers=workers, symmetric=symmetric)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tr.save(cached)  # atomic: a killed run leaves no half-written cache entry
    return tr


def mirrored_copy(video: Path, cache_dir: Path) -> Path:
    """A horizontally flipped copy of ``video`` (ffmpeg ``hflip``), made once and kept in ``cache_dir/mirror``.

    Why: a lifter filmed from their other side is the same lift; faults must not depend on which way they face.
    The copy is keyed by the source's identity, so it is not re-encoded (and its track not re-extracted) next time.
    """
    out = cache_dir / "mirror" / f"{video.stem}-{_file_key(video, 1)}-hflip.mp4"
    if out.exists():
        return out
    with atomic_path(out) as tmp:
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(video), "-vf", "hflip,pad=ceil(iw/2)*2:ceil(ih/2)*2", "-an",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", str(tmp)]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise VideoError(f"could not mirror {video.name}: {done.stderr.strip()[-300:]}")
    return out


# ---------------------------------------------------------------------------------------------- stored answers
@dataclass(frozen=True)
class CheckSpec:
    """What the evaluation needs of a :class:`~hingecoach.drills.Check`: enough to re-decide it at a new threshold.

    ``key`` names the variant: one code can carry different thresholds (or quantities) in different drills
    (``squat_pattern`` is 0.8 on hinges and 1.0 on floor pulls), and each variant is fitted on its own clips.
    """

    code: str
    quantity: str
    threshold: float
    direction: str
    band: float
    fitted: bool
    views: frozenset[str]

    @property
    def key(self) -> str:
        return f"{self.code}:{self.quantity}:{self.direction}:{self.threshold:g}"

    @classmethod
    def of(cls, check: Check) -> CheckSpec:
        return cls(
            code=check.code,
            quantity=check.quantity,
            threshold=float(check.threshold),
            direction=check.direction,
            band=float(getattr(check, "band", 0.0) or 0.0),
            fitted=is_fitted(check),
            views=frozenset(check.views),
        )


@dataclass(frozen=True)
class CheckAnswer:
    """One check's answer on one rep: fault, clean, borderline or not_judged, with the value and the reason."""

    code: str
    state: str
    value: float | None = None
    reason: str | None = None
    #: The borderline half-width the judge used for this answer (its own uncertainty included); None = the check's.
    band: float | None = None


@dataclass(frozen=True)
class RepRecord:
    index: int
    judged: bool
    answers: tuple[CheckAnswer, ...]

    def answer(self, code: str) -> CheckAnswer | None:
        return next((a for a in self.answers if a.code == code), None)


@dataclass(frozen=True)
class ClipOutcome:
    row: ManifestRow
    reps_found: int
    view_found: str
    drill_auto: str
    faults_found: frozenset[str]
    reps_with_faults: int
    error: str | None = None
    drill_used: str = ""
    checks: tuple[CheckSpec, ...] = ()
    reps: tuple[RepRecord, ...] = ()
    #: Back-line answers on deepest-lean frames outside every segmented rep (``Analysis.clip_checks``).
    outside: tuple[CheckAnswer, ...] = ()
    stale_track: bool = False
    #: What ``--drill auto`` answered before falling back to a drill to judge: a drill, ``not_a_hinge`` or
    #: ``could_not_tell`` (empty when the clip was not recognised).
    recognised: str = ""

    def spec(self, code: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.code == code), None)

    def answers(self, code: str) -> list[CheckAnswer]:
        """Every answer of check ``code`` on this clip: one per rep (when given), then those outside the reps."""
        per_rep = [a for r in self.reps if (a := r.answer(code)) is not None]
        return per_rep + [a for a in self.outside if a.code == code]


def band_state(spec: CheckSpec, value: float, threshold: float, band: float | None = None) -> str:
    """Fault, borderline or clean for ``value`` against ``threshold`` with the answer's borderline half-width
    (``band``; the spec's when the answer gave none).
    """
    half = spec.band if band is None else band
    if half > 0 and abs(value - threshold) <= half:
        return "borderline"
    past = value > threshold if spec.direction == "above" else value < threshold
    return "fault" if past else "clean"


def rep_answers(rep: Rep, drill: Drill, view: str) -> tuple[CheckAnswer, ...]:
    """Every check's answer on ``rep``: from ``Rep.checks`` when the analysis gives them, else from its metrics.

    The fallback (analyses made before ``Rep.checks`` existed) reads the value from ``rep.metrics[quantity]``, the
    state from the rep's faults, and can only say *that* a check was not judged, not always why.
    """
    if rep.checks:
        return tuple(CheckAnswer(c.code, c.state, c.value, c.reason, c.band) for c in rep.checks)
    faults = {f.code for f in rep.faults}
    out = []
    for check in drill.checks:
        value = rep.metrics.get(check.quantity)
        if view not in check.views:
            out.append(CheckAnswer(check.code, "not_judged", None, f"the {view} view cannot show it"))
        elif not rep.judged:
            out.append(CheckAnswer(check.code, "not_judged", None, "landmarks too unreliable on this rep"))
        elif value is None:
            out.append(CheckAnswer(check.code, "not_judged", None, "not measurable on this rep (reason not recorded)"))
        elif check.code in faults:
            out.append(CheckAnswer(check.code, "fault", float(value)))
        else:
            state = band_state(CheckSpec.of(check), float(value), float(check.threshold))
            if state == "fault":  # past the threshold yet not raised: the judge refused (e.g. top of the rep unseen)
                out.append(CheckAnswer(check.code, "not_judged", float(value), "refused by the judge (top not seen)"))
            else:
                out.append(CheckAnswer(check.code, state, float(value)))
    return tuple(out)


def outcome_of(row: ManifestRow, res: AnalysisResult, drill_auto: str, recognised: str = "") -> ClipOutcome:
    """The stored form of one analysed clip."""
    a: Analysis = res.analysis
    drill = DRILLS[a.drill]
    reps = tuple(RepRecord(r.index, r.judged, rep_answers(r, drill, a.camera_view)) for r in a.reps)
    outside = tuple(CheckAnswer(c.code, c.state, c.value, c.reason, c.band) for c in a.clip_checks)
    found = frozenset(
        {f.code for r in a.reps for f in r.faults}
        | {x.code for r in reps for x in r.answers if x.state == "fault"}
        | {x.code for x in outside if x.state == "fault"}
    )
    return ClipOutcome(
        row=row,
        reps_found=a.summary.rep_count,
        view_found=a.camera_view,
        drill_auto=drill_auto,
        faults_found=found,
        reps_with_faults=sum(bool(r.faults) for r in a.reps),
        drill_used=a.drill,
        checks=tuple(CheckSpec.of(c) for c in drill.checks),
        reps=reps,
        outside=outside,
        stale_track=any(line.startswith(STALE_MARK) for line in res.raw_track.log),
        recognised=recognised,
    )


def analyse_clip(row: ManifestRow, track: PoseTrack) -> ClipOutcome:
    """Analyse one clip with its labelled drill (``auto`` when unlabelled) and, for recognition, with ``auto``."""
    auto = analyze_track(track, drill="auto", source_path=row.path)
    res = auto if row.drill == "auto" else analyze_track(track, drill=row.drill, source_path=row.path)
    rec = auto.analysis.recognition
    return outcome_of(row, res, auto.analysis.drill, rec.result if rec is not None else "")


def evaluate(
    manifest: Path,
    data_root: Path,
    cache_dir: Path,
    *,
    only: Sequence[str] = (),
    mirror: bool = False,
    cached_only: bool = False,
    stale_ok: bool = False,
    symmetric: bool = False,
    progress: ProgressFn | None = None,
) -> EvalReport:
    """Analyse every manifest clip once (``only``: paths containing one of these strings).

    ``mirror``: analyse a horizontally flipped copy of each clip instead (see :func:`mirrored_copy`).
    ``cached_only``: skip (as errors) clips whose track is not cached yet, never extracting.
    ``stale_ok``, ``symmetric``: see :func:`cached_track`.
    """
    rows = [r for r in read_manifest(manifest) if not only or any(s in r.path for s in only)]
    report = EvalReport()
    for i, row in enumerate(rows):
        try:
            video = data_root / row.path
            if mirror and not cached_only:
                video = mirrored_copy(video, cache_dir)
            elif mirror:
                video = cache_dir / "mirror" / f"{video.stem}-{_file_key(video, 1)}-hflip.mp4"
                if not video.exists():
                    raise NotCachedError(f"no mirrored copy of {row.path}")
            track = cached_track(video, cache_dir, cached_only=cached_only, stale_ok=stale_ok, symmetric=symmetric)
            report.outcomes.append(analyse_clip(row, track))
        except HingecoachError as exc:
            report.outcomes.append(
                ClipOutcome(row, 0, "unknown", "", frozenset(), 0, error=f"{exc.code}: {exc.message}")
            )
        if progress is not None:
            progress("eval", i + 1, len(rows))
    return report


@dataclass
class EvalReport:
    """Outcomes of one pass over the manifest, with the in-sample figures the tool gives as it stands."""

    outcomes: list[ClipOutcome] = field(default_factory=list)

    @property
    def ok(self) -> list[ClipOutcome]:
        return [o for o in self.outcomes if o.error is None]

    @property
    def scored(self) -> list[ClipOutcome]:
        """Clips whose fault labels can be scored (the frames let the labeller defend them)."""
        return [o for o in self.ok if o.row.faults_known]

    def rep_count(self) -> dict[str, float]:
        rows = [o for o in self.ok if o.row.reps is not None]
        if not rows:
            return {"clips": 0.0}
        diffs = [abs(o.reps_found - (o.row.reps or 0)) for o in rows]
        return {
            "clips": float(len(rows)),
            "exact": sum(d == 0 for d in diffs) / len(rows),
            "off_by_one": sum(d <= 1 for d in diffs) / len(rows),
            "mae": sum(diffs) / len(rows),
        }

    def view_accuracy(self) -> float:
        rows = [o for o in self.ok if o.row.view]
        return sum(view_match(o.row.view, o.view_found) for o in rows) / len(rows) if rows else float("nan")

    def drill_accuracy(self) -> float:
        rows = [o for o in self.ok if o.row.drill != "auto"]
        return sum(o.drill_auto == o.row.drill for o in rows) / len(rows) if rows else float("nan")

    def per_fault(self) -> dict[str, dict[str, float]]:
        """Clip-level precision/recall per fault code (the tool's own answers: in-sample)."""
        return per_fault_table([(o.row.faults, o.faults_found) for o in self.scored])

    def headline(self) -> dict[str, float]:
        """Expected faults found, clean clips with any fault, clip-level accuracy (in-sample)."""
        return headline_figures([(o.row.faults, o.faults_found) for o in self.scored])


def per_fault_table(pairs: Sequence[tuple[frozenset[str], frozenset[str]]]) -> dict[str, dict[str, float]]:
    """tp/fp/fn, precision and recall per fault code over (expected, found) pairs of clips."""
    codes = sorted({c for exp, got in pairs for c in exp | got})
    table: dict[str, dict[str, float]] = {}
    for c in codes:
        tp = sum(c in exp and c in got for exp, got in pairs)
        fp = sum(c not in exp and c in got for exp, got in pairs)
        fn = sum(c in exp and c not in got for exp, got in pairs)
        table[c] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
        }
    return table


def headline_figures(pairs: Sequence[tuple[frozenset[str], frozenset[str]]]) -> dict[str, float]:
    """The issue's goals over (expected, found) pairs: expected faults found, clean clips with any fault."""
    expected = sum(len(exp) for exp, _ in pairs)
    found = sum(len(exp & got) for exp, got in pairs)
    clean = [got for exp, got in pairs if not exp]
    return {
        "expected_faults": float(expected),
        "expected_faults_found": found / expected if expected else float("nan"),
        "clean_clips": float(len(clean)),
        "clean_clips_with_false_alarm": sum(bool(g) for g in clean) / len(clean) if clean else float("nan"),
        "clip_accuracy": sum(exp == got for exp, got in pairs) / len(pairs) if pairs else float("nan"),
    }


def view_match(expected: str, found: str) -> bool:
    e = expected.lower()
    if e in ("side", "front", "oblique"):
        return found == e
    # compound labels such as "side-oblique" or "front-oblique" accept either part
    return found in e.split("-")


@dataclass(frozen=True)
class AngleAccuracy:
    """Angle error of the kinematics stage against a ground truth (degrees)."""

    source: str
    hip_mae_deg: float
    hip_rmse_deg: float
    knee_mae_deg: float
    knee_rmse_deg: float
    reps_found: int
    reps_true: int


def _errors(est: NDArray[np.float64], ref: NDArray[np.float64]) -> tuple[float, float]:
    ok = np.isfinite(est) & np.isfinite(ref)
    d = est[ok] - ref[ok]
    return float(np.mean(np.abs(d))), float(np.sqrt(np.mean(d**2)))


def _accuracy(source: str, track: PoseTrack, ref: dict[str, NDArray[np.float64]], reps_true: int) -> AngleAccuracy:
    """Run the production path (clean → kinematics → reps) and compare hip/knee flexion with the truth."""
    from hingecoach.filtering import clean_track
    from hingecoach.kinematics import compute_kinematics
    from hingecoach.reps import segment_reps

    kin = compute_kinematics(clean_track(track))
    hip = _errors(kin.series["hip_flexion_deg"], ref["hip_flexion_deg"])
    knee = _errors(kin.series["knee_flexion_deg"], ref["knee_flexion_deg"])
    return AngleAccuracy(source, *hip, *knee, len(segment_reps(kin)), reps_true)


def angle_accuracy(data_root: Path, *, with_model: bool = False) -> list[AngleAccuracy]:
    """Angle figures against a known truth.

    Motion-capture markers through a virtual side camera (when the mocap file is present); synthetic lifters with
    detector-like noise seen from the side (both facings) and 30° oblique; and, with ``with_model``, the synthetic
    lifter *rendered as video* and tracked by the real pose model — the whole chain a user's video goes through.
    """
    from hingecoach.devtools.mocap import load_qualisys_tsv, reference_angles, side_camera_track
    from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, generate

    out: list[AngleAccuracy] = []
    tsv = data_root / "leafarcoder-mocap" / "LabData" / "deadlift.tsv"
    if tsv.is_file():
        mocap = load_qualisys_tsv(tsv)
        out.append(_accuracy("mocap deadlift (Qualisys, 100 Hz)", side_camera_track(mocap), reference_angles(mocap), 3))
    noise = NoiseSpec(noise_px=2.0, occlusion_frac=0.02, swap_frac=0.02, seed=3)
    for label, cam in (
        ("synthetic RDL, side, facing left, 2 px noise", CameraSpec(facing="left")),
        ("synthetic RDL, side, facing right, 2 px noise", CameraSpec(facing="right")),
        ("synthetic RDL, 30° oblique, 2 px noise", CameraSpec(facing="left", yaw_deg=30.0)),
    ):
        s = generate(HingeSpec(reps=3, arms="bar"), cam, noise)
        out.append(_accuracy(label, s.track, dict(s.angles), len(s.reps)))
    if with_model:
        import tempfile

        from hingecoach.devtools.render_figure import write_figure_video
        from hingecoach.pose.extract import extract_track

        for facing in ("right", "left"):
            s = generate(HingeSpec(reps=3, arms="bar"), CameraSpec(facing=facing), NoiseSpec())
            with tempfile.TemporaryDirectory() as tmp:
                video = write_figure_video(s.track, Path(tmp) / "figure.mp4")
                tracked = extract_track(video, with_masks=False)
            label = f"rendered figure → pose model, side, facing {facing}"
            out.append(_accuracy(label, tracked, dict(s.angles), len(s.reps)))
    return out
