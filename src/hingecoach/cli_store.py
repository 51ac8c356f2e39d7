"""CLI for the training history: ``history``, ``plan``, ``export``, ``import``, ``forget`` — thin over the store.

Every command takes ``--db`` (a URL or a SQLite file; default ``$HINGECOACH_DB``, else the user's data directory).
User errors (unknown athlete, bad import file, newer or damaged database) are one line on stderr, exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from hingecoach.cli import app, err, fail, out
from hingecoach.errors import HingecoachError

if TYPE_CHECKING:
    from hingecoach.measures import BackReference
    from hingecoach.report.progress import ProgressPoint
    from hingecoach.store import Store

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $HINGECOACH_DB, else the user's data folder)."),
]
NameArg = Annotated[str, typer.Argument(help="The athlete's name.")]


def _open(db: str | None) -> Store:
    from hingecoach.store import Store

    return Store(db)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@app.command()
def history(name: NameArg, db: DbOption = None) -> None:
    """An athlete's sessions over time: reps, score, usable range, fault frequency."""
    try:
        with _open(db) as store:
            records = store.history(name)
            shown = store.display_name(name)
    except HingecoachError as exc:
        raise fail(exc) from None
    table = Table(title=f"{shown}: {len(records)} session(s)", header_style="bold")
    for col in ("date", "drill", "view", "reps", "score", "usable range", "fault frequency"):
        table.add_column(col)
    for r in records:
        st = r.stats
        table.add_row(
            r.recorded_at.strftime("%Y-%m-%d %H:%M"),
            r.drill,
            r.camera_view,
            f"{len(st.judged)}/{st.rep_count}",
            "-" if st.score is None else str(st.score),
            "-" if st.usable_range_deg is None else f"{st.usable_range_deg:.0f}°",
            ", ".join(f"{c} {_pct(v)}" for c, v in st.fault_frequency.items()) or "clean",
        )
    out.print(table)
    ranges = [r.stats.usable_range_deg for r in records if r.stats.usable_range_deg is not None]
    if len(ranges) >= 2:
        out.print(f"usable range: {ranges[0]:.0f}° → {ranges[-1]:.0f}° over {len(ranges)} sessions with the back seen")


@app.command()
def plan(
    name: NameArg,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """The next drill on the article's ladder for an athlete, and why (with the evidence)."""
    from hingecoach.ladder import plan as make_plan

    try:
        with _open(db) as store:
            decision = make_plan(store, name)
    except HingecoachError as exc:
        raise fail(exc) from None
    if as_json:
        out.print_json(decision.model_dump_json())
        return
    out.print(f"[bold]{decision.athlete}[/bold] · {decision.action}: [cyan]{decision.next_drill or '-'}[/cyan]")
    out.print(decision.explanation)
    for reason in decision.reasons:
        out.print(f"  - {reason}")
    if decision.rule:
        out.print(f"[dim]rule on the {decision.current_drill or 'first'} rung: {decision.rule}[/dim]")
    if decision.evidence:
        table = Table(title="evidence (newest first)", header_style="bold")
        for col in (
            "session",
            "date",
            "drill",
            "view",
            "judged",
            "back seen",
            "usable range",
            "faults (reps)",
            "clean",
        ):
            table.add_column(col)
        for e in decision.evidence:
            faults = "; ".join(f"{f.code} {','.join(map(str, f.reps))}" for f in e.faults) or "none"
            table.add_row(
                str(e.session_id), e.recorded_at.strftime("%Y-%m-%d"), e.drill, e.camera_view,
                f"{e.judged_reps}/{e.reps}", str(e.back_judged_reps),
                "-" if e.usable_range_deg is None else f"{e.usable_range_deg:.0f}°",
                faults, "yes" if e.clean else ("no" if e.evidence else "too little"),
            )  # fmt: skip
        out.print(table)
        for e in decision.evidence:
            for note in e.notes:
                out.print(f"  session {e.session_id}: {note}")


@app.command("export")
def export_cmd(
    name: NameArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON file to write.")],
    db: DbOption = None,
) -> None:
    """Write an athlete's whole history to one JSON file (to import on another machine)."""
    from hingecoach.store.transfer import write_export

    try:
        with _open(db) as store:
            doc = write_export(store, name, output)
    except HingecoachError as exc:
        raise fail(exc) from None
    n = sum(len(a.sessions) for a in doc.athletes)
    out.print(f"exported {n} session(s) of {doc.athletes[0].name} to {output}")


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A file written by `hingecoach export`.")],
    db: DbOption = None,
) -> None:
    """Import a history export (validated first: an invalid file changes nothing; re-importing adds nothing)."""
    from hingecoach.store.transfer import import_history, read_export

    try:
        doc = read_export(path)
        with _open(db) as store:
            added, existing = import_history(store, doc)
    except HingecoachError as exc:
        raise fail(exc) from None
    names = ", ".join(a.name for a in doc.athletes)
    out.print(f"imported {added} session(s) for {names}" + (f" ({existing} already there)" if existing else ""))


@app.command()
def forget(
    name: NameArg,
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every trace of a person: sessions, reps, uploads and stored files."""
    try:
        with _open(db) as store:
            shown = store.display_name(name)
            n = len(store.history(shown))
            if not yes and not typer.confirm(f"Delete {shown} and all {n} session(s)? This cannot be undone"):
                err.print("nothing deleted")
                raise typer.Exit(code=1)
            deleted = store.forget(shown)
    except HingecoachError as exc:
        raise fail(exc) from None
    out.print(f"forgot {shown}: {deleted} session(s) and their reps and files deleted")


def athlete_reference(athlete: str | None, db: str | None) -> BackReference | None:
    """The athlete's own neutral back line from their history (a clean side-view session), or None.

    Why: against their own neutral set the back-line checks see a rounding that population thresholds miss (clothes
    and build move everyone's numbers); an unknown athlete or an empty history simply has no reference yet.
    """
    if athlete is None:
        return None
    from hingecoach.judge import reference_from_analysis
    from hingecoach.store import UnknownAthleteError

    with _open(db) as store:
        try:
            doc = store.neutral_reference(athlete, camera_view="side")
        except UnknownAthleteError:
            return None
    return None if doc is None else reference_from_analysis(doc)


def record_session(
    result: Any, input_path: Path, *, athlete: str | None, save: bool, db: str | None, drill: str | None, quiet: bool
) -> list[ProgressPoint] | None:
    """``analyze --athlete NAME [--save]``: store the session (with --save) and return the athlete's progress points
    for the report (None when there is no history besides this session).
    """
    if athlete is None:
        if save:
            raise HingecoachError("--save needs --athlete NAME (whose session is it?)")
        return None
    from hingecoach.config import AnalysisConfig
    from hingecoach.provenance import config_hash, model_sha256
    from hingecoach.report.progress import ProgressPoint
    from hingecoach.sessionstats import session_stats
    from hingecoach.store import UnknownAthleteError
    from hingecoach.store.points import progress_points

    analysis = result.analysis
    prov = analysis.provenance
    # The configuration the analysis actually ran with (a --config file included), as its result records it.
    chash = prov.config_hash if prov is not None and prov.config_hash else None
    chash = chash or config_hash(AnalysisConfig(drill=drill or "auto"))
    current_id: int | None = None
    with _open(db) as store:
        if save:
            video = input_path.suffix.lower() != ".npz"
            saved = store.save_session(
                analysis,
                athlete,
                input_path,
                model_sha256=model_sha256() if video else None,
                config_hash=chash,
            )
            current_id = saved.session_id
            if not quiet:
                what = "saved as session" if saved.created else "already in the history as session"
                err.print(f"{what} {saved.session_id} of {store.display_name(athlete)}")
        try:
            records = store.history(athlete)
        except UnknownAthleteError:
            records = []
    points = progress_points(records, current_id=current_id)
    if current_id is None:
        st = session_stats(analysis)
        points.append(
            ProgressPoint(
                label="this clip",
                drill=analysis.drill,
                usable_range_deg=st.usable_range_deg,
                score=st.score,
                judged_reps=len(st.judged),
                rep_count=st.rep_count,
                fault_frequency=st.fault_frequency,
                current=True,
            )
        )
    return points if len(points) >= 2 else None
