"""``hingecoach eval``: the labelled-manifest figures, leave-one-lifter-out first, in-sample beside them.

A thin layer: :func:`hingecoach.devtools.evaluate.evaluate` analyses the clips,
:func:`hingecoach.devtools.lolo.all_figures` computes every figure; this module only prints them (or writes them as
JSON).
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hingecoach.cli import app, err, fail, out, progress_bar
from hingecoach.errors import HingecoachError
from hingecoach.fileio import write_text_atomic


def _pct(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.1%}"


def _num(x: Any) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.3g}"


def _fault_table(title: str, lolo: dict[str, Any], ins: dict[str, Any]) -> Table:
    t = Table(title=title, header_style="bold")
    for col in ("fault", "LOLO tp/fp/fn", "LOLO recall", "LOLO precision", "in-sample tp/fp/fn", "recall", "precision"):
        t.add_column(col)
    for code in sorted(set(lolo["per_fault"]) | set(ins["per_fault"])):
        cells = []
        for m in (lolo["per_fault"].get(code), ins["per_fault"].get(code)):
            if m is None:
                cells += ["0/0/0", "-", "-"]
            else:
                cells += [f"{m['tp']:.0f}/{m['fp']:.0f}/{m['fn']:.0f}", _pct(m["recall"]), _pct(m["precision"])]
        t.add_row(code, *cells)
    return t


def _headline(label: str, f: dict[str, Any]) -> str:
    lo, ins = f["lolo"]["headline"], f["in_sample"]["headline"]
    rr = f["per_rep_recall"]
    return (
        f"[bold]{label}[/bold] expected faults found: LOLO [bold]{_pct(lo['expected_faults_found'])}[/bold] "
        f"(in-sample {_pct(ins['expected_faults_found'])}) of {lo['expected_faults']:.0f} · clean clips with any "
        f"fault: LOLO [bold]{_pct(lo['clean_clips_with_false_alarm'])}[/bold] (in-sample "
        f"{_pct(ins['clean_clips_with_false_alarm'])}) of {lo['clean_clips']:.0f} · per-rep recall: LOLO "
        f"{_pct(rr['lolo']['recall'])} (in-sample {_pct(rr['in_sample']['recall'])}) of {rr['lolo']['reps']:.0f} reps"
    )


def print_figures(fig: dict[str, Any]) -> None:
    """The figures as tables: the leave-one-lifter-out headline first."""
    f, fw = fig["faults"], fig["faults_without_revised_rows"]
    out.print(_fault_table("Faults per clip: leave-one-lifter-out (headline) and in-sample", f["lolo"], f["in_sample"]))
    dr = fig["drill_recognition"]
    out.print(_headline("All rows:", f))
    out.print(_headline(f"Without the {len(fig['revised_rows'])} revised-after-tool rows:", fw))
    real = f.get("real_clips")
    if real is not None:
        lo, ins = real["lolo"]["headline"], real["in_sample"]["headline"]
        out.print(
            f"Filmed clips only ({real['clips']}, without the SYNTHETIC renders): found LOLO "
            f"{_pct(lo['expected_faults_found'])} (in-sample {_pct(ins['expected_faults_found'])}) of "
            f"{lo['expected_faults']:.0f} · clean clips with any fault: LOLO "
            f"{_pct(lo['clean_clips_with_false_alarm'])} (in-sample {_pct(ins['clean_clips_with_false_alarm'])}) "
            f"of {lo['clean_clips']:.0f}"
        )
    cj = f.get("clean_clips_judged")
    if cj is not None:
        out.print(
            f"Clean clips on which something was judged ({cj['judged']} of {cj['clean_clips']}; nothing judged on "
            f"{len(cj['nothing_judged'])}, which the figure above counts as clean): with any fault LOLO "
            f"{_pct(cj['with_false_alarm_lolo'])} (in-sample {_pct(cj['with_false_alarm_in_sample'])})"
        )
    out.print(
        f"drill recognised (auto): {_pct(dr['accuracy'])} of {dr['clips']} clips (rule-based: out-of-sample for "
        f"every lifter; mean over {len(dr['per_lifter'])} lifters {_pct(dr['mean_over_lifters'])}) · lifters: "
        f"{fig['lifters']} · errors: {len(fig['errors'])}"
    )
    if "wrong_drill" in dr:
        out.print(
            f"  of the {dr['clips'] - round(dr['accuracy'] * dr['clips'])} misses: 'could not tell' on "
            f"{dr['could_not_tell']} ({dr['could_not_tell_no_rep']} of them with no rep found), a wrong drill on "
            f"{dr['wrong_drill']}"
        )
    th = Table(title="Fitted thresholds (table value, fit on all lifters, range over LOLO folds)", header_style="bold")
    for col in ("check variant", "table", "all lifters", "LOLO min", "LOLO max", "folds refit", "table kept"):
        th.add_column(col)
    for key, s in f["thresholds"].items():
        th.add_row(key, _num(s["table"]), _num(s["fit_on_all_lifters"]), _num(s["lolo_min"]), _num(s["lolo_max"]),
                   str(s["folds_refit"]), str(s["folds_table_kept"]))  # fmt: skip
    out.print(th)
    takes = Table(title="Per-rep recall on repeated-fault takes", header_style="bold")
    for col in ("take", "fault", "reps labelled", "reps found", "flagged in-sample", "flagged LOLO"):
        takes.add_column(col)
    for t in f["per_rep_recall"]["takes"]:
        takes.add_row(t["path"], t["code"], str(t["reps_labelled"]), str(t["reps_found"]),
                      str(t["flagged_in_sample"]), str(t["flagged_lolo"]))  # fmt: skip
    out.print(takes)
    missed = Table(title="Labelled faults missed (leave-one-lifter-out), and why", header_style="bold")
    for col in ("clip", "fault", "why", "detail"):
        missed.add_column(col, overflow="fold")
    for m in f.get("missed", []):
        missed.add_row(m["path"], m["code"], m["kind"].replace("_", " "), m["detail"])
    out.print(missed)
    kinds = Counter(m["kind"] for m in f.get("missed", []))
    out.print("  missed by why: " + (", ".join(f"{k.replace('_', ' ')} {n}" for k, n in kinds.most_common()) or "none"))
    fa = Table(title="Faults raised that the label does not hold (leave-one-lifter-out)", header_style="bold")
    for col in ("clip", "fault", "value"):
        fa.add_column(col, overflow="fold")
    for m in f.get("false_alarms", []):
        fa.add_row(m["path"], m["code"], m["detail"])
    out.print(fa)
    per = Table(title="Drill recognition per lifter", header_style="bold")
    per.add_column("lifter")
    per.add_column("right / clips")
    for lifter, v in dr["per_lifter"].items():
        per.add_row(lifter, f"{v['right']} / {v['clips']}")
    out.print(per)
    ab = fig["abstentions"]
    for name in ("not_judged", "borderline"):
        t = Table(title=f"{name.replace('_', ' ')} answers (check on a rep) by reason", header_style="bold")
        t.add_column("check: reason")
        t.add_column("reps")
        for reason, n in ab[name].items():
            t.add_row(reason, str(n))
        out.print(t)
    cs = ab["not_judged_on_clean_whole_side_view"]
    out.print(
        f"clips with no rep found (nothing judged): {len(ab['clips_without_reps'])} · not judged on a clean side "
        f"view of a whole body: [bold]{cs['count']}[/bold] (goal: 0)"
    )
    for item in cs["items"]:
        out.print(f"  {item['path']}: {item['code']} ({item['reason']})")
    rc = fig["rep_count"]
    out.print(
        f"rep count on {rc.get('clips', 0):.0f} clips: exact {_pct(rc.get('exact'))}, off-by-one "
        f"{_pct(rc.get('off_by_one'))}, MAE {_num(rc.get('mae'))} · camera view {_pct(fig['view_accuracy'])}"
    )
    if fig.get("stale_tracks"):
        out.print(f"[yellow]{len(fig['stale_tracks'])} clips on stale tracks (no back profile): {fig['stale_tracks']}")
    if f["offline_mismatch"]:
        out.print(f"[yellow]re-deciding at the table thresholds differs from the tool on: {f['offline_mismatch']}")
    if "mirror" in fig:
        m = fig["mirror"]
        out.print(
            f"mirrored copies: identical fault sets on {m['identical']} / {m['clips']} = {_pct(m['share_identical'])}"
            f" · a fault on one copy that the other calls clean: {m['contradictions']} clips"
        )
        for d in m["differences"]:
            kind = f"clean on the other copy: {d['contradicted']}" if d["contradicted"] else "the other is borderline"
            out.print(f"  {d['path']}: original {d['original']} · mirrored {d['mirrored']} ({kind})")
        if m.get("spread"):
            sp = Table(title="How far a rep's value moves on the mirrored copy, against the band", header_style="bold")
            for col in ("check", "rep pairs", "|Δ| median", "|Δ| p90", "|Δ| max", "band (median)", "|Δ| > 2 band"):
                sp.add_column(col)
            for code, v in m["spread"].items():
                sp.add_row(code, f"{v['pairs']:.0f}", _num(v["median"]), _num(v["p90"]), _num(v["max"]),
                           _num(v["band_median"]), _pct(v["flip_share"]))  # fmt: skip
            out.print(sp)


def print_self_reference(sr: dict[str, Any]) -> None:
    """The self-calibration figures: population thresholds and the lifter's own reference, on the same clips."""
    t = Table(
        title=f"Against the lifter's own clean clip ({sr['clips']} clips of {sr['lifters']} lifters; in-sample "
        "population thresholds beside it)",
        header_style="bold",
    )
    for col in ("fault", "population tp/fp/fn", "borderline", "own reference tp/fp/fn", "borderline"):
        t.add_column(col)
    for code, ways in sr["per_fault"].items():
        p, o = ways["population"], ways["own"]
        t.add_row(code, f"{p['tp']}/{p['fp']}/{p['fn']}", str(p["borderline"]), f"{o['tp']}/{o['fp']}/{o['fn']}",
                  str(o["borderline"]))  # fmt: skip
    out.print(t)
    if sr["skipped"]:
        out.print(f"  not loaded (no cached track or a bad file): {len(sr['skipped'])} clips")


def _angles(root: Path, with_model: bool) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from hingecoach.devtools.evaluate import angle_accuracy

    return [asdict(a) for a in angle_accuracy(root, with_model=with_model)]


@app.command("eval")
def eval_cmd(
    manifest: Annotated[Path, typer.Argument(help="Labelled manifest CSV (columns in eval/README.md).")],
    data_root: Annotated[
        Path | None, typer.Option(help="Folder the manifest paths are relative to (default: ../shared/data).")
    ] = None,
    cache: Annotated[Path | None, typer.Option(help="Pose-track cache (default ~/.cache/hingecoach/tracks).")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Only clips whose path contains this (repeatable).")] = None,
    mirror: Annotated[
        bool, typer.Option("--mirror", help="Also analyse horizontally flipped copies and compare fault sets.")
    ] = False,
    angles: Annotated[bool, typer.Option(help="Angle accuracy against mocap and synthetic lifters.")] = True,
    model_angles: Annotated[
        bool, typer.Option("--model-angles", help="Also render the synthetic lifter and track it (slow).")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every figure as JSON here (- = stdout).")
    ] = None,
    cached_only: Annotated[
        bool, typer.Option("--cached-only", help="Skip clips without a cached track instead of extracting them.")
    ] = False,
    stale_ok: Annotated[
        bool,
        typer.Option("--stale-ok", help="Use an older-version cached track without its back profile (no re-extract)."),
    ] = False,
    symmetric: Annotated[
        bool,
        typer.Option("--symmetric", help="Mirror-averaged pose tracks (frame and mirror image), cached apart."),
    ] = False,
    self_reference: Annotated[
        bool,
        typer.Option(
            "--self-reference", help="Also judge each lifter's clips against their own clean clip (self-calibration)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Fault figures leave-one-lifter-out (headline) and in-sample, drill recognition, abstentions, rep counts."""
    from hingecoach.devtools.evaluate import evaluate
    from hingecoach.devtools.lolo import all_figures, mirror_agreement

    root = data_root or (Path.cwd() / ".." / "shared" / "data")
    if not manifest.is_file():
        raise fail(HingecoachError(f"manifest not found: {manifest}"))
    if not root.is_dir():
        raise fail(HingecoachError(f"data root not found: {root} (pass --data-root)"))
    cache_dir = cache or Path.home() / ".cache/hingecoach/tracks"
    with progress_bar(quiet or str(json_out) == "-") as progress:
        run = functools.partial(
            evaluate,
            manifest,
            root,
            cache_dir,
            only=only or (),
            cached_only=cached_only,
            stale_ok=stale_ok,
            symmetric=symmetric,
            progress=progress,
        )
        report = run()
        fig = all_figures(report)
        if mirror:
            mirrored = run(mirror=True)
            fig["mirror"] = mirror_agreement(report, mirrored)
    if self_reference:
        from hingecoach.devtools.evaluate import read_manifest
        from hingecoach.devtools.selfref import evaluate_self_reference

        rows = [r for r in read_manifest(manifest) if not only or any(s in r.path for s in only)]
        fig["self_reference"] = evaluate_self_reference(
            rows, root, cache_dir, cached_only=cached_only, stale_ok=stale_ok
        )
    if angles:
        fig["angle_accuracy"] = _angles(root, model_angles)
    if json_out is not None:
        doc = json.dumps(fig, indent=2, default=str, allow_nan=True)
        if str(json_out) == "-":
            sys.stdout.write(doc + "\n")  # plain JSON, no Rich markup
            return
        write_text_atomic(json_out, doc + "\n")
        if not quiet:
            err.print(f"figures written to {json_out}")
    print_figures(fig)
    if self_reference:
        print_self_reference(fig["self_reference"])
    if angles:
        t = Table(title="Angle accuracy vs ground truth (clean → kinematics → reps)", header_style="bold")
        for col in ("source", "hip MAE°", "hip RMSE°", "knee MAE°", "knee RMSE°", "reps found/true"):
            t.add_column(col)
        for a in fig["angle_accuracy"]:
            t.add_row(a["source"], f"{a['hip_mae_deg']:.2f}", f"{a['hip_rmse_deg']:.2f}", f"{a['knee_mae_deg']:.2f}",
                      f"{a['knee_rmse_deg']:.2f}", f"{a['reps_found']}/{a['reps_true']}")  # fmt: skip
        out.print(t)
