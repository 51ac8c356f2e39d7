"""The session's coaching: the score summary, the one or two cues, the next drill on the ladder, and what could not be
judged and how to film so that it can be.

Why a module of its own: :mod:`hingecoach.judge` decides each rep; this module reads those verdicts as a coach would
at the end of a set. The rules come from the seed article: a coach gives one or two cues, not ten; progress along
the drill ladder when the pattern is clean across reps, step back when major faults recur, and "if you do not
already have good patterning in the hip hinge you should definitely improve that first before adding weight".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

import numpy as np

from hingecoach import schema
from hingecoach.drills import DRILLS, FAULT_CODES, LADDER, Check, Drill
from hingecoach.judge import BACK_LINE_CODES, CHECK_NAMES, HOW_TO_FILM, JudgedRep
from hingecoach.judge_inputs import view_name
from hingecoach.wording import and_list

#: Clean reps needed before moving up the ladder (one good rep is luck, three is a pattern).
MIN_CLEAN_REPS: Final[int] = 3


def _priority(drill: Drill, judged: Sequence[JudgedRep]) -> list[str]:
    """Fault codes ranked: reps affected (a major counts twice), then the safety order of :data:`FAULT_CODES`."""
    weight: Counter[str] = Counter()
    for r in judged:
        for code in dict.fromkeys(f.code for f in r.faults):
            sev = max((2 if f.severity == "major" else 1) for f in r.faults if f.code == code)
            weight[code] += sev
    order = {c: i for i, c in enumerate(FAULT_CODES)}
    return sorted(weight, key=lambda c: (-weight[c], order.get(c, len(order))))


def _level_index(drill_id: str) -> int:
    return next(i for i, level in enumerate(LADDER) if drill_id in level)


def next_drill(drill: Drill, judged: Sequence[JudgedRep]) -> str | None:
    """The drill to do next on the ladder (kneeling → dowel/wall → good morning/pull-through/hip thrust → RDL (or the
    deadlift) → B-stance → single-leg).

    Regress one level when the *same* major fault recurs (≥ 2 reps); progress one level when at least
    :data:`MIN_CLEAN_REPS` reps were judged and every one was clean; otherwise keep practising this drill.
    None when no rep could be judged.
    """
    reps = [r for r in judged if r.judged]
    if not reps:
        return None
    majors = Counter(code for r in reps for code in {f.code for f in r.faults if f.severity == "major"})
    lvl = _level_index(drill.id)
    if any(n >= 2 for n in majors.values()):
        return LADDER[max(lvl - 1, 0)][0]
    if len(reps) >= MIN_CLEAN_REPS and all(not r.faults for r in reps):
        return LADDER[min(lvl + 1, len(LADDER) - 1)][0]
    return drill.id


def summarise(
    drill: Drill, judged: Sequence[JudgedRep], clip_checks: Sequence[schema.CheckResult] = ()
) -> schema.Summary:
    """Session summary: fault counts, mean score of judged reps, at most two cues, the next drill.

    Back-line faults found outside every rep (``clip_checks``) count once each and can earn a cue: a rounded back
    the segmenter could not put in a rep is still the lifter's most important fault.
    """
    counts = Counter(f.code for r in judged for f in r.faults)
    counts.update(c.code for c in clip_checks if c.state == "fault")
    scored = [r.score for r in judged if r.judged]
    nxt = next_drill(drill, judged)
    cues: list[str] = []
    # Every rep's faults earn cues, judged whole or not: a rep whose legs were hidden (no score) still carries the
    # rounded back its trunk showed, and a fault the report lists must come with the coach's cue.
    ranked = _priority(drill, judged)
    ranked += [c.code for c in clip_checks if c.state == "fault" and c.code not in ranked]
    for code in ranked[:2]:
        check: Check | None = drill.check(code)
        if check is not None:
            cues.append(check.cue)
    if nxt is not None and _level_index(nxt) < _level_index(drill.id) and drill.loaded:
        cues = [*cues[:1], "Take the weight off until the pattern is clean: improve the hinge before adding load."]
    if scored and not cues:
        cues = (
            [f"Clean reps: the pattern held every time. Ready for the next step: {DRILLS[nxt].name}."]
            if nxt is not None and nxt != drill.id
            else ["Clean reps: keep the same back line and control on every rep."]
        )
    return schema.Summary(
        rep_count=len(judged),
        fault_counts=dict(sorted(counts.items())),
        score=round(float(np.mean(scored))) if scored else None,
        cues=cues,
        next_drill=nxt,
    )


def rep_verdict(rep: schema.Rep) -> str:
    """One line for a rep, as a coach would say it after the rep: its first fault, or "good rep" only when nothing
    was too close to call and the back line was judged.

    Why: "good rep" on a rep whose back line was too close to call, or could not be seen, praises what the tool did
    not see — a lifter turned 45° to the camera would hear it after every rounded back. Such a rep says what held it
    back and, for an unseen back line, how to film so that it can be judged.
    """
    lead = f"Rep {rep.index}: "
    if is_good_rep(rep):
        return lead + "good rep."
    if rep.faults:
        return lead + f"watch {CHECK_NAMES.get(rep.faults[0].code, rep.faults[0].code)}."
    unseen = [c for c in rep.checks if c.state == "not_judged" and c.code in BACK_LINE_CODES]
    if not rep.judged:
        why = next((c.reason for c in rep.checks if c.state == "not_judged" and c.reason), None)
        return lead + "not judged" + (f": {why}." if why else ": the body was not seen well enough.")
    close = [CHECK_NAMES.get(c.code, c.code) for c in rep.checks if c.state == "borderline"]
    if close:
        return lead + f"no clear fault, but {and_list(close)} {'was' if len(close) == 1 else 'were'} too close to call."
    if unseen:
        how = next((c.how_to_film for c in unseen if c.how_to_film), None)
        names = and_list([CHECK_NAMES.get(c.code, c.code) for c in unseen])
        return lead + f"no fault seen, but {names} could not be judged" + (f": {how}." if how else ".")
    return lead + "no fault seen."


def is_good_rep(rep: schema.Rep) -> bool:
    """Judged, no fault, no check too close to call, and the back line (where the drill reads it) judged."""
    return (
        rep.judged
        and not rep.faults
        and not any(c.state == "borderline" for c in rep.checks)
        and not any(c.state == "not_judged" and c.code in BACK_LINE_CODES for c in rep.checks)
    )


def not_judged_warnings(
    drill: Drill,
    judged: Sequence[JudgedRep],
    existing: Sequence[schema.Warning] = (),
    clip_checks: Sequence[schema.CheckResult] = (),
) -> list[tuple[str, str]]:
    """``(code, message)`` for each check left unjudged on some reps for a reason other than the view (which
    :func:`view_warnings` already says): how many reps, the most common reason, and how to film so it can be judged.
    A back-line reading left unjudged on the deepest-lean frames of a clip without reps (``clip_checks``) is said
    the same way.
    """
    have = {w.code for w in existing}
    out: list[tuple[str, str]] = []
    n = len(judged)
    for check in drill.checks:
        code = f"not_judged_{check.code}"
        if code in have:
            continue
        missing = [c for r in judged for c in r.checks if c.code == check.code and c.state == "not_judged"]
        where = f"on {len(missing)} of {n} reps"
        if not missing:
            missing = [c for c in clip_checks if c.code == check.code and c.state == "not_judged"]
            where = "on the frames of deepest lean (no rep was found)"
        if not missing:
            continue
        reason, _ = Counter(c.reason or "" for c in missing).most_common(1)[0]
        how = next((c.how_to_film for c in missing if c.reason == reason and c.how_to_film), None)
        name = CHECK_NAMES.get(check.code, check.code).capitalize()
        msg = f"{name} not judged {where}: {reason}" + (f". To judge it: {how}." if how else ".")
        out.append((code, msg))
    return out


def view_warnings(drill: Drill, view: object) -> list[tuple[str, str]]:
    """``(code, message)`` for each of the drill's checks the camera view cannot show (said, never guessed)."""
    vname = view_name(view)
    out: list[tuple[str, str]] = []
    blind = {c.code: c for c in drill.checks if vname not in c.views}
    for code, check in blind.items():
        need = "side" if "side" in check.views else "front"
        seen = "an unclear" if vname == "unknown" else f"a {vname}" if vname != "oblique" else "an oblique"
        out.append(
            (
                f"not_judged_{code}",
                f"{CHECK_NAMES.get(code, code).capitalize()} cannot be judged from {seen} view: {HOW_TO_FILM[need]}.",
            )
        )
    return out
