"""Integrity of the history store on both databases: a save is all or nothing (an error, Ctrl-C, or the process
killed mid-transaction), two processes saving at once lose nothing, export/import round-trips and a bad import
changes nothing, and a newer-schema, damaged or unreachable database is a one-line error, not a traceback.
"""

from __future__ import annotations

import json
import multiprocessing as mp
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from tests.fixtures import store_workers
from tests.fixtures.store_data import Clip, counts, day

from hingecoach.store import CorruptStoreError, ImportValidationError, NewerSchemaError, Store, StoreError
from hingecoach.store.models import RepRow
from hingecoach.store.transfer import import_file, read_export, write_export


@contextmanager
def fail_after_reps_flushed(exc: BaseException) -> Iterator[None]:
    """Raise ``exc`` inside the save's transaction, once the session and its reps have been written to the DB."""

    def boom(session: Session, _ctx: object) -> None:
        if any(isinstance(o, RepRow) for o in session.new):
            raise exc

    event.listen(Session, "after_flush", boom)
    try:
        yield
    finally:
        event.remove(Session, "after_flush", boom)


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failed_save_leaves_nothing(db_url: str, clips: dict[str, Clip], exc: BaseException) -> None:
    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, "Ben", clips["clean"].path)
        before = counts(store)
        with fail_after_reps_flushed(exc), pytest.raises(type(exc)):
            store.save_session(clips["rounded"].analysis, "Ana", clips["rounded"].path)
        assert counts(store) == before  # no athlete "Ana", no session, no reps
        assert store.save_session(clips["rounded"].analysis, "Ana", clips["rounded"].path).created  # still usable


def test_a_process_killed_mid_save_leaves_no_half_session(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, "Ben", clips["clean"].path)
        before = counts(store)
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=store_workers.die_mid_save, args=(db_url, clips["rounded"].analysis.to_json(), ready))
    proc.start()
    proc.join(120)
    assert ready.is_set(), "the worker never reached the middle of its save"
    assert proc.exitcode == -9  # SIGKILL: no rollback ran in the process itself
    with Store(db_url) as store:
        assert counts(store) == before
        assert store.athletes() == ["Ben"]


def test_two_processes_saving_at_once_lose_nothing(db_url: str, clips: dict[str, Clip]) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    docs = [clips[k].analysis.to_json() for k in ("clean", "rounded", "clean2", "front", "dowel")]
    jobs = []
    for w in range(2):
        # distinct clips per worker, plus one clip both save (must end up stored once)
        shas = [f"{w}{i}".ljust(64, "a") for i in range(len(docs) - 1)] + ["f" * 64]
        jobs.append(ctx.Process(target=store_workers.save_many, args=(db_url, "New Athlete", docs, shas, barrier)))
    for p in jobs:
        p.start()
    for p in jobs:
        p.join(180)
    assert [p.exitcode for p in jobs] == [0, 0]
    with Store(db_url) as store:
        hist = store.history("new athlete")
        assert len(hist) == 2 * (len(docs) - 1) + 1
        assert store.athletes() == ["New Athlete"]
        assert counts(store)["reps"] == sum(s.stats.rep_count for s in hist)


def test_export_import_round_trip(db_url: str, clips: dict[str, Clip], tmp_path: Path) -> None:
    src = f"sqlite:///{tmp_path / 'source.db'}"
    with Store(src) as a:
        for n, key in enumerate(("clean", "rounded", "dowel")):
            a.save_session(clips[key].analysis, "Ana", clips[key].path, recorded_at=day(n), config_hash=f"cfg{n}")
        write_export(a, "ana", tmp_path / "ana.json")
        original = a.history("Ana")
    with Store(db_url) as b:
        assert import_file(b, tmp_path / "ana.json") == (3, 0)
        assert import_file(b, tmp_path / "ana.json") == (0, 3)  # importing again adds nothing
        copied = b.history("Ana")
        for x, y in zip(original, copied, strict=True):
            assert (x.recorded_at, x.drill, x.source_sha256, x.config_hash, x.stats) == (
                y.recorded_at, y.drill, y.source_sha256, y.config_hash, y.stats,
            )  # fmt: skip
            assert b.analysis(y.id) == clips[{0: "clean", 1: "rounded", 2: "dowel"}[original.index(x)]].analysis


def _broken_files(good: dict[str, object], folder: Path) -> dict[str, Path]:
    def write(name: str, content: str) -> Path:
        p = folder / f"{name}.json"
        p.write_text(content)
        return p

    bad_rep = json.loads(json.dumps(good))
    bad_rep["athletes"][0]["sessions"][-1]["analysis"]["reps"][0]["score"] = 250  # the LAST session is invalid
    wrong_drill = json.loads(json.dumps(good))
    wrong_drill["athletes"][0]["sessions"][0]["drill"] = "deadlift"
    extra = json.loads(json.dumps(good))
    extra["athletes"][0]["sessions"][0]["surprise"] = 1
    unknown = json.loads(json.dumps(good))
    unknown["athletes"][0]["sessions"][0]["drill"] = "zercher_squat"
    unknown["athletes"][0]["sessions"][0]["analysis"]["drill"] = "zercher_squat"
    other = json.loads(json.dumps(good))
    other["schema"] = "someone/else@1"
    return {
        "score out of range": write("bad_rep", json.dumps(bad_rep)),
        "drill mismatch": write("wrong_drill", json.dumps(wrong_drill)),
        "unknown field": write("extra", json.dumps(extra)),
        "unknown drill": write("unknown", json.dumps(unknown)),
        "other schema": write("other", json.dumps(other)),
        "not json": write("not_json", "{ this is not json"),
        "empty": write("empty", ""),
        "missing": folder / "does_not_exist.json",
    }


def test_a_bad_import_changes_nothing(db_url: str, clips: dict[str, Clip], tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'source.db'}") as a:
        for n, key in enumerate(("clean", "rounded")):
            a.save_session(clips[key].analysis, "Ana", clips[key].path, recorded_at=day(n))
        write_export(a, "Ana", tmp_path / "good.json")
    good = json.loads((tmp_path / "good.json").read_text())
    with Store(db_url) as store:
        store.save_session(clips["dowel"].analysis, "Ana", clips["dowel"].path)
        before = counts(store)
        for why, path in _broken_files(good, tmp_path).items():
            with pytest.raises(ImportValidationError) as info:
                import_file(store, path)
            assert "\n" not in str(info.value), why
            assert counts(store) == before, why
        assert read_export(tmp_path / "good.json").athletes[0].name == "Ana"


def _set_revision(url: str, rev: str) -> None:
    with Store(url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": rev})


def test_a_newer_schema_is_refused_clearly(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, "Ana", clips["clean"].path)
    _set_revision(db_url, "9999_from_the_future")
    with pytest.raises(NewerSchemaError) as info:
        Store(db_url)
    msg = str(info.value)
    assert "9999_from_the_future" in msg and "newer" in msg and "upgrade hingecoach" in msg and "\n" not in msg


def test_migrations_run_once_and_are_idempotent(db_url: str) -> None:
    from hingecoach.store.db import head_revision

    for _ in range(2):
        with Store(db_url) as store, store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda p: p.write_bytes(b"this is not a database, just some text " * 200), CorruptStoreError),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), CorruptStoreError),
        (lambda p: p.mkdir(), StoreError),
    ],
    ids=["text", "truncated-header", "a-folder"],
)
def test_a_damaged_sqlite_file_is_a_clear_error(tmp_path: Path, make: Callable[[Path], object], error: type) -> None:
    path = tmp_path / "history.db"
    make(path)
    with pytest.raises(error) as info:
        Store(str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_foreign_tables_without_version_are_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE athletes (id INTEGER PRIMARY KEY, nickname TEXT)")
    with pytest.raises(CorruptStoreError, match="not ours"):
        Store(str(path))


def test_an_unreachable_server_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError) as info:
        Store(f"postgresql://nobody:secret@127.0.0.1:{port}/history")
    assert "secret" not in str(info.value) and "\n" not in str(info.value)
