"""The history commands as a user meets them: ``analyze --athlete --save``, ``history``, ``plan``, ``export``,
``import``, ``forget``, on SQLite and on the PostgreSQL server. The workflow runs in-process (Typer's runner: the
same app, argument parsing, exit codes and streams); exit status and the one-line stderr are also checked on a real
subprocess, the way a shell sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.store_data import Clip
from typer.testing import CliRunner

from hingecoach.cli import app
from hingecoach.store import Store

CLI = [sys.executable, "-m", "hingecoach"]


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        """stdout with Rich's line wrapping undone."""
        return " ".join(self.stdout.split())


def cli(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    res = CliRunner().invoke(app, [str(a) for a in args], env=env, input=stdin)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return Result(res.exit_code, res.stdout, res.stderr)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess (exit status and stderr exactly as a shell gets them)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, check=False, env=env)


def one_error_line(res: subprocess.CompletedProcess[str] | Result) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("hingecoach: error:"), res.stderr
    return lines[0]


def test_the_issue_workflow(db_url: str, clips: dict[str, Clip], tmp_path: Path) -> None:
    db = ["--db", db_url]
    # analyze --athlete --save records the session (a pose track stands in for the video: same code path after pose)
    for key in ("clean", "clean2"):
        res = cli("analyze", clips[key].path, "--drill", "rdl", "--athlete", "Ana", "--save", *db, "-q")
        assert res.returncode == 0, res.stderr
    res = cli("analyze", clips["clean2"].path, "--drill", "rdl", "--athlete", "ana", "--save", *db,
              "--json", tmp_path / "again.json")  # fmt: skip
    assert res.returncode == 0 and "already in the history as session" in " ".join(res.stderr.split())

    hist = cli("history", "Ana", *db)
    assert hist.returncode == 0, hist.stderr
    assert "Ana: 2 session(s)" in hist.text and "usable range" in hist.text and "rdl" in hist.text
    assert "80°" in hist.text and "clean" in hist.text

    plan = cli("plan", "Ana", *db)
    assert plan.returncode == 0, plan.stderr
    assert "progress: b_stance_rdl" in plan.text and "clean 2 sessions in a row" in plan.text
    as_json = json.loads(cli("plan", "Ana", *db, "--json").stdout)
    assert as_json["action"] == "progress" and len(as_json["evidence"]) == 2

    out = tmp_path / "ana.json"
    assert cli("export", "Ana", "-o", out, *db).returncode == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    imp = cli("import", out, "--db", other)
    assert imp.returncode == 0 and "imported 2 session(s) for Ana" in imp.text
    assert "2 already there" in cli("import", out, "--db", other).text

    no = cli("forget", "Ana", *db, stdin="n\n")
    assert no.returncode == 1 and "nothing deleted" in no.stderr
    gone = cli("forget", "Ana", *db, "--yes")
    assert gone.returncode == 0 and "2 session(s)" in gone.text
    with Store(db_url) as store:
        assert store.athletes() == []
    with Store(other) as store:
        assert len(store.history("Ana")) == 2


def test_unknown_athlete_is_one_line_exit_2(db_url: str, clips: dict[str, Clip]) -> None:
    with Store(db_url) as store:
        store.save_session(clips["clean"].analysis, "Anabel", clips["clean"].path)
    line = one_error_line(run("history", "Anna", "--db", db_url))  # as a shell sees it
    assert "no athlete named 'Anna'" in line and "'Anabel'" in line
    for cmd in ("plan", "forget"):
        line = one_error_line(cli(cmd, "Anna", "--db", db_url, *(["--yes"] if cmd == "forget" else [])))
        assert "no athlete named 'Anna'" in line and "'Anabel'" in line
    assert "'Anna'" in one_error_line(cli("export", "Anna", "-o", "x.json", "--db", db_url))


def test_bad_inputs_are_one_line_exit_2(tmp_path: Path, clips: dict[str, Clip]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "hingecoach/history@1", "athletes": 3}')
    assert "not a valid history export" in one_error_line(run("import", bad, "--db", tmp_path / "h.db"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    assert "not a database" in one_error_line(cli("history", "Ana", "--db", junk))
    line = one_error_line(cli("analyze", clips["clean"].path, "--drill", "rdl", "--save", "--db", tmp_path / "h.db"))
    assert "--save needs --athlete" in line


def test_default_database_location_and_env_override(tmp_path: Path, clips: dict[str, Clip]) -> None:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    res = cli("analyze", clips["clean"].path, "--drill", "rdl", "--athlete", "Ana", "--save", "-q", env=env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "data" / "hingecoach" / "history.db").is_file()
    env_db = tmp_path / "env.db"
    res = cli("history", "Ana", env={**env, "HINGECOACH_DB": str(env_db)})
    assert res.returncode == 2 and env_db.is_file()  # a fresh database there: Ana is unknown in it


def test_report_gets_a_progress_section_with_history(tmp_path: Path, clips: dict[str, Clip]) -> None:
    db = ["--db", tmp_path / "h.db"]
    first = cli("analyze", clips["clean"].path, "--drill", "rdl", "--athlete", "Ana", "--save", *db,
                "--report", tmp_path / "first.html", "-q")  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert 'id="progress"' not in (tmp_path / "first.html").read_text()  # no history yet: no section
    second = cli("analyze", clips["rounded"].path, "--drill", "rdl", "--athlete", "Ana", "--save", *db,
                 "--out", tmp_path / "out", "-q")  # fmt: skip
    assert second.returncode == 0, second.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'id="progress"' in html and html.count('class="progress-row') == 2
    assert "Usable range (°)" in html and "(this session)" in html
    assert "rounded back 100%" in html or "head out of line 100%" in html
