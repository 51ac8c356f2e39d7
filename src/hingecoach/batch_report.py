"""The archive-level outputs of a batch: ``results.jsonl``, ``summary.csv`` and ``index.html``.

Rebuilt from the per-clip records at the end of every run (and of an interrupted one), so they always describe
every clip of the archive, the ones skipped as up to date included. Each is written atomically. The HTML index uses
the session report's Jinja environment (:func:`hingecoach.report.html._environment`), so both escape and fail on
undefined values the same way.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hingecoach import __version__
from hingecoach.batch_clip import ClipRecord
from hingecoach.fileio import write_text_atomic

RESULTS_JSONL = "results.jsonl"
SUMMARY_CSV = "summary.csv"
INDEX_HTML = "index.html"
CSV_COLUMNS = (
    "path",
    "athlete",
    "status",
    "drill",
    "camera_view",
    "reps",
    "score",
    "faults",
    "too_close_to_call",
    "back_judged_reps",
    "error_code",
    "error_message",
    "result_file",
    "content_sha256",
)


def _faults_text(counts: dict[str, int]) -> str:
    return ";".join(f"{code}:{n}" for code, n in sorted(counts.items()))


def jsonl_text(records: list[ClipRecord]) -> str:
    return "".join(json.dumps(r.to_dict(), sort_keys=True) + "\n" for r in records)


def csv_text(records: list[ClipRecord]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in records:
        w.writerow(
            [
                r.path,
                r.athlete or "",
                r.status,
                r.drill or "",
                r.camera_view or "",
                "" if r.rep_count is None else r.rep_count,
                "" if r.score is None else r.score,
                _faults_text(r.fault_counts),
                _faults_text(r.borderline_counts),
                "" if r.back_judged_reps is None else r.back_judged_reps,
                r.error_code or "",
                r.error_message or "",
                r.result_file or "",
                r.content_sha256 or "",
            ]
        )
    return buf.getvalue()


def totals(records: list[ClipRecord]) -> dict[str, Any]:
    """Archive-wide figures: clips by status, reps, faults by code (most frequent first)."""
    ok = [r for r in records if not r.failed and r.status != "duplicate"]
    faults: Counter[str] = Counter()
    for r in ok:
        faults.update(r.fault_counts)
    by_status = Counter(r.status for r in records)
    return {
        "clips": len(records),
        "analysed": by_status["analysed"],
        "up_to_date": by_status["up_to_date"],
        "duplicate": by_status["duplicate"],
        "failed": sum(r.failed for r in records),
        "reps": sum(r.rep_count or 0 for r in ok),
        "faults": faults.most_common(),
        "clips_with_faults": sum(bool(r.fault_counts) for r in ok),
    }


def _verdict(r: ClipRecord) -> str:
    """The chip of a clip without faults: "clean" only when reps were judged with the back line seen on some."""
    if r.fault_counts:
        return ""
    if not r.rep_count:
        return "no rep found"
    if r.back_judged_reps == 0:
        return "no fault found · back line not judged"
    return "no fault found · some too close to call" if r.borderline_counts else "clean"


def index_html(records: list[ClipRecord], *, backend: str, wall_s: float) -> str:
    from hingecoach.report.html import _environment, pretty_code, score_class

    rows = [
        {
            "name": Path(r.path).name,
            "path": r.path,
            "athlete": r.athlete or "",
            "status": r.status,
            "drill": r.drill or "",
            "view": r.camera_view or "",
            "reps": "" if r.rep_count is None else r.rep_count,
            "score": r.score,
            "score_class": score_class(r.score),
            "faults": [{"code": c, "name": pretty_code(c), "count": n} for c, n in sorted(r.fault_counts.items())],
            "close": [{"code": c, "name": pretty_code(c), "count": n} for c, n in sorted(r.borderline_counts.items())],
            "verdict": _verdict(r),
            "href": r.result_file,
            "note": r.error_message if r.status == "duplicate" else "",
        }
        for r in records
        if not r.failed
    ]
    failed = [
        {
            "name": Path(r.path).name,
            "path": r.path,
            "code": r.error_code or "",
            "message": r.error_message or "",
            "attempts": r.attempts,
        }
        for r in records
        if r.failed
    ]
    t = totals(records)
    ctx = {
        "version": __version__,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "backend": backend,
        "wall": f"{wall_s:.1f}",
        "totals": t,
        "fault_totals": [{"code": c, "name": pretty_code(c), "count": n} for c, n in t["faults"]],
        "rows": rows,
        "failed": failed,
    }
    return str(_environment().get_template("batch_index.html.j2").render(**ctx))


def write_index_files(out_dir: Path, records: list[ClipRecord], *, backend: str, wall_s: float) -> dict[str, Path]:
    """Write the three archive files atomically; returns their paths by name."""
    return {
        "jsonl": write_text_atomic(out_dir / RESULTS_JSONL, jsonl_text(records)),
        "csv": write_text_atomic(out_dir / SUMMARY_CSV, csv_text(records)),
        "html": write_text_atomic(out_dir / INDEX_HTML, index_html(records, backend=backend, wall_s=wall_s)),
    }
