"""The article's progression as data, and the decision of where an athlete goes next from their history.

The article climbs pattern first (kneeling → dowel / wall hinge), then light load (good morning, band pull-through,
hip thrust), then loaded (RDL / deadlift → B-stance → single-leg RDL), and says how: "if you do not already have good
patterning in the hip hinge you should definitely improve that first before adding weight", and "work in a range
of motion where you can maintain all three points and try to improve over time". One clip cannot show either; a
history can. Each :class:`Rung` says in figures what a *clean session* is on that drill (enough judged reps, no major
pattern fault, pattern faults on few reps, a usable range the drill needs), how many clean sessions in a row move
the athlete up, and which *recurring* faults send them back down, and where to.

:func:`decide` is pure (a list of session records in, a typed :class:`PlanDecision` out) so it is tested on
synthetic histories; :func:`plan` reads the store. Rules the decision never breaks: it does not propose a loaded
drill while a pattern fault persists, and it says "film again" rather than decide on too little evidence (too few
judged reps; a view that could not show the back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from hingecoach.drills import DRILLS, LADDER
from hingecoach.sessionstats import BACK_CHECK, SessionStats

if TYPE_CHECKING:
    from hingecoach.store.repo import Store

#: Faults of the hinge pattern itself (the article's "patterning"): the three points, hinge-not-squat, soft knees.
PATTERN_FAULTS: Final[tuple[str, ...]] = ("rounded_back", "head_out_of_line", "squat_pattern", "locked_knees")
#: A session is evidence only with at least this many judged reps (one good rep is luck, three is a pattern).
MIN_JUDGED_REPS: Final[int] = 3
#: A clean session may show a minor pattern fault on at most this share of its judged reps (one rep in four).
MAX_PATTERN_SHARE: Final[float] = 0.25
#: Clean sessions in a row (on the current drill) needed to move up.
CLEAN_SESSIONS_TO_PROGRESS: Final[int] = 2
#: A fault "recurs" when it is major on at least this many judged reps of a session ...
RECUR_MIN_REPS: Final[int] = 2
#: ... in this many evidential sessions in a row (1 on a loaded drill for the back line: take the weight off now).
RECUR_SESSIONS: Final[int] = 2
#: How many of the latest sessions of the current drill the decision looks at.
LOOKBACK: Final[int] = 6

#: Where a recurring fault sends the athlete: the drill that teaches what the fault misses.
REGRESS_TO: Final[Mapping[str, str]] = MappingProxyType(
    {
        "rounded_back": "hinge_dowel",  # the dowel's three points of contact make the back line felt
        "head_out_of_line": "hinge_dowel",  # "back of your head" is one of the three points
        "locked_knees": "hinge_dowel",  # the dowel drill is where "slight bend in the knees" is taught
        "squat_pattern": "hinge_wall",  # "using a wall to sit back to": hips back, not down
        "hips_rise_first": "rdl",  # learn the hinge with the bar from the top before pulling from the floor
        "body_not_straight": "b_stance_rdl",  # the kickstand foot holds the line while it is learnt
        "hips_not_level": "b_stance_rdl",
    }
)
#: Hip flexion (deg) the back must hold to for the drill to be done as the article describes it.
MIN_USABLE_RANGE: Final[Mapping[str, float]] = MappingProxyType(
    {"hinge_kneeling": 40.0, "deadlift": 70.0, "hip_thrust": 0.0}
)
DEFAULT_MIN_USABLE_RANGE: Final[float] = 60.0

Action = Literal["start", "progress", "stay", "regress", "need_evidence"]


def _level(drill: str) -> int:
    return next(i for i, lv in enumerate(LADDER) if drill in lv)


@dataclass(frozen=True)
class Regression:
    """Go back to ``to`` when ``fault`` is major on ≥ ``min_reps`` reps in each of the last ``sessions`` sessions."""

    fault: str
    to: str
    sessions: int = RECUR_SESSIONS
    min_reps: int = RECUR_MIN_REPS


@dataclass(frozen=True)
class Rung:
    """One drill on the ladder and its rules, in figures."""

    drill: str
    level: int
    loaded: bool
    needs_back: bool  # the drill has a back-line check: a session that could not see the back is not evidence
    min_judged_reps: int
    max_pattern_share: float
    min_usable_range_deg: float | None
    clean_sessions_to_progress: int
    progress_to: str | None
    regressions: tuple[Regression, ...]

    def describe(self) -> str:
        parts = [f"at least {self.min_judged_reps} judged reps", "no major pattern fault"]
        if self.max_pattern_share > 0:
            parts.append(f"pattern faults on at most {self.max_pattern_share:.0%} of reps")
        if self.min_usable_range_deg:
            parts.append(f"back held to at least {self.min_usable_range_deg:.0f}° of hip flexion")
        return "a clean session has " + ", ".join(parts)


def _regress_target(fault: str, drill: str) -> str | None:
    """Where ``fault`` sends an athlete on ``drill``: its teaching drill when it is another drill no higher up the
    ladder (a wall hinger with a rounded back goes to the dowel), else one level down.
    """
    lvl = _level(drill)
    to = REGRESS_TO.get(fault)
    if to is not None and to != drill and _level(to) <= lvl:
        return to
    return LADDER[lvl - 1][0] if lvl > 0 else None


def _rung(drill: str) -> Rung:
    spec = DRILLS[drill]
    lvl = _level(drill)
    regs: list[Regression] = []
    for check in spec.checks:
        to = _regress_target(check.code, drill)
        if to is None or (check.code not in PATTERN_FAULTS and check.code not in REGRESS_TO):
            continue
        fast = spec.loaded and check.code in ("rounded_back", "head_out_of_line")
        regs.append(Regression(check.code, to, sessions=1 if fast else RECUR_SESSIONS))
    needs_back = spec.check(BACK_CHECK) is not None
    rng = MIN_USABLE_RANGE.get(drill, DEFAULT_MIN_USABLE_RANGE) if needs_back else None
    return Rung(
        drill=drill,
        level=lvl,
        loaded=spec.loaded,
        needs_back=needs_back,
        min_judged_reps=MIN_JUDGED_REPS,
        max_pattern_share=MAX_PATTERN_SHARE,
        min_usable_range_deg=rng or None,
        clean_sessions_to_progress=CLEAN_SESSIONS_TO_PROGRESS,
        progress_to=LADDER[lvl + 1][0] if lvl + 1 < len(LADDER) else None,
        regressions=tuple(regs),
    )


#: Every drill's rung, built from the drill table (``drills.DRILLS``) and its ladder (``drills.LADDER``).
RUNGS: Final[Mapping[str, Rung]] = MappingProxyType({d: _rung(d) for level in LADDER for d in level})


# ---------------------------------------------------------------------------------------------- the decision
class SessionRecordLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def recorded_at(self) -> datetime: ...

    @property
    def drill(self) -> str: ...

    @property
    def camera_view(self) -> str: ...

    @property
    def stats(self) -> SessionStats: ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultEvidence(_Model):
    code: str
    reps: list[int]  # rep indexes (1-based) showing it
    major_reps: list[int]


class SessionEvidence(_Model):
    """What one session contributed to the decision."""

    session_id: int
    recorded_at: datetime
    drill: str
    camera_view: str
    reps: int
    judged_reps: int
    back_judged_reps: int
    score: int | None
    usable_range_deg: float | None
    faults: list[FaultEvidence]
    evidence: bool  # enough to judge the rung's rules
    clean: bool
    notes: list[str]  # why it is not evidence, or not clean, in plain words


class PlanDecision(_Model):
    """Where the athlete goes next, why, and the sessions, reps and faults the decision rests on."""

    athlete: str
    action: Action
    current_drill: str | None
    next_drill: str | None
    explanation: str
    reasons: list[str]
    rule: str | None
    evidence: list[SessionEvidence]


def _name(drill: str | None) -> str:
    spec = DRILLS.get(drill) if drill is not None else None
    return spec.name if spec is not None else str(drill)


def _day(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d")


def assess(rec: SessionRecordLike, rung: Rung) -> SessionEvidence:
    """One session against a rung: is it evidence, is it clean, and why not."""
    st = rec.stats
    judged = st.judged
    notes: list[str] = []
    by_code: dict[str, list[int]] = {}
    majors: dict[str, list[int]] = {}
    for r in judged:
        for code, sev in dict.fromkeys(r.faults):
            by_code.setdefault(code, []).append(r.index)
            if sev == "major":
                majors.setdefault(code, []).append(r.index)
    faults = [
        FaultEvidence(code=c, reps=sorted(set(v)), major_reps=sorted(set(majors.get(c, []))))
        for c, v in by_code.items()
    ]
    evidence = True
    if len(judged) < rung.min_judged_reps:
        evidence = False
        notes.append(f"only {len(judged)} of {st.rep_count} reps could be judged (need {rung.min_judged_reps})")
    back_seen = st.back_judged_reps
    if rung.needs_back and evidence and back_seen < rung.min_judged_reps:
        evidence = False
        view = "front" if rec.camera_view == "front" else rec.camera_view
        notes.append(
            f"the back line could be seen on only {back_seen} rep(s) (a {view} view cannot show it): film from the "
            "side, camera at hip height, in a fitted top"
        )
    clean = evidence
    if evidence:
        pattern_major = {c: v for c, v in majors.items() if c in PATTERN_FAULTS}
        if pattern_major:
            clean = False
            notes.extend(_fault_note(c, v, "major ") for c, v in pattern_major.items())
        pattern_reps = {r.index for r in judged if r.has_fault(PATTERN_FAULTS)}
        # A pattern reading too close to call is no proof of a clean pattern ("do not add load before the pattern
        # is clean"): such reps count against the share like a minor fault, and the note says so.
        close_reps = {r.index for r in judged if r.has_borderline(PATTERN_FAULTS)} - pattern_reps
        if len(pattern_reps) > rung.max_pattern_share * len(judged) and not pattern_major:
            clean = False
            notes.append(f"pattern faults on {len(pattern_reps)} of {len(judged)} judged reps")
        elif len(pattern_reps | close_reps) > rung.max_pattern_share * len(judged) and not pattern_major:
            clean = False
            codes = sorted({c for r in judged if r.index in close_reps for c in r.borderline if c in PATTERN_FAULTS})
            notes.append(
                f"{' and '.join(c.replace('_', ' ') for c in codes)} too close to call on {len(close_reps)} of "
                f"{len(judged)} judged reps (pattern faults on {len(pattern_reps)}): not yet shown clean"
            )
        if rung.min_usable_range_deg is not None:
            ur = st.usable_range_deg
            if ur is None or ur < rung.min_usable_range_deg:
                clean = False
                got = "not measured" if ur is None else f"{ur:.0f}°"
                notes.append(f"usable range {got}, below the {rung.min_usable_range_deg:.0f}° this drill needs")
    return SessionEvidence(
        session_id=rec.id,
        recorded_at=rec.recorded_at,
        drill=rec.drill,
        camera_view=rec.camera_view,
        reps=st.rep_count,
        judged_reps=len(judged),
        back_judged_reps=back_seen,
        score=st.score,
        usable_range_deg=st.usable_range_deg,
        faults=faults,
        evidence=evidence,
        clean=clean,
        notes=notes,
    )


def _fault_note(code: str, reps: Sequence[int], kind: str = "") -> str:
    return f"{kind}{code.replace('_', ' ')} on rep{'s' if len(reps) > 1 else ''} {', '.join(map(str, reps))}"


def _persisting(evid: Sequence[SessionEvidence]) -> list[str]:
    """Pattern faults that persist: major on ≥ 2 reps of the latest evidential session, or seen in each of the
    latest two evidential sessions.
    """
    if not evid:
        return []
    last = {f.code: f for f in evid[0].faults if f.code in PATTERN_FAULTS}
    out = [c for c, f in last.items() if len(f.major_reps) >= RECUR_MIN_REPS]
    if len(evid) >= 2:
        prev = {f.code for f in evid[1].faults}
        out += [c for c in last if c in prev and c not in out]
    return out


def decide(athlete: str, records: Sequence[SessionRecordLike]) -> PlanDecision:
    """The next drill from an athlete's sessions (any order; the latest drill is the current rung)."""
    # sessions of a drill this version does not know (a newer hingecoach's export) cannot be placed on the ladder
    recs = sorted((r for r in records if r.drill in RUNGS), key=lambda r: (r.recorded_at, r.id))
    if not recs:
        first = LADDER[0][0]
        return PlanDecision(
            athlete=athlete, action="start", current_drill=None, next_drill=first,
            explanation=f"No sessions yet: start the ladder with the {_name(first)}.",
            reasons=[], rule=RUNGS[first].describe(), evidence=[],
        )  # fmt: skip
    current = recs[-1].drill
    rung = RUNGS[current]
    mine = [assess(r, rung) for r in reversed(recs) if r.drill == current][:LOOKBACK]  # newest first
    evid = [e for e in mine if e.evidence]
    reasons: list[str] = []
    latest = mine[0]
    if not latest.evidence:
        reasons.append(
            f"the latest session ({_day(latest.recorded_at)}) is not enough to go on: " + "; ".join(latest.notes)
        )

    def out(action: Action, nxt: str | None, text: str) -> PlanDecision:
        return PlanDecision(
            athlete=athlete, action=action, current_drill=current, next_drill=nxt, explanation=text,
            reasons=reasons, rule=rung.describe(), evidence=mine,
        )  # fmt: skip

    if not evid:
        return out(
            "need_evidence",
            current,
            f"Too little evidence to move on from the {_name(current)}: record another session of it "
            f"with at least {rung.min_judged_reps} reps the camera can judge.",
        )

    # 1. Regress: a fault that recurs, or (on a loaded drill) any pattern fault that persists.
    persisting = _persisting(evid)
    for reg in rung.regressions:
        window = evid[: reg.sessions]
        if len(window) < reg.sessions:
            continue
        hits = [next((f for f in e.faults if f.code == reg.fault), None) for e in window]
        if all(h is not None and len(h.major_reps) >= reg.min_reps for h in hits):
            for e, h in zip(window, hits, strict=True):
                assert h is not None
                reasons.append(f"{_day(e.recorded_at)}: " + _fault_note(reg.fault, h.major_reps, "major "))
            to = _unloaded_target(persisting[0], current) if DRILLS[reg.to].loaded and persisting else reg.to
            return out(
                "regress",
                to,
                f"{reg.fault.replace('_', ' ').capitalize()} keeps coming back as a major fault, so step back to "
                f"the {_name(to)} and rebuild the pattern there before returning to the {_name(current)}.",
            )
    if rung.loaded and persisting:
        code = persisting[0]
        to = _unloaded_target(code, current)
        for e in evid[:2]:
            f = next((f for f in e.faults if f.code == code), None)
            if f is not None:
                reasons.append(f"{_day(e.recorded_at)}: " + _fault_note(code, f.reps))
        return out(
            "regress",
            to,
            f"{code.replace('_', ' ').capitalize()} persists under load. Improve the pattern before adding weight: "
            f"practise the {_name(to)} until it is clean.",
        )

    # 2. Progress: enough clean sessions in a row.
    streak = 0
    for e in evid:
        if not e.clean:
            break
        streak += 1
    need = rung.clean_sessions_to_progress
    if streak >= need:
        reasons.append(f"{streak} clean session(s) in a row: " + ", ".join(_day(e.recorded_at) for e in evid[:streak]))
        nxt = rung.progress_to
        if nxt is None:
            return out(
                "stay",
                current,
                f"The {_name(current)} is the top of the ladder and the pattern is clean: keep it, and add load or "
                "range gradually while the back line holds.",
            )
        pattern_now = [f.code for f in evid[0].faults if f.code in PATTERN_FAULTS]
        if DRILLS[nxt].loaded and pattern_now:
            reasons.append(f"{', '.join(c.replace('_', ' ') for c in pattern_now)} still seen in the latest session")
            return out(
                "stay",
                current,
                f"Nearly ready for the {_name(nxt)}, but it is loaded and {pattern_now[0].replace('_', ' ')} still "
                f"shows up: clean that up on the {_name(current)} first.",
            )
        return out(
            "progress",
            nxt,
            f"The {_name(current)} has been clean {streak} sessions in a row: move up to the {_name(nxt)}.",
        )

    # 3. Stay, and say what is missing.
    if not evid[0].clean:
        reasons.append(f"latest judged session ({_day(evid[0].recorded_at)}) not clean: " + "; ".join(evid[0].notes))
    else:
        reasons.append(f"{streak} of {need} clean sessions in a row so far")
    return out(
        "stay",
        current,
        f"Keep practising the {_name(current)}: {rung.describe()}, and {need} of those in a row move you up.",
    )


def _unloaded_target(code: str, drill: str) -> str:
    """The pattern drill for a fault, never a loaded one (the article: patterning before weight)."""
    to = _regress_target(code, drill)
    while to is not None and DRILLS[to].loaded:
        lvl = _level(to)
        to = LADDER[lvl - 1][0] if lvl > 0 else None
    return to or LADDER[0][0]


def plan(store: Store, athlete: str) -> PlanDecision:
    """The decision for a stored athlete (unknown name: :class:`~hingecoach.store.UnknownAthleteError`)."""
    records = store.history(athlete)
    return decide(store.display_name(athlete), records)


def ladder_table() -> list[Rung]:
    """The rungs in ladder order (for docs and the CLI)."""
    return [RUNGS[d] for level in LADDER for d in level]
