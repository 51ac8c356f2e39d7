"""Storage fixtures: every storage test runs against SQLite *and* a real PostgreSQL server started here.

The PostgreSQL server is started once per test session on loopback (see ``tests/fixtures/postgres.py``); each test
gets its own fresh database. Missing PostgreSQL binaries are a test *failure*, not a skip: the install step
(``scripts/install.sh``, run by CI) installs them, so their absence is a broken machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures import store_data
from tests.fixtures.postgres import PgServer

BACKENDS = ("sqlite", "postgresql")
# ``pg_server`` (one PostgreSQL server per test session) is in tests/conftest.py: the web tests use it too.


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.database() as url:
        yield url


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, store_data.Clip]:
    """Analysed synthetic sessions, built once: clean and faulty RDLs, a front-view RDL, a short clip, a dowel hinge."""
    folder = tmp_path_factory.mktemp("clips")
    mk = store_data.make_clip
    bar = {"arms": "bar"}  # an RDL's bar slides down the legs (hanging arms would hold it off them)
    return {
        "clean": mk(folder, "clean", "rdl", reps=4, **bar),
        "clean2": mk(folder, "clean2", "rdl", reps=4, hip_flexion_deg=82.0, **bar),
        "clean3": mk(folder, "clean3", "rdl", reps=3, hip_flexion_deg=78.0, **bar),
        "rounded": mk(folder, "rounded", "rdl", reps=4, trunk_round_deg=70.0, **bar),
        "front": mk(folder, "front", "rdl", store_data.FRONT, reps=4, **bar),
        "short": mk(folder, "short", "rdl", reps=1, **bar),
        "dowel": mk(folder, "dowel", "hinge_dowel", reps=4, arms="dowel"),
        "dowel2": mk(folder, "dowel2", "hinge_dowel", reps=4, arms="dowel", hip_flexion_deg=84.0),
    }
