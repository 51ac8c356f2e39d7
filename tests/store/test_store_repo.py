"""The history store against real databases (SQLite file and a PostgreSQL server): save, history, idempotence,
names as data, the neutral-back reference, forget, the web app's rows, and the models matching the migrations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from tests.fixtures.store_data import Clip, counts, day

from hingecoach.analysis import analyze_track
from hingecoach.sessionstats import BACK_LINE_CODES
from hingecoach.store import Store, StoreError, UnknownAthleteError, accounts
from hingecoach.store.models import Base
from hingecoach.track import PoseTrack


def test_save_and_read_back(db_url: str, clips: dict[str, Clip]) -> None:
    clean, rounded = clips["clean"], clips["rounded"]
    with Store(db_url) as store:
        r1 = store.save_session(clean.analysis, "Ana", clean.path, recorded_at=day(0), config_hash="abc123")
        r2 = store.save_session(rounded.analysis, "Ana", rounded.path, recorded_at=day(3))
        assert r1.created and r2.created and r1.session_id != r2.session_id
        hist = store.history("Ana")
        assert [h.id for h in hist] == [r1.session_id, r2.session_id]  # oldest first
        first, second = hist
        assert first.recorded_at == day(0) and first.drill == "rdl" and first.camera_view == "side"
        # provenance recorded in the result wins; what the caller passes fills in for results without it
        prov = clean.analysis.provenance
        assert first.config_hash == (prov.config_hash if prov is not None and prov.config_hash else "abc123")
        assert first.model_sha256 is None  # a pose track: no model of ours was used
        assert len(first.source_sha256) == 64
        # the usable range: the synthetic lifter's back holds all the way to its 80° bottom when clean ...
        assert first.stats.usable_range_deg == pytest.approx(80.0, abs=2.0)
        assert first.stats.fault_frequency == {} and first.stats.rep_scores == (100, 100, 100, 100)
        # ... and breaks well before the bottom when rounded (every rep shows a back-line fault)
        assert second.stats.usable_range_deg is not None and second.stats.usable_range_deg < 60.0
        assert max(second.stats.fault_frequency.get(c, 0.0) for c in BACK_LINE_CODES) == 1.0
        assert store.analysis(r2.session_id) == rounded.analysis  # the whole analysis@1 document, unchanged
        assert counts(store)["reps"] == 8


def test_same_clip_saved_twice_is_stored_once(db_url: str, clips: dict[str, Clip]) -> None:
    clip = clips["clean"]
    with Store(db_url) as store:
        a = store.save_session(clip.analysis, "Ana", clip.path)
        b = store.save_session(clip.analysis, "  ana ", clip.path)  # the same person, however typed
        assert a.created and not b.created and a.session_id == b.session_id
        assert len(store.history("ANA")) == 1 and store.athletes() == ["Ana"]
        # the same clip copied elsewhere is the same clip (content hash, not path)
        copy = clip.path.parent / "copy_of_clean.npz"
        copy.write_bytes(clip.path.read_bytes())
        assert not store.save_session(clip.analysis, "Ana", copy).created
        # ... but for another athlete it is their session
        assert store.save_session(clip.analysis, "Ben", clip.path).created
        assert counts(store)["sessions"] == 2


def test_unknown_athlete_lists_close_names(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        for name in ("Anabel", "Ana", "Zoe"):
            store.save_session(clips["clean"].analysis, name, clips["clean"].path)
        with pytest.raises(UnknownAthleteError) as info:
            store.history("Anna")
        assert info.value.code == "unknown_athlete"
        assert set(info.value.suggestions) == {"Ana", "Anabel"}
        assert "did you mean" in str(info.value) and "\n" not in str(info.value)
        with pytest.raises(UnknownAthleteError):
            store.forget("Nobody")


def test_names_are_data_not_sql(db_url: str, clips: dict[str, Clip]) -> None:
    evil = 'Robert\'); DROP TABLE athletes;-- "x" %s :name'
    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, evil, clips["clean"].path)
        assert store.athletes() == [evil]
        assert len(store.history(evil)) == 1
        with store.transaction() as s:
            assert s.execute(text("SELECT count(*) FROM athletes")).scalar() == 1
        assert store.forget(evil) == 1
        assert store.athletes() == []


def test_neutral_reference_is_latest_all_judged_back_clean_side_session(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        store.save_session(clips["rounded"].analysis, "Ana", clips["rounded"].path, recorded_at=day(0))
        assert store.neutral_reference("Ana") is None  # only a rounded back so far
        store.save_session(clips["clean"].analysis, "Ana", clips["clean"].path, recorded_at=day(1))
        store.save_session(clips["clean2"].analysis, "Ana", clips["clean2"].path, recorded_at=day(2))
        store.save_session(clips["front"].analysis, "Ana", clips["front"].path, recorded_at=day(4))  # back unseen
        store.save_session(clips["dowel"].analysis, "Ana", clips["dowel"].path, recorded_at=day(5))
        assert store.neutral_reference("Ana") == clips["dowel"].analysis  # the most recent, any drill
        assert store.neutral_reference("Ana", drill="rdl") == clips["clean2"].analysis
        assert store.neutral_reference("Ana", drill="rdl", camera_view="front") is None  # front views never qualify
        assert store.neutral_reference("Ana", drill="deadlift") is None


def test_forget_removes_every_trace(db_url: str, clips: dict[str, Clip], tmp_path: Path) -> None:
    with Store(db_url, artefact_root=tmp_path / "artefacts") as store:
        for clip in (clips["clean"], clips["rounded"]):
            store.save_session(clip.analysis, "Ana", clip.path)
        keep = store.save_session(clips["clean"].analysis, "Ben", clips["clean"].path)
        ana = store.athlete_id("Ana")
        ben = store.athlete_id("Ben")
        # the web app's rows and files for both people
        coach = accounts.create_user(store, "coach@example.org", "hash", "coach")
        ana_user = accounts.create_user(store, "ana@example.org", "hash", "athlete", athlete_id=ana)
        accounts.link_coach(store, coach.id, ana)
        accounts.link_coach(store, coach.id, ben)
        upload = store.athlete_dir(ana) / "uploads" / "clip.mp4"
        upload.parent.mkdir(parents=True)
        upload.write_bytes(b"video")
        accounts.create_upload_job(
            store, coach.id, ana, "rdl", stored_file=str(upload.relative_to(store.artefact_root))
        )
        ana_session = store.history("Ana")[0].id
        report_dir = store.artefact_root / "reports" / str(ana_session)
        report_dir.mkdir(parents=True)
        (report_dir / "report.html").write_text("<html></html>")
        store.set_artefact_dir(ana_session, report_dir)
        ben_file = store.athlete_dir(ben) / "keep.txt"
        ben_file.parent.mkdir(parents=True)
        ben_file.write_text("ben's")
        before = counts(store)

        assert store.forget("ana") == 2

        after = counts(store)
        assert after == {
            "athletes": 1, "sessions": 1, "reps": before["reps"] - 8, "users": 1, "coach_links": 1, "upload_jobs": 0,
        }  # fmt: skip
        assert not upload.exists() and not report_dir.exists() and not store.athlete_dir(ana).exists()
        assert ben_file.read_text() == "ben's"
        assert accounts.user_by_id(store, ana_user.id) is None and accounts.user_by_id(store, coach.id) is not None
        assert [h.id for h in store.history("Ben")] == [keep.session_id]
        with pytest.raises(UnknownAthleteError):
            store.history("Ana")
        with pytest.raises(StoreError):
            store.set_artefact_dir(keep.session_id, tmp_path / "elsewhere")  # outside the artefact root: refused


def test_accounts_and_upload_jobs(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        ana = store.ensure_athlete("Ana")
        coach = accounts.create_user(store, " Coach@Example.org ", "h1", "coach")
        assert accounts.user_by_email(store, "coach@example.org") == coach
        with pytest.raises(StoreError, match="already exists"):
            accounts.create_user(store, "coach@example.org", "h2", "coach")
        with pytest.raises(StoreError, match="not a coach"):
            accounts.link_coach(store, accounts.create_user(store, "a@example.org", "h", "athlete").id, ana)
        accounts.link_coach(store, coach.id, ana)
        accounts.link_coach(store, coach.id, ana)  # idempotent
        assert accounts.coach_athletes(store, coach.id) == [(ana, "Ana")]
        job = accounts.create_upload_job(store, coach.id, ana, "rdl", stored_file="athletes/1/x.mp4")
        assert job.status == "queued" and job.progress == 0.0
        sid = store.save_session(clips["clean"].analysis, "Ana", clips["clean"].path).session_id
        done = accounts.update_upload_job(store, job.id, status="done", progress=1.5, message="ok", session_id=sid)
        assert (done.status, done.progress, done.session_id) == ("done", 1.0, sid)
        assert done.updated_at >= job.updated_at
        assert [j.id for j in accounts.upload_jobs_for(store, coach.id)] == [job.id]
        with pytest.raises(StoreError):
            accounts.update_upload_job(store, job.id, status="exploded")  # type: ignore[arg-type]


def test_models_match_the_migrations(db_url: str) -> None:
    with Store(db_url) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []


def test_neutral_session_becomes_the_athletes_back_reference(db_url: str, clips: dict[str, Clip]) -> None:
    """The history's clean side-view session calibrates the back-line checks of the next analysis."""
    from hingecoach.judge import reference_from_analysis

    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, "Ana", clips["clean"].path, recorded_at=day(0))
        doc = store.neutral_reference("Ana", camera_view="side")
    assert doc is not None
    ref = reference_from_analysis(doc)
    assert ref is not None and ref.dowel_shoulder_drop is not None and abs(ref.dowel_shoulder_drop) < 0.01
    assert ref.dowel_tail_gap is not None and abs(ref.dowel_tail_gap) < 0.01
    res = analyze_track(PoseTrack.load(clips["clean"].path), drill="rdl", reference=ref)
    qty = {c.quantity for r in res.analysis.reps for c in r.checks if c.code == "rounded_back"}
    assert qty == {"dowel_shoulder_drop_vs_own_reference"}
    rounded = clips["rounded"].analysis
    assert any(f.code in ("rounded_back", "head_out_of_line") for r in rounded.reps for f in r.faults)
    assert reference_from_analysis(rounded) is None  # never a reference from a faulty set


def test_old_results_without_provenance_get_what_the_caller_knows(db_url: str, clips: dict[str, Clip]) -> None:
    old = clips["clean"].analysis.model_copy(update={"provenance": None})
    with Store(db_url) as store:
        store.save_session(old, "Ana", clips["clean"].path, model_sha256="m" * 64, config_hash="cfg0")
        (rec,) = store.history("Ana")
    assert (rec.model_sha256, rec.config_hash) == ("m" * 64, "cfg0")
    assert rec.hingecoach_version and len(rec.source_sha256) == 64
