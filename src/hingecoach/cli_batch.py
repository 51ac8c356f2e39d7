"""``hingecoach batch``: the command line over :func:`hingecoach.batch.run_batch` (progress bar and summary only).

Exit status: 0 when every clip has a result, 1 when the batch completed but some clips failed (listed in the
summary, ``summary.csv`` and ``index.html``), 2 for an unusable archive or option, 130 after Ctrl-C (every result
already on disk is whole; a rerun picks up where this one stopped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from hingecoach.cli import CONFIG_OPTION, app, config_from, err, fail, out
from hingecoach.errors import HingecoachError

MAX_FAILED_SHOWN = 20


class ClipsPerSecond(ProgressColumn):
    """Clips finished per second since the bar started (Rich's own speed is a short moving window)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if not elapsed or not task.completed:
            return Text("– clips/s", style="progress.data.speed")
        return Text(f"{task.completed / elapsed:.2f} clips/s", style="progress.data.speed")


@app.command()
def batch(
    source: Annotated[
        Path,
        typer.Argument(
            help="A folder of videos (searched recursively) or a manifest .csv/.jsonl "
            "with columns path[, drill][, athlete]."
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="Results folder: <sha256>.json per clip, results.jsonl, summary.csv, index.html."),
    ] = Path("results"),
    drill: Annotated[
        str | None,
        typer.Option(help="Drill for clips whose manifest row names none ('auto' recognises it; default: auto)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes (default: one per core).")] = None,
    max_fps: Annotated[
        float | None,
        typer.Option("--max-fps", min=1.0, help="Track at most this many frames per second (default: every frame)."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run on Ray: 'auto' (RAY_ADDRESS, else a local Ray) or a cluster address."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Also save results into the history store at this URL.")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option(help="Analyse again clips that failed with an input error before.")
    ] = False,
    symmetric: Annotated[
        bool | None,
        typer.Option(
            "--symmetric/--single-pass",
            help="Track each frame and its mirror image and average them (2x the pose time; part of the "
            "configuration hash).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
) -> None:
    """Analyse a whole archive; resumable (a rerun skips clips already analysed the same way)."""
    from hingecoach.analysis import check_drill_id
    from hingecoach.batch import BatchEvent, run_batch
    from hingecoach.batch_store import open_store, save_to_store

    try:
        config = config_from(config_file)
        config = config.model_copy(
            update={
                "drill": check_drill_id(drill if drill is not None else config.drill),
                "max_analysis_fps": max_fps if max_fps is not None else config.max_analysis_fps,
                "symmetric_pose": symmetric if symmetric is not None else config.symmetric_pose,
            }
        )
        if workers is not None and workers < 1:
            raise HingecoachError("--workers must be at least 1")
        if workers is not None and ray is not None:
            raise HingecoachError("--workers is for the local pool; with --ray, Ray places the tasks")
        store = open_store(db) if db is not None else None  # a bad URL fails before any clip is analysed
    except HingecoachError as exc:
        raise fail(exc) from None

    with Progress(
        TextColumn("[bold]Analysing clips"),
        BarColumn(),
        MofNCompleteColumn(),
        ClipsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    ) as bar:
        task: Any = None

        def on_event(ev: BatchEvent) -> None:
            nonlocal task
            if ev.kind == "planned":
                if not quiet and ev.skipped:
                    err.print(f"{ev.skipped} clip(s) need no analysis (up to date, failed before or duplicates)")
                task = bar.add_task("clips", total=ev.total)
            elif ev.kind == "done" and task is not None:
                bar.advance(task)
                if ev.record is not None and ev.record.failed and not quiet:
                    bar.console.print(f"[red]failed[/red] {ev.record.path}: {ev.record.error_message}", highlight=False)

        try:
            summary = run_batch(
                source, out_dir, config=config, workers=workers, ray=ray, retry_failed=retry_failed, on_event=on_event
            )
        except KeyboardInterrupt:
            bar.stop()
            err.print(f"[yellow]interrupted[/yellow]: results so far are in {out_dir}; run the same command to resume")
            raise typer.Exit(code=130) from None
        except HingecoachError as exc:
            raise fail(exc) from None

    if store is not None:
        try:
            rep = save_to_store(store, summary.out_dir, summary.records)
        except HingecoachError as exc:
            raise fail(exc) from None
        finally:
            store.close()
        if not quiet:
            out.print(f"history store: {rep.saved} session(s) saved, {rep.existing} already there")
            if rep.no_athlete:
                out.print(f"{rep.no_athlete} clip(s) not stored: no athlete (give a manifest with an athlete column)")
    if not quiet:
        _print_summary(summary)
    if summary.failed:
        raise typer.Exit(code=1)


def _print_summary(summary: Any) -> None:
    from hingecoach.batch_report import totals

    t = totals(summary.records)
    rate = t["analysed"] / summary.wall_s if summary.wall_s > 0 else 0.0
    table = Table(title="Batch summary", header_style="bold", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for label, value in (
        ("clips", t["clips"]),
        ("analysed this run", t["analysed"]),
        ("up to date (skipped)", t["up_to_date"]),
        ("duplicates", t["duplicate"]),
        ("failed", t["failed"]),
        ("reps counted", t["reps"]),
        ("clips with faults", t["clips_with_faults"]),
        ("where", summary.backend + (f", {summary.workers} worker(s)" if summary.workers else "")),
        ("time", f"{summary.wall_s:.1f} s ({rate:.2f} clips/s)"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    if t["faults"]:
        out.print("faults: " + ", ".join(f"{code} × {n}" for code, n in t["faults"]))
    failed = summary.failed
    for r in failed[:MAX_FAILED_SHOWN]:
        out.print(f"[red]failed[/red] ({r.error_code}) {r.path}: {r.error_message}", highlight=False)
    if len(failed) > MAX_FAILED_SHOWN:
        out.print(f"... and {len(failed) - MAX_FAILED_SHOWN} more failed clip(s): see summary.csv")
    out.print(f"wrote {summary.out_dir}/index.html, results.jsonl, summary.csv and one <sha256>.json per clip")
