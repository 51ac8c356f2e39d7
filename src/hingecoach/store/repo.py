"""The history store's library API: save a session, read an athlete's history, forget a person.

Everything is a method of :class:`Store` (one engine, opened and migrated once); nothing prints. Each write is one
transaction: a save either stores the session with all its reps or nothing (a crash, Ctrl-C or an error mid-save
rolls back). A clip is identified by its content hash, so saving the same clip again for the same athlete and drill
returns the session already stored instead of duplicating it. Names are always bound parameters.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hingecoach import schema
from hingecoach.provenance import content_sha256, package_version
from hingecoach.sessionstats import RepStats, SessionStats, back_line_neutral, rep_stats, stats_from_reps
from hingecoach.store.db import data_dir, open_engine, translate_errors
from hingecoach.store.errors import StoreError, UnknownAthleteError
from hingecoach.store.models import ORIGINS, Athlete, CoachLink, RepRow, TrainingSession, UploadJob, User

MAX_NAME: Final[int] = 200
#: Retries of a save that lost a race (two processes creating the same athlete at once).
SAVE_ATTEMPTS: Final[int] = 3


def name_key(name: str) -> str:
    """The identity of a name: whitespace collapsed, case folded ("  ana " and "Ana" are one person)."""
    return " ".join(name.split()).casefold()


def clean_name(name: str) -> str:
    n = " ".join(name.split())
    if not n:
        raise StoreError("an athlete name cannot be empty")
    if len(n) > MAX_NAME:
        raise StoreError(f"an athlete name is at most {MAX_NAME} characters")
    return n


@dataclass(frozen=True)
class SessionRecord:
    """One stored session as the history shows it (plain values, detached from the database)."""

    id: int
    athlete: str
    recorded_at: datetime
    drill: str
    camera_view: str
    source_path: str
    source_sha256: str
    stats: SessionStats
    hingecoach_version: str
    model_sha256: str | None
    config_hash: str | None
    origin: str = "file"  # see models.ORIGINS: "file" (CLI/batch), "upload" or "live" (the web app)
    artefact_dir: str | None = None  # relative to the store's artefact root


@dataclass(frozen=True)
class SaveResult:
    session_id: int
    created: bool  # False: this clip was already stored for this athlete and drill


def _rep_stats_from_row(r: RepRow, borderline: tuple[str, ...] = ()) -> RepStats:
    return RepStats(
        index=r.rep_index,
        judged=r.judged,
        score=r.score,
        partial=r.partial,
        back_judged=r.back_judged,
        back_held_deg=r.back_held_deg,
        faults=tuple((str(f.get("code")), str(f.get("severity"))) for f in r.faults),
        borderline=borderline,
    )


def _borderline_by_rep(analysis: Any) -> dict[int, tuple[str, ...]]:
    """Per rep index, the checks too close to call, read from the stored analysis document (the ``reps`` table
    has no column for them: reading them here serves every row ever stored, without a migration). Tolerant of
    documents from older versions: what cannot be read counts as none.
    """
    out: dict[int, tuple[str, ...]] = {}
    reps = analysis.get("reps") if isinstance(analysis, dict) else None
    for rep in reps if isinstance(reps, list) else ():
        if not isinstance(rep, dict) or not isinstance(rep.get("index"), int):
            continue
        checks = rep.get("checks")
        out[rep["index"]] = tuple(
            str(c.get("code"))
            for c in (checks if isinstance(checks, list) else ())
            if isinstance(c, dict) and c.get("state") == "borderline"
        )
    return out


def _record(row: TrainingSession, athlete: str) -> SessionRecord:
    close = _borderline_by_rep(row.analysis)
    reps = [_rep_stats_from_row(r, close.get(r.rep_index, ())) for r in row.reps]
    return SessionRecord(
        id=row.id,
        athlete=athlete,
        recorded_at=row.recorded_at,
        drill=row.drill,
        camera_view=row.camera_view,
        source_path=row.source_path,
        source_sha256=row.source_sha256,
        stats=stats_from_reps(row.drill, row.camera_view, reps),
        hingecoach_version=row.hingecoach_version,
        model_sha256=row.model_sha256,
        config_hash=row.config_hash,
        origin=row.origin,
        artefact_dir=row.artefact_dir,
    )


def clip_identity(analysis: schema.Analysis, source_path: str | Path | None) -> str:
    """The clip's content sha256: of the file when it exists, else the one recorded in the result's provenance,
    else of the result document itself (re-saving the same document is then still recognised).
    """
    if source_path is not None and Path(source_path).is_file():
        return content_sha256(source_path)
    prov = analysis.provenance
    if prov is not None and prov.source_sha256:
        return prov.source_sha256
    import hashlib

    return hashlib.sha256(analysis.to_json(indent=None).encode()).hexdigest()


class Store:
    """The history database. ``Store(db)`` opens (and migrates) it; ``db`` as for :func:`db.resolve_url`.

    ``artefact_root``: where files kept for sessions and uploads live (default: a folder beside a SQLite file,
    else the user's data directory); :meth:`forget` deletes the person's files there too.
    """

    def __init__(self, db: str | None = None, *, artefact_root: str | Path | None = None) -> None:
        self.engine: Engine = open_engine(db)
        self.url = self.engine.url
        if artefact_root is None:
            dbfile = self.url.database if self.url.get_backend_name() == "sqlite" else None
            base = Path(dbfile).parent if dbfile and dbfile != ":memory:" else data_dir()
            artefact_root = base / "artefacts"
        self.artefact_root = Path(artefact_root)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One ORM session in one transaction: committed on success, rolled back on any exception (Ctrl-C too)."""
        with translate_errors(self.url), Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    # ------------------------------------------------------------------------------------------ athletes
    def athletes(self) -> list[str]:
        with self.transaction() as s:
            return list(s.scalars(select(Athlete.name).order_by(Athlete.name_key)))

    def _find(self, s: Session, name: str) -> Athlete:
        row = s.scalars(select(Athlete).where(Athlete.name_key == name_key(name))).one_or_none()
        if row is None:
            names = list(s.scalars(select(Athlete.name)))
            by_key = {name_key(n): n for n in names}
            close = difflib.get_close_matches(name_key(name), list(by_key), n=3, cutoff=0.5)
            raise UnknownAthleteError(name, [by_key[k] for k in close])
        return row

    def athlete_id(self, name: str) -> int:
        """The athlete's id; :class:`UnknownAthleteError` (with close names) when there is none of that name."""
        with self.transaction() as s:
            return self._find(s, name).id

    def display_name(self, name: str) -> str:
        """The athlete's name as first stored ("ana" finds "Ana")."""
        with self.transaction() as s:
            return self._find(s, name).name

    def ensure_athlete(self, name: str) -> int:
        """The athlete's id, creating the athlete when new."""
        for attempt in range(SAVE_ATTEMPTS):
            try:
                with self.transaction() as s:
                    return self._get_or_create(s, name).id
            except IntegrityError:
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_or_create(self, s: Session, name: str) -> Athlete:
        display = clean_name(name)
        row = s.scalars(select(Athlete).where(Athlete.name_key == name_key(display))).one_or_none()
        if row is None:
            row = Athlete(name=display, name_key=name_key(display), created_at=datetime.now(UTC))
            s.add(row)
            s.flush()
        return row

    # ------------------------------------------------------------------------------------------ sessions
    def save_session(
        self,
        analysis: schema.Analysis,
        athlete: str,
        source_path: str | Path | None = None,
        *,
        recorded_at: datetime | None = None,
        model_sha256: str | None = None,
        config_hash: str | None = None,
        source_sha256: str | None = None,
        origin: str = "file",
        artefact_dir: str | Path | None = None,
        also: Callable[[Session, SaveResult], None] | None = None,
    ) -> SaveResult:
        """Store one analysed session for ``athlete`` (created when new), all in one transaction.

        Idempotent: the same clip (content sha256) for the same athlete and drill is stored once; saving it again
        returns the existing session with ``created=False``. Provenance comes from ``analysis.provenance`` when the
        result has it, else from the keyword arguments (what the caller knows about how it was made).

        ``origin``: where the session came from (:data:`models.ORIGINS`). ``artefact_dir``: the folder (inside
        :attr:`artefact_root`) holding its files. ``also(session, result)`` runs inside the same transaction, after
        the row is written: the web app marks its upload job done there, so "session saved" and "job done" commit
        together or not at all.
        """
        if analysis.drill not in schema.DRILL_IDS:
            raise StoreError(f"cannot store a session of unknown drill {analysis.drill!r}")
        if origin not in ORIGINS:
            raise StoreError(f"unknown session origin {origin!r}; one of {', '.join(ORIGINS)}")
        sha = source_sha256 or clip_identity(analysis, source_path)
        when = recorded_at or datetime.now(UTC)
        rel = None if artefact_dir is None else self._relative(artefact_dir)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                with self.transaction() as s:
                    res = self._save(s, analysis, athlete, sha, source_path, when, model_sha256, config_hash)
                    if res.created:
                        row = s.get(TrainingSession, res.session_id)
                        assert row is not None
                        row.origin, row.artefact_dir = origin, rel
                    if also is not None:
                        also(s, res)
                    return res
            except IntegrityError:
                # Lost a race with another process creating the same athlete or session: the retry finds its row.
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _save(
        self,
        s: Session,
        analysis: schema.Analysis,
        athlete: str,
        sha: str,
        source_path: str | Path | None,
        when: datetime,
        model_sha: str | None,
        cfg_hash: str | None,
    ) -> SaveResult:
        ath = self._get_or_create(s, athlete)
        existing = s.scalars(
            select(TrainingSession.id).where(
                TrainingSession.athlete_id == ath.id,
                TrainingSession.source_sha256 == sha,
                TrainingSession.drill == analysis.drill,
            )
        ).one_or_none()
        if existing is not None:
            return SaveResult(existing, created=False)
        prov = analysis.provenance
        reps = rep_stats(analysis)
        stats = stats_from_reps(analysis.drill, analysis.camera_view, reps)
        row = TrainingSession(
            athlete_id=ath.id,
            drill=analysis.drill,
            recorded_at=when,
            saved_at=datetime.now(UTC),
            source_path=str(source_path) if source_path is not None else analysis.source.path,
            source_sha256=sha,
            camera_view=analysis.camera_view,
            rep_count=len(analysis.reps),
            judged_reps=len(stats.judged),
            score=analysis.summary.score,
            usable_range_deg=stats.usable_range_deg,
            fault_counts=dict(analysis.summary.fault_counts),
            analysis=analysis.model_dump(mode="json", by_alias=True),
            schema_id=schema.SCHEMA_ID,
            hingecoach_version=prov.hingecoach_version if prov is not None else package_version(),
            model_sha256=(prov.model_sha256 if prov is not None else None) or model_sha,
            config_hash=(prov.config_hash if prov is not None else None) or cfg_hash,
            drill_table_version=prov.drill_table_version if prov is not None else None,
        )
        for rep, st in zip(analysis.reps, reps, strict=True):
            row.reps.append(
                RepRow(
                    rep_index=rep.index,
                    start_s=rep.start_s,
                    bottom_s=rep.bottom_s,
                    end_s=rep.end_s,
                    partial=rep.partial,
                    judged=rep.judged,
                    score=rep.score,
                    back_judged=st.back_judged,
                    back_held_deg=st.back_held_deg,
                    metrics=dict(rep.metrics),
                    faults=[f.model_dump(mode="json") for f in rep.faults],
                )
            )
        s.add(row)
        s.flush()
        return SaveResult(row.id, created=True)

    def history(self, athlete: str, *, drill: str | None = None) -> list[SessionRecord]:
        """The athlete's sessions, oldest first (optionally of one drill); :class:`UnknownAthleteError` if unknown."""
        with self.transaction() as s:
            ath = self._find(s, athlete)
            q = (
                select(TrainingSession)
                .where(TrainingSession.athlete_id == ath.id)
                .options(selectinload(TrainingSession.reps))
                .order_by(TrainingSession.recorded_at, TrainingSession.id)
            )
            if drill is not None:
                q = q.where(TrainingSession.drill == drill)
            return [_record(row, ath.name) for row in s.scalars(q)]

    def analysis(self, session_id: int) -> schema.Analysis:
        """The stored ``analysis@1`` document of a session."""
        with self.transaction() as s:
            row = s.get(TrainingSession, session_id)
            if row is None:
                raise StoreError(f"no session {session_id} in the history")
            return schema.Analysis.model_validate(row.analysis)

    def neutral_reference(
        self, athlete: str, drill: str | None = None, *, camera_view: str | None = "side"
    ) -> schema.Analysis | None:
        """The athlete's most recent session whose reps were all judged with the back line seen and no back-line
        fault (``rounded_back``/``head_out_of_line``), in ``camera_view`` (None = any view), of ``drill`` when
        given: the athlete's own neutral back, to calibrate later analyses against. None when there is none.
        """
        for rec in reversed(self.history(athlete, drill=drill)):
            if camera_view is not None and rec.camera_view != camera_view:
                continue
            if back_line_neutral(rec.stats):
                return self.analysis(rec.id)
        return None

    def forget(self, athlete: str) -> int:
        """Delete every trace of a person: sessions, reps, uploads, coach links, their athlete accounts, and their
        files under :attr:`artefact_root`. Returns the number of sessions deleted.

        The rows go in one transaction; the files are deleted after it commits (a file cannot be rolled back, and a
        left-over file without a row is harmless where a row pointing at a deleted file is not).
        """
        with self.transaction() as s:
            ath = self._find(s, athlete)
            dirs = list(
                s.scalars(
                    select(TrainingSession.artefact_dir).where(
                        TrainingSession.athlete_id == ath.id, TrainingSession.artefact_dir.is_not(None)
                    )
                )
            )
            files = list(
                s.scalars(
                    select(UploadJob.stored_file).where(
                        UploadJob.athlete_id == ath.id, UploadJob.stored_file.is_not(None)
                    )
                )
            )
            n = len(list(s.scalars(select(TrainingSession.id).where(TrainingSession.athlete_id == ath.id))))
            session_ids = select(TrainingSession.id).where(TrainingSession.athlete_id == ath.id)
            s.execute(delete(UploadJob).where(UploadJob.athlete_id == ath.id))
            s.execute(delete(CoachLink).where(CoachLink.athlete_id == ath.id))
            s.execute(delete(User).where(User.athlete_id == ath.id, User.role == "athlete"))
            s.execute(delete(RepRow).where(RepRow.session_id.in_(session_ids)))
            s.execute(delete(TrainingSession).where(TrainingSession.athlete_id == ath.id))
            s.execute(delete(Athlete).where(Athlete.id == ath.id))
            athlete_dir = self.athlete_dir(ath.id)
        for rel in [*dirs, *files]:
            if rel:
                self._remove(rel)
        self._remove(str(athlete_dir.relative_to(self.artefact_root)))
        return n

    # ------------------------------------------------------------------------------------------ artefacts
    def athlete_dir(self, athlete_id: int) -> Path:
        """The folder for an athlete's kept files (uploads, reports): ``<artefact_root>/athletes/<id>``."""
        return self.artefact_root / "athletes" / str(athlete_id)

    def set_artefact_dir(self, session_id: int, folder: str | Path) -> None:
        """Record the folder (inside :attr:`artefact_root`) holding a session's files."""
        rel = self._relative(folder)
        with self.transaction() as s:
            row = s.get(TrainingSession, session_id)
            if row is None:
                raise StoreError(f"no session {session_id} in the history")
            row.artefact_dir = rel

    def _relative(self, path: str | Path) -> str:
        p = Path(path)
        full = (p if p.is_absolute() else self.artefact_root / p).resolve()
        try:
            return full.relative_to(self.artefact_root.resolve()).as_posix()
        except ValueError:
            raise StoreError(f"{path} is outside the store's artefact folder {self.artefact_root}") from None

    def _remove(self, rel: str) -> None:
        """Delete a file or folder given relative to the artefact root, never anything outside it."""
        root = self.artefact_root.resolve()
        target = (root / rel).resolve()
        if target == root or root not in target.parents:
            return
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink(missing_ok=True)
