"""Command line: a thin Typer layer over the library. Every command is a library call plus presentation.

Errors the user can act on (:class:`~hingecoach.errors.HingecoachError`) become one line on stderr and exit
status 2, never a traceback. Files are written atomically (temp file, then rename), so a failed run leaves
nothing half-written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from hingecoach.errors import HingecoachError
from hingecoach.fileio import write_text_atomic

if TYPE_CHECKING:
    from hingecoach.config import AnalysisConfig

app = typer.Typer(
    name="hingecoach",
    help="Coach hip-hinge drills from video, rep by rep.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

STAGE_LABELS = {
    "render": "Rendering the example",
    "pose": "Tracking the body",
    "overlay": "Drawing the overlay",
    "eval": "Evaluating clips",
}


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one Rich bar per stage (a no-op when quiet)."""
    if quiet:
        yield lambda stage, done, total: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGE_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


CONFIG_OPTION = typer.Option(
    "--config",
    help="Analysis settings from a JSON or TOML file (hingecoach.config.AnalysisConfig: filtering, reps, checks, "
    "...); --drill and --max-fps given on the command line win over the file.",
)


def config_from(path: Path | None) -> AnalysisConfig:
    """The :class:`~hingecoach.config.AnalysisConfig` of ``--config`` (defaults without one); a bad file raises
    :class:`~hingecoach.errors.ConfigFileError` (one line, exit 2 through :func:`fail`).
    """
    from hingecoach.config import AnalysisConfig, load_config

    return AnalysisConfig() if path is None else load_config(path)


def fail(exc: HingecoachError) -> typer.Exit:
    """Print a user error as one line and return the exit to raise."""
    err.print(f"[red]hingecoach: error:[/red] {exc.message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _print_summary(result: Any) -> None:
    a = result.analysis
    out.print(
        f"[bold]{a.drill}[/bold] · view [bold]{a.camera_view}[/bold] · facing {a.facing} · "
        f"pose found in {a.pose_coverage:.0%} of frames · {a.summary.rep_count} rep(s)"
    )
    if a.reps:
        table = Table(show_header=True, header_style="bold")
        for col in ("rep", "start s", "bottom s", "end s", "hip flex°", "knee flex°", "score", "faults"):
            table.add_column(col)
        for r in a.reps:
            hip = r.metrics.get("hip_flexion_max_deg")
            knee = r.metrics.get("knee_flexion_at_bottom_deg")
            table.add_row(
                str(r.index) + ("*" if r.partial else ""),
                f"{r.start_s:.2f}",
                f"{r.bottom_s:.2f}",
                f"{r.end_s:.2f}",
                "-" if hip is None else f"{hip:.0f}",
                "-" if knee is None else f"{knee:.0f}",
                str(r.score),
                ", ".join(f.code for f in r.faults) or "clean",
            )
        out.print(table)
    for cue in a.summary.cues:
        out.print(f"[green]cue:[/green] {cue}")
    if a.summary.next_drill:
        out.print(f"[cyan]next drill:[/cyan] {a.summary.next_drill}")
    for w in a.warnings:
        out.print(f"[yellow]warning ({w.code}):[/yellow] {w.message}")


@app.command()
def analyze(
    input_path: Annotated[Path, typer.Argument(help="A video, or a pose track (.npz) from `hingecoach track`.")],
    drill: Annotated[
        str | None, typer.Option(help="Drill id, or 'auto' to recognise it from the motion (default: auto).")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write analysis@1 JSON here (- = stdout).")] = None,
    track_out: Annotated[Path | None, typer.Option("--track-out", help="Also save the pose track (.npz).")] = None,
    overlay: Annotated[Path | None, typer.Option(help="Write an annotated overlay video (H.264 MP4).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write every artefact (JSON, overlay, report, CSV/TRC/MOT) here.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Pose worker processes (default: by clip length).")] = None,
    max_fps: Annotated[
        float | None,
        typer.Option("--max-fps", min=1.0, help="Track at most this many frames per second (default: every frame)."),
    ] = None,
    symmetric: Annotated[
        bool | None,
        typer.Option(
            "--symmetric/--single-pass",
            help="Track each frame and its mirror image and average them (2x the pose time): faults that do not "
            "depend on the side you filmed from.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summary (for scripts).")] = False,
    athlete: Annotated[str | None, typer.Option(help="Whose session: the report shows their progress.")] = None,
    save: Annotated[bool, typer.Option("--save", help="Record the session in the athlete's history.")] = False,
    db: Annotated[str | None, typer.Option("--db", help="History database URL or SQLite file.")] = None,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
) -> None:
    """Analyse one clip: reps, angles, faults, cues (with --athlete/--save: and record it in the history)."""
    from hingecoach.analysis import analyze_track, analyze_video, check_drill_id
    from hingecoach.track import PoseTrack

    try:
        cfg = config_from(config_file)
        if symmetric is not None:
            if input_path.suffix.lower() == ".npz":  # the result would record a tracking it never had
                raise HingecoachError(
                    f"--symmetric/--single-pass choose how a video is tracked; {input_path.name} is a saved track, "
                    "analysed as it was tracked (its log says how): pass the video instead"
                )
            cfg = cfg.model_copy(update={"symmetric_pose": symmetric})
        check_drill_id(drill if drill is not None else cfg.drill)
        _check_outputs(json_out, track_out, overlay, report, out_dir)
        from hingecoach.cli_store import athlete_reference

        ref = athlete_reference(athlete, db)  # the athlete's own neutral back, when their history has one
        if input_path.suffix.lower() == ".npz":
            result = analyze_track(
                PoseTrack.load(input_path), drill=drill, source_path=str(input_path), reference=ref, config=cfg
            )
        else:
            with progress_bar(quiet) as progress:
                result = analyze_video(
                    input_path,
                    drill=drill,
                    workers=workers,
                    max_fps=max_fps,
                    progress=progress,
                    reference=ref,
                    config=cfg,
                )
    except HingecoachError as exc:
        raise fail(exc) from None

    video = None if input_path.suffix.lower() == ".npz" else input_path
    try:
        from hingecoach.cli_store import record_session

        hist = record_session(result, input_path, athlete=athlete, save=save, db=db, drill=drill, quiet=quiet)
        _write_outputs(result, video, json_out, track_out, overlay, report, out_dir, quiet, history=hist)
    except HingecoachError as exc:
        raise fail(exc) from None
    if not quiet and str(json_out) != "-":
        _print_summary(result)


def _check_outputs(
    json_out: Path | None, track_out: Path | None, overlay: Path | None, report: Path | None, out_dir: Path | None
) -> None:
    """Every output target must be writable before any work starts (one line, exit 2, otherwise)."""
    from hingecoach.fileio import check_writable

    for target in (json_out, track_out, overlay, report):
        if target is not None and str(target) != "-":
            check_writable(target)
    if out_dir is not None:
        check_writable(out_dir, folder=True)


def _write_outputs(
    result: Any,
    video: Path | None,
    json_out: Path | None,
    track_out: Path | None,
    overlay: Path | None,
    report: Path | None,
    out_dir: Path | None,
    quiet: bool,
    history: Any = None,
) -> None:
    """Write the artefacts asked for; the overlay pass decodes the video once and feeds the report's key frames.

    ``history``: the athlete's progress points for the report's "progress" section (None: no such section).
    """
    doc = result.analysis.to_json()
    if json_out is not None:
        if str(json_out) == "-":
            sys.stdout.write(doc + "\n")
        else:
            write_text_atomic(json_out, doc)
    if track_out is not None:
        result.raw_track.save(track_out)
    if overlay is None and report is None and out_dir is None:
        return
    # Imported here, not above: the report stack (matplotlib's figure/axes/text) is ~0.7 s that `--json` never needs.
    from hingecoach.report import ReportInputs, render_overlay, render_report, write_all

    inputs = ReportInputs.from_result(result)
    with progress_bar(quiet) as progress:
        on_frame = lambda d, t: progress("overlay", d, t)  # noqa: E731
        if out_dir is not None:
            files = write_all(out_dir, inputs, video_path=video, progress=on_frame, history=history)
            result.raw_track.save(out_dir / "track.npz")
            if not quiet:
                out.print("wrote " + ", ".join(str(f) for f in files.all()))
        key_frames = None
        if overlay is not None and video is not None:
            ov = render_overlay(video, result.raw_track, inputs, overlay, progress=on_frame)
            key_frames = ov.key_frames
        if report is not None:
            render_report(
                inputs, report, key_frames=key_frames, video_path=video, overlay_path=overlay, progress=history
            )


@app.command()
def track(
    video: Annotated[Path, typer.Argument(help="Video file to track.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the pose track (.npz).")],
    workers: Annotated[int | None, typer.Option(help="Pose worker processes.")] = None,
    symmetric: Annotated[
        bool, typer.Option("--symmetric", help="Track each frame and its mirror image and average them (2x time).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Run only the pose model and save the track, so analysis can be re-run without it."""
    from hingecoach.pose.extract import extract_track
    from hingecoach.video import probe

    try:
        _check_outputs(None, output, None, None, None)
        probe(video)
        with progress_bar(quiet) as progress:
            tr = extract_track(
                video, workers=workers, symmetric=symmetric, progress=lambda d, t: progress("pose", d, t)
            )
    except HingecoachError as exc:
        raise fail(exc) from None
    tr.save(output)
    if not quiet:
        out.print(f"saved {tr.n_frames} frames ({tr.coverage():.0%} with a person) to {output}")


@app.command()
def drills(
    drill: Annotated[str | None, typer.Argument(help="Show one drill's checks in full.")] = None,
) -> None:
    """List the drills (the article's ladder) and what each one checks."""
    from hingecoach.analysis import check_drill_id
    from hingecoach.drills import DRILLS

    if drill is None:
        table = Table(header_style="bold")
        for col in ("level", "drill", "name", "film from", "checks"):
            table.add_column(col)
        for d in sorted(DRILLS.values(), key=lambda d: d.level):
            table.add_row(str(d.level), d.id, d.name, d.needs_view, ", ".join(c.code for c in d.checks))
        out.print(table)
        return
    try:
        spec = DRILLS[check_drill_id(drill)] if drill != "auto" else None
    except HingecoachError as exc:
        raise fail(exc) from None
    if spec is None:
        raise fail(HingecoachError("'auto' is not a drill; name one (see `hingecoach drills`)"))
    out.print(f"[bold]{spec.name}[/bold] ({spec.id}) - {spec.description}")
    for step in spec.instructions:
        out.print(f"  - {step}")
    for c in spec.checks:
        sign = ">" if c.direction == "above" else "<"
        out.print(f"[bold]{c.code}[/bold]: {c.quantity} {sign} {c.threshold:g} {c.unit} (major {sign} {c.major_at:g})")
        out.print(f"    why: {c.threshold_reason}")
        out.print(f"    cue: {c.cue}")
        out.print(f"    article: \u201c{c.seed_quote}\u201d")


@app.command("setup-model")
def setup_model(
    rebuild: Annotated[bool, typer.Option(help="Rebuild even if the model file exists.")] = False,
) -> None:
    """Build the offline pose model file from the registry's mediapipe wheel (done once by the installer)."""
    from hingecoach.pose.model import ensure_model

    try:
        path = ensure_model(rebuild=rebuild)
    except HingecoachError as exc:
        raise fail(exc) from None
    out.print(f"pose model ready: {path}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the example's artefacts.")] = Path("example"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Generate an example session (synthetic RDL, 4 reps, faults in reps 3-4) and analyse it end to end."""
    from hingecoach.analysis import analyze_video
    from hingecoach.devtools.demo import DEMO_DRILL, demo_session
    from hingecoach.devtools.render_figure import write_figure_video

    session = demo_session()
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / "demo_rdl.mp4"
    try:
        with progress_bar(quiet) as progress:
            write_figure_video(session.track, video, progress=lambda d, t: progress("render", d, t))
            result = analyze_video(video, drill=DEMO_DRILL, progress=progress)
        _write_outputs(result, video, None, None, None, None, out_dir, quiet)
    except HingecoachError as exc:
        raise fail(exc) from None
    if not quiet:
        out.print(f"rendered {video} from the synthetic generator (faults injected in reps 3-4) and analysed it:")
        _print_summary(result)
        out.print(f"open {out_dir / 'report.html'}")
        out.print("the same on your own video: hingecoach analyze VIDEO --drill rdl --out DIR")

# Commands that live in their own modules register on ``app`` when imported (each a thin layer over its library).
from hingecoach import cli_batch, cli_eval, cli_store, cli_web  # noqa: E402,F401


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
