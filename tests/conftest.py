"""Shared fixtures: a seeded random generator, the shared real-data folder, and pose tracks of real clips.

Real clips live outside the repository in ``../shared/data`` (never copied in). Tests that need them take the
``shared_data`` fixture, which skips with a reason when the folder is absent. Running the pose model is the only
expensive thing a test can do, so tracks of real clips are extracted at most once per test session
(``real_track``) and only for the few short clips the tests name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.postgres import PgServer, PostgresMissingError, running_server

from hingecoach.track import PoseTrack

# HINGECOACH_SHARED_DATA points elsewhere (a git worktree whose ../shared is not the project's shared folder).
SHARED_DATA = Path(
    os.environ.get("HINGECOACH_SHARED_DATA") or Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server on loopback for the test session (store and web tests; see tests/fixtures)."""
    try:
        with running_server() as server:
            yield server
    except PostgresMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: random test data that is the same on every run."""
    return np.random.default_rng(20261126)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``../shared/data`` folder of real clips; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def real_track(shared_data: Path) -> Iterator[Callable[[str], PoseTrack]]:
    """``real_track("to-be-frank/videos/kb-deadlift.mp4")``: the clip's pose track, extracted once per session.

    Skips when the clip is missing; a missing pose model is an error (the install step builds it).
    """
    from hingecoach.pose.extract import extract_track

    cache: dict[str, PoseTrack] = {}

    def get(rel: str) -> PoseTrack:
        if rel not in cache:
            path = shared_data / rel
            if not path.exists():
                pytest.skip(f"clip {rel} is absent from the shared data folder")
            cache[rel] = extract_track(path, with_masks=False, workers=1)
        return cache[rel]

    yield get
