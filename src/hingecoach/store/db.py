"""Opening the history database: where it is, connecting, and migrating it to this version's schema on first use.

Where: ``--db URL`` beats ``HINGECOACH_DB`` beats a SQLite file in the user's data directory (no setup). A plain
path is taken as a SQLite file; ``postgresql://`` URLs use psycopg 3.

Why migrations run on every open (cheap when current): a fresh machine, or a database written by an older
hingecoach, just works. A database written by a *newer* hingecoach is refused rather than touched, and a file that
is not a database is reported as such — both as one-line errors, never tracebacks.

SQLite specifics: foreign keys on (cascading deletes), a busy timeout, and write transactions opened with
``BEGIN IMMEDIATE`` so two processes saving at once queue up instead of failing on a lock upgrade. PostgreSQL
migrations take an advisory lock so two first uses at once do not both create the tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError
from sqlalchemy.exc import NoSuchModuleError as _NoSuchModule

from hingecoach.store.errors import CorruptStoreError, NewerSchemaError, StoreError

ENV_VAR: Final[str] = "HINGECOACH_DB"
DB_FILE: Final[str] = "history.db"
SQLITE_BUSY_S: Final[float] = 60.0
#: Arbitrary key of the PostgreSQL advisory lock held while migrating.
PG_MIGRATION_LOCK: Final[int] = 0x68696E6765  # "hinge"
#: The migrations ship inside the package (a plain folder next to this module, found wherever it is installed).
SCRIPT_LOCATION: Final[str] = str(Path(__file__).resolve().parent / "migrations")


def data_dir() -> Path:
    """The user's data directory for hingecoach: ``$HINGECOACH_DATA`` (the web app's ``--data-dir`` too), else
    ``~/.local/share/hingecoach`` on Linux. One folder for both, so the CLI's ``forget`` finds the web's files.
    """
    env = os.environ.get("HINGECOACH_DATA")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_data_path

        return Path(user_data_path("hingecoach", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is a dependency; the fallback keeps a broken env usable
        return Path.home() / ".local" / "share" / "hingecoach"


def resolve_url(db: str | None = None) -> URL:
    """The database URL: ``db`` (a URL or a SQLite file path), else ``$HINGECOACH_DB``, else the default file."""
    raw = db or os.environ.get(ENV_VAR) or ""
    if not raw:
        return URL.create("sqlite+pysqlite", database=str(data_dir() / DB_FILE))
    if "://" not in raw:
        return URL.create("sqlite+pysqlite", database=str(Path(raw).expanduser()))
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {raw!r} ({exc})") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    return url


def describe(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_S * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: URL) -> Engine:
    """An engine for ``url`` with the per-backend settings above (no connection is made yet)."""
    try:
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_S})
            _sqlite_events(engine)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (_NoSuchModule, ArgumentError) as exc:
        raise StoreError(f"unsupported database URL {describe(url)}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot create the database folder for {describe(url)}: {exc.strerror}") from None


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of hingecoach knows."""
    head = ScriptDirectory(SCRIPT_LOCATION).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError("no migrations shipped")
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory(SCRIPT_LOCATION).walk_revisions()}


def _current_revision(conn: Connection) -> str | None:
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        if "athletes" in tables or "sessions" in tables:
            raise CorruptStoreError("the database has hingecoach-like tables but no schema version: not ours")
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) != 1:
        raise CorruptStoreError(f"the database's schema version table is damaged ({len(rows)} rows)")
    return str(rows[0])


def migrate(engine: Engine) -> str:
    """Bring the database to :func:`head_revision` (no-op when current); return the revision it is at."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        current = _current_revision(conn)
        if current is not None and current not in known_revisions():
            raise NewerSchemaError(
                f"the history database {describe(engine.url)} has schema revision {current!r}, newer than this "
                f"hingecoach knows (up to {head_revision()!r}): upgrade hingecoach, or use another database (--db)"
            )
        if current != head_revision():
            command.upgrade(_alembic_config(conn), "head")
    return head_revision()


@contextmanager
def translate_errors(url: URL) -> Iterator[None]:
    """Turn driver failures (unreachable server, not a database file, locked, disk full) into one-line errors."""
    try:
        yield
    except IntegrityError:
        raise  # a constraint said no: the caller decides (a lost race is retried, a duplicate reported)
    except OperationalError as exc:
        raise StoreError(f"cannot use the history database {describe(url)}: {_first_line(exc)}") from None
    except DatabaseError as exc:
        msg = _first_line(exc)
        if "not a database" in msg or "malformed" in msg:
            raise CorruptStoreError(
                f"the history database {describe(url)} is damaged or not a database: {msg}"
            ) from None
        raise StoreError(f"the history database {describe(url)} failed: {msg}") from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def open_engine(db: str | None = None) -> Engine:
    """Resolve, connect and migrate: the one call the store needs before any query."""
    url = resolve_url(db)
    engine = make_engine(url)
    with translate_errors(url):
        migrate(engine)
    return engine
