"""Evaluation on a labelled manifest: rep counting, view, drill recognition and fault detection figures.

The manifest is a CSV with columns ``path,drill,view,reps,faults,notes`` (``faults`` semicolon-separated fault
codes, empty = a clean clip; ``path`` relative to the data root). Pose tracks are cached by file identity so
re-running the evaluation after changing a threshold costs seconds, not minutes.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hingecoach.analysis import AnalysisResult, analyze_track
from hingecoach.track import PoseTrack

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ManifestRow:
    path: str
    drill: str
    view: str
    reps: int | None
    faults: frozenset[str]
    notes: str = ""


@dataclass(frozen=True)
class ClipOutcome:
    row: ManifestRow
    reps_found: int
    view_found: str
    drill_auto: str
    faults_found: frozenset[str]
    reps_with_faults: int
    error: str | None = None


@dataclass
class EvalReport:
    outcomes: list[ClipOutcome] = field(default_factory=list)

    @property
    def ok(self) -> list[ClipOutcome]:
        return [o for o in self.outcomes if o.error is None]

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
        return sum(_view_match(o.row.view, o.view_found) for o in rows) / len(rows) if rows else float("nan")

    def drill_accuracy(self) -> float:
        rows = self.ok
        return sum(o.drill_auto == o.row.drill for o in rows) / len(rows) if rows else float("nan")

    def per_fault(self) -> dict[str, dict[str, float]]:
        """Clip-level precision/recall per fault code."""
        codes = sorted({c for o in self.ok for c in o.row.faults | o.faults_found})
        table: dict[str, dict[str, float]] = {}
        for c in codes:
            tp = sum(c in o.row.faults and c in o.faults_found for o in self.ok)
            fp = sum(c not in o.row.faults and c in o.faults_found for o in self.ok)
            fn = sum(c in o.row.faults and c not in o.faults_found for o in self.ok)
            table[c] = {
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": tp / (tp + fp) if tp + fp else float("nan"),
                "recall": tp / (tp + fn) if tp + fn else float("nan"),
            }
        return table

    def headline(self) -> dict[str, float]:
        """The brief's goals: expected faults found, false alarms on clean clips, clip-level accuracy."""
        expected = sum(len(o.row.faults) for o in self.ok)
        found = sum(len(o.row.faults & o.faults_found) for o in self.ok)
        clean = [o for o in self.ok if not o.row.faults]
        return {
            "expected_faults_found": found / expected if expected else float("nan"),
            "clean_clips_with_false_alarm": (
                sum(bool(o.faults_found) for o in clean) / len(clean) if clean else float("nan")
            ),
            "clip_accuracy": (
                sum(o.faults_found == o.row.faults for o in self.ok) / len(self.ok) if self.ok else float("nan")
            ),
        }


def _view_match(expected: str, found: str) -> bool:
    e = expected.lower()
    if e in ("side", "front", "oblique"):
        return found == e
    # compound labels such as "side-oblique" or "front-oblique" accept either part
    return found in e.split("-")


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse the manifest CSV (comment lines starting with '#' are ignored)."""
    with path.open(newline="", encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    rows = []
    for rec in csv.DictReader(lines):
        reps = (rec.get("reps") or "").strip()
        rows.append(
            ManifestRow(
                path=rec["path"].strip(),
                drill=(rec.get("drill") or "auto").strip(),
                view=(rec.get("view") or "").strip(),
                reps=int(reps) if reps else None,
                faults=frozenset(f.strip() for f in (rec.get("faults") or "").split(";") if f.strip()),
                notes=(rec.get("notes") or "").strip(),
            )
        )
    return rows


def track_cache_path(video: Path, cache_dir: Path) -> Path:
    """Where :func:`cached_track` keeps the track of ``video``: keyed by (absolute path, size, mtime)."""
    st = video.stat()
    key = hashlib.sha1(f"{video.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_dir / f"{video.stem}-{key}.npz"


def cached_track(video: Path, cache_dir: Path, *, workers: int | None = None) -> PoseTrack:
    """The pose track of ``video``, extracted once and cached by (absolute path, size, mtime)."""
    from hingecoach.pose.extract import extract_track

    cached = track_cache_path(video, cache_dir)
    if cached.exists():
        return PoseTrack.load(cached)
    tr = extract_track(video, workers=workers)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tr.save(cached)
    return tr


def evaluate(
    manifest: Path,
    data_root: Path,
    cache_dir: Path,
    *,
    progress: ProgressFn | None = None,
) -> EvalReport:
    """Analyse every manifest clip twice (with the labelled drill, and with ``auto``) and collect outcomes."""
    from hingecoach.errors import HingecoachError

    rows = read_manifest(manifest)
    report = EvalReport()
    for i, row in enumerate(rows):
        try:
            tr = cached_track(data_root / row.path, cache_dir)
            res: AnalysisResult = analyze_track(tr, drill=row.drill, source_path=row.path)
            auto = analyze_track(tr, drill="auto", source_path=row.path)
            a = res.analysis
            found = Counter(f.code for r in a.reps for f in r.faults)
            report.outcomes.append(
                ClipOutcome(
                    row=row,
                    reps_found=a.summary.rep_count,
                    view_found=a.camera_view,
                    drill_auto=auto.analysis.drill,
                    faults_found=frozenset(found),
                    reps_with_faults=sum(bool(r.faults) for r in a.reps),
                )
            )
        except HingecoachError as exc:
            report.outcomes.append(
                ClipOutcome(row, 0, "unknown", "", frozenset(), 0, error=f"{exc.code}: {exc.message}")
            )
        if progress is not None:
            progress("eval", i + 1, len(rows))
    return report


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
    from hingecoach.mocap import load_qualisys_tsv, reference_angles, side_camera_track
    from hingecoach.synth import CameraSpec, HingeSpec, NoiseSpec, generate

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

        from hingecoach.pose.extract import extract_track
        from hingecoach.render_figure import write_figure_video

        for facing in ("right", "left"):
            s = generate(HingeSpec(reps=3, arms="bar"), CameraSpec(facing=facing), NoiseSpec())
            with tempfile.TemporaryDirectory() as tmp:
                video = write_figure_video(s.track, Path(tmp) / "figure.mp4")
                tracked = extract_track(video, with_masks=False)
            label = f"rendered figure → pose model, side, facing {facing}"
            out.append(_accuracy(label, tracked, dict(s.angles), len(s.reps)))
    return out
