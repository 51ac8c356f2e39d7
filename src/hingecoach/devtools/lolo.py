"""Figures that cannot flatter: data-chosen thresholds refit leave-one-lifter-out, scored on the lifter left out.

Why: a threshold chosen while looking at a lifter's clips will, of course, separate that lifter's clips; what a new
user meets is a threshold chosen on *other* people. So for every lifter L and every fitted check variant, the
threshold is chosen on the clips of all lifters but L (clip-level value = the most extreme judged rep value in the
check's direction; the threshold maximising balanced accuracy, ties resolved to the middle of the widest tied gap;
only real clips whose label speaks to the fault), and L's clips are scored with it. Everything here is arithmetic
on the values :mod:`hingecoach.devtools.evaluate` stored, so a full leave-one-lifter-out pass costs milliseconds.

Checks whose thresholds follow from the article or landmark noise are not refit: their answers are scored as the
tool gave them. Drill recognition is rule-based, so its leave-one-lifter-out figure is its out-of-sample accuracy,
reported per lifter.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hingecoach.devtools.evaluate import (
    CheckAnswer,
    ClipOutcome,
    EvalReport,
    band_state,
    headline_figures,
    per_fault_table,
    view_match,
)
from hingecoach.recognise import COULD_NOT_TELL

Sample = tuple[float, bool]
"""(clip-level value, labelled as showing the fault)."""

JUDGED_STATES = frozenset({"fault", "clean", "borderline"})


# ---------------------------------------------------------------------------------------------- the fitter
def _past(value: float, threshold: float, direction: str) -> bool:
    return value > threshold if direction == "above" else value < threshold


def balanced_accuracy(samples: Sequence[Sample], threshold: float, direction: str) -> float:
    """Mean of the fault and the clean recall of "fault when past ``threshold``" (needs both classes)."""
    pos = [v for v, y in samples if y]
    neg = [v for v, y in samples if not y]
    tpr = sum(_past(v, threshold, direction) for v in pos) / len(pos)
    tnr = sum(not _past(v, threshold, direction) for v in neg) / len(neg)
    return 0.5 * (tpr + tnr)


def fit_threshold(samples: Sequence[Sample], direction: str) -> float | None:
    """The threshold with the best balanced accuracy on ``samples``; None when it cannot be fitted.

    Candidates are the gaps between consecutive distinct values (a threshold is only ever *between* two clips).
    Adjacent gaps with the same best score merge into one interval; of several such intervals the widest wins (the
    largest margin on both sides), and the threshold is its midpoint. None when a class is missing or all values
    are equal: then nothing can be learnt from these clips.
    """
    if not any(y for _, y in samples) or all(y for _, y in samples):
        return None
    xs = sorted({v for v, _ in samples})
    if len(xs) < 2:
        return None
    scores = [balanced_accuracy(samples, 0.5 * (a + b), direction) for a, b in itertools.pairwise(xs)]
    best = max(scores)
    intervals: list[tuple[float, float]] = []
    run: tuple[float, float] | None = None
    for i, s in enumerate(scores):
        if abs(s - best) < 1e-12:
            run = (xs[i] if run is None else run[0], xs[i + 1])
        elif run is not None:
            intervals.append(run)
            run = None
    if run is not None:
        intervals.append(run)
    lo, hi = max(intervals, key=lambda iv: iv[1] - iv[0])
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------------------------------------- clip values
def rep_values(o: ClipOutcome, code: str) -> list[float | None]:
    """Per rep, the judged value of check ``code`` (None where it was not judged)."""
    out: list[float | None] = []
    for r in o.reps:
        a = r.answer(code)
        out.append(a.value if a is not None and a.state in JUDGED_STATES and a.value is not None else None)
    return out


def clip_answer(o: ClipOutcome, code: str) -> CheckAnswer | None:
    """The judged answer with the most extreme value in the check's direction, over the reps and the frames outside
    them; None when nothing judged it.
    """
    spec = o.spec(code)
    judged = [a for a in o.answers(code) if a.state in JUDGED_STATES and a.value is not None]
    if spec is None or not judged:
        return None
    pick = max if spec.direction == "above" else min
    return pick(judged, key=lambda a: float(a.value))  # type: ignore[arg-type]


def clip_value(o: ClipOutcome, code: str) -> float | None:
    """The most extreme judged value in the check's direction (:func:`clip_answer`); None when nothing judged it."""
    a = clip_answer(o, code)
    return None if a is None else a.value


def training_samples(outcomes: Sequence[ClipOutcome], key: str) -> list[Sample]:
    """Clip-level samples for a check variant: real clips with defensible labels where the check was judged."""
    out: list[Sample] = []
    for o in outcomes:
        spec = next((c for c in o.checks if c.key == key), None)
        if spec is None or o.error is not None or o.row.synthetic or not o.row.faults_known:
            continue
        v = clip_value(o, spec.code)
        if v is not None:
            out.append((v, spec.code in o.row.faults))
    return out


@dataclass(frozen=True)
class Fold:
    """The threshold one held-out lifter is scored with, for one check variant."""

    lifter: str
    key: str
    threshold: float
    refit: bool  # False: the other lifters' clips could not fit it (one class only): the table's value is kept
    train_faults: int
    train_clean: int


def fitted_keys(outcomes: Sequence[ClipOutcome]) -> dict[str, tuple[str, float]]:
    """Fitted check variants present in ``outcomes``: key → (direction, table threshold)."""
    return {c.key: (c.direction, c.threshold) for o in outcomes for c in o.checks if c.fitted}


def lolo_folds(outcomes: Sequence[ClipOutcome]) -> dict[tuple[str, str], Fold]:
    """For every (lifter, fitted variant): the threshold fitted on all other lifters' clips."""
    ok = [o for o in outcomes if o.error is None]
    lifters = sorted({o.row.lifter_id for o in ok})
    folds: dict[tuple[str, str], Fold] = {}
    for key, (direction, table) in sorted(fitted_keys(ok).items()):
        for lifter in lifters:
            train = training_samples([o for o in ok if o.row.lifter_id != lifter], key)
            t = fit_threshold(train, direction)
            n_pos = sum(y for _, y in train)
            folds[(lifter, key)] = Fold(
                lifter, key, table if t is None else t, t is not None, n_pos, len(train) - n_pos
            )
    return folds


def decided_faults(o: ClipOutcome, thresholds: Mapping[str, float]) -> frozenset[str]:
    """The clip's fault set with each fitted variant re-decided at ``thresholds[key]`` (band kept); others as given."""
    fitted_codes = {c.code for c in o.checks if c.fitted}
    out = {c for c in o.faults_found if c not in fitted_codes}
    for spec in o.checks:
        if not spec.fitted:
            continue
        a = clip_answer(o, spec.code)
        if (
            a is not None
            and a.value is not None
            and (band_state(spec, a.value, thresholds.get(spec.key, spec.threshold), a.band) == "fault")
        ):
            out.add(spec.code)
    return frozenset(out)


def rep_flags(o: ClipOutcome, code: str, thresholds: Mapping[str, float] | None) -> list[bool]:
    """Per rep, whether ``code`` is a fault: the tool's answer (None) or re-decided at ``thresholds``."""
    spec = o.spec(code)
    if spec is None:
        return [False] * len(o.reps)
    if thresholds is None or not spec.fitted:
        return [(a := r.answer(code)) is not None and a.state == "fault" for r in o.reps]
    t = thresholds.get(spec.key, spec.threshold)
    out = []
    for r in o.reps:
        a = r.answer(code)
        judged = a is not None and a.state in JUDGED_STATES and a.value is not None
        out.append(bool(judged and a is not None and band_state(spec, float(a.value or 0.0), t, a.band) == "fault"))
    return out


def why_missed(o: ClipOutcome, code: str, thresholds: Mapping[str, float]) -> tuple[str, str]:
    """Why a labelled fault was not found on ``o`` (at the lifter's leave-one-lifter-out ``thresholds``): a kind
    (``not_a_check``, ``no_answer``, ``not_judged``, ``borderline``, ``judged_clean``) and a line of detail.

    Why it matters: "not judged, because the plates hid the shins" is an honest answer and "0.084 is within ±0.015
    of 0.08" a defensible one; a fault judged clean far from its threshold is a measure that failed. The headline
    counts all three as misses; this says which is which.
    """
    spec = o.spec(code)
    if spec is None:
        return "not_a_check", f"{o.drill_used or o.row.drill} has no {code} check"
    answers = o.answers(code)
    if not answers:
        return "no_answer", "no rep found and no deep-lean frames outside a rep"
    t = thresholds.get(spec.key, spec.threshold) if spec.fitted else spec.threshold
    judged = [a for a in answers if a.state in JUDGED_STATES and a.value is not None]
    if not judged:
        common = Counter(_reason(a.reason, "") for a in answers).most_common(1)[0][0]
        first = next(a for a in answers if _reason(a.reason, "") == common)
        return "not_judged", first.reason or "no reason recorded"
    states = [(band_state(spec, float(a.value or 0.0), t, a.band) if spec.fitted else a.state, a) for a in judged]
    close = [a for st, a in states if st == "borderline"]
    pick = max if spec.direction == "above" else min
    if close:
        a = pick(close, key=lambda x: float(x.value or 0.0))
        band = spec.band if a.band is None else a.band
        return "borderline", f"{float(a.value or 0.0):.3g} within ±{band:.3g} of {t:.3g}"
    a = pick(judged, key=lambda x: float(x.value or 0.0))
    return "judged_clean", f"{float(a.value or 0.0):.3g} against {t:.3g} ({spec.direction})"


def _alarm_detail(o: ClipOutcome, code: str, thresholds: Mapping[str, float]) -> tuple[str, str]:
    """The value and threshold of a fault raised against the clip's label."""
    spec, a = o.spec(code), clip_answer(o, code)
    if spec is None or a is None or a.value is None:
        return "false_alarm", "value not recorded"
    t = thresholds.get(spec.key, spec.threshold)
    return "false_alarm", f"{a.value:.3g} against {t:.3g} ({spec.direction})"


def label_disagreements(ok: Sequence[ClipOutcome], by_lifter: Mapping[str, Mapping[str, float]],
                        found: Mapping[str, frozenset[str]], *, missed: bool) -> list[dict[str, str]]:  # fmt: skip
    """Every labelled fault the leave-one-lifter-out figures miss (``missed``, with :func:`why_missed`), or every
    fault they raise that the label does not hold (with its value and threshold).
    """
    out = []
    for o in ok:
        if not o.row.faults_known:
            continue
        codes = o.row.faults - found[o.row.path] if missed else found[o.row.path] - o.row.faults
        th = by_lifter.get(o.row.lifter_id, {})
        for code in sorted(codes):
            kind, detail = why_missed(o, code, th) if missed else _alarm_detail(o, code, th)
            out.append({"path": o.row.path, "lifter": o.row.lifter_id, "code": code, "kind": kind, "detail": detail})
    return out


# ---------------------------------------------------------------------------------------------- figures
def per_rep_recall(takes: Sequence[tuple[int | None, int, int]]) -> dict[str, float]:
    """Per-rep recall over takes given as (labelled reps or None, reps found, reps flagged).

    A take's denominator is its labelled rep count, or the reps found when that is larger or no count was given
    (a rep the tool invents cannot raise recall); flagged reps beyond the denominator do not count.
    """
    total = flagged = 0
    for labelled, found, hit in takes:
        denom = max(labelled or 0, found)
        total += denom
        flagged += min(hit, denom)
    return {"reps": float(total), "flagged": float(flagged), "recall": flagged / total if total else float("nan")}


def _rep_takes(outcomes: Sequence[ClipOutcome], thresholds: Mapping[str, Mapping[str, float]] | None) -> list[Any]:
    takes = []
    for o in outcomes:
        if o.error is not None or not o.row.rep_faults:
            continue
        for code in sorted(o.row.rep_faults):
            th = None if thresholds is None else thresholds[o.row.lifter_id]
            hit = sum(rep_flags(o, code, th))
            takes.append((o.row.path, code, o.row.reps, o.reps_found, hit))
    return takes


def _score(outcomes: Sequence[ClipOutcome], found: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    pairs = [(o.row.faults, found[o.row.path]) for o in outcomes if o.error is None and o.row.faults_known]
    return {"headline": headline_figures(pairs), "per_fault": per_fault_table(pairs)}


def _thresholds_by_lifter(folds: Mapping[tuple[str, str], Fold]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (lifter, key), f in folds.items():
        out[lifter][key] = f.threshold
    return dict(out)


def _judged_anything(o: ClipOutcome) -> bool:
    """Whether any check gave this clip an answer (fault, clean or borderline) on a rep or outside the reps."""
    return any(a.state in JUDGED_STATES for a in [x for r in o.reps for x in r.answers] + list(o.outside))


def clean_clips_judged(
    ok: Sequence[ClipOutcome], lolo_found: Mapping[str, frozenset[str]], tool_found: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    """The false-alarm figure over the clean clips on which something was judged, beside the clean clips on which
    nothing was (no rep found and no deep-lean frames): those count as clean in the headline without having been
    looked at, which flatters it (a clean clip the tool never judged is not a clean verdict).
    """
    clean = [o for o in ok if o.row.faults_known and not o.row.faults]
    judged = [o for o in clean if _judged_anything(o)]
    judged_paths = {o.row.path for o in judged}

    def share(found: Mapping[str, frozenset[str]]) -> float:
        return sum(bool(found[o.row.path]) for o in judged) / len(judged) if judged else float("nan")

    return {
        "clean_clips": len(clean),
        "nothing_judged": sorted(o.row.path for o in clean if o.row.path not in judged_paths),
        "judged": len(judged),
        "with_false_alarm_lolo": share(lolo_found),
        "with_false_alarm_in_sample": share(tool_found),
    }


def fault_figures(outcomes: Sequence[ClipOutcome]) -> dict[str, Any]:
    """In-sample and leave-one-lifter-out fault figures, per-rep recall and the folds, for one set of clips."""
    ok = [o for o in outcomes if o.error is None]
    folds = lolo_folds(ok)
    by_lifter = _thresholds_by_lifter(folds)
    lolo_found = {o.row.path: decided_faults(o, by_lifter.get(o.row.lifter_id, {})) for o in ok}
    tool_found = {o.row.path: o.faults_found for o in ok}
    table_found = {o.row.path: decided_faults(o, {}) for o in ok}
    in_takes = _rep_takes(ok, None)
    lolo_takes = _rep_takes(ok, {o.row.lifter_id: by_lifter.get(o.row.lifter_id, {}) for o in ok})
    all_fit = {key: fit_threshold(training_samples(ok, key), d) for key, (d, _) in fitted_keys(ok).items()}
    spread: dict[str, Any] = {}
    for key, (_, table) in sorted(fitted_keys(ok).items()):
        fs = [f for f in folds.values() if f.key == key]
        refit = [f.threshold for f in fs if f.refit]
        spread[key] = {
            "table": table,
            "fit_on_all_lifters": all_fit[key],
            "lolo_min": min(refit) if refit else None,
            "lolo_max": max(refit) if refit else None,
            "folds_refit": len(refit),
            "folds_table_kept": len(fs) - len(refit),
        }
    real = [o for o in ok if not o.row.synthetic]
    return {
        "lolo": _score(ok, lolo_found),
        "clean_clips_judged": clean_clips_judged(ok, lolo_found, tool_found),
        "in_sample": _score(ok, tool_found),
        # Beside the headline, not instead of it: the rendered clips are there for drills with no real clip, and a
        # render's skin is not a person's outline, so the figure on filmed lifters alone is worth seeing too.
        "real_clips": {"clips": len(real), "lolo": _score(real, lolo_found), "in_sample": _score(real, tool_found)},
        "per_rep_recall": {
            "lolo": per_rep_recall([t[2:] for t in lolo_takes]),
            "in_sample": per_rep_recall([t[2:] for t in in_takes]),
            "takes": [
                {"path": p, "code": c, "reps_labelled": n, "reps_found": f, "flagged_in_sample": h, "flagged_lolo": h2}
                for (p, c, n, f, h), (*_, h2) in zip(in_takes, lolo_takes, strict=True)
            ],
        },
        "thresholds": spread,
        "folds": [asdict(f) for f in folds.values()],
        "lolo_faults": {p: sorted(v) for p, v in lolo_found.items()},
        "missed": label_disagreements(ok, by_lifter, lolo_found, missed=True),
        "false_alarms": label_disagreements(ok, by_lifter, lolo_found, missed=False),
        "offline_mismatch": sorted(p for p in tool_found if tool_found[p] != table_found[p]),
    }


def drill_recognition(outcomes: Sequence[ClipOutcome]) -> dict[str, Any]:
    """Auto drill recognition: overall and per lifter (rule-based, so every clip is out-of-sample for it)."""
    rows = [o for o in outcomes if o.error is None and o.row.drill != "auto"]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in rows:
        per[o.row.lifter_id][0] += int(o.drill_auto == o.row.drill)
        per[o.row.lifter_id][1] += 1
    lifters = {k: {"right": v[0], "clips": v[1]} for k, v in sorted(per.items())}
    right = sum(v[0] for v in per.values())
    return {
        "accuracy": right / len(rows) if rows else float("nan"),
        "clips": len(rows),
        "mean_over_lifters": sum(v[0] / v[1] for v in per.values()) / len(per) if per else float("nan"),
        "per_lifter": lifters,
        "wrong": [
            {"path": o.row.path, "label": o.row.drill, "auto": o.drill_auto, "recognised": o.recognised}
            for o in rows
            if o.drill_auto != o.row.drill
        ],
        # Of the misses, how many were an honest "could not tell" (and how many of those on clips with no complete
        # rep to recognise from), and how many named a wrong drill.
        "could_not_tell": sum(o.recognised == COULD_NOT_TELL and o.drill_auto != o.row.drill for o in rows),
        "could_not_tell_no_rep": sum(
            o.recognised == COULD_NOT_TELL and o.drill_auto != o.row.drill and o.reps_found == 0 for o in rows
        ),
        "wrong_drill": sum(o.recognised != COULD_NOT_TELL and o.drill_auto != o.row.drill for o in rows),
    }


def _reason(text: str | None, default: str) -> str:
    """A reason with its numbers replaced by '#', so answers group by why, not by the value measured."""
    return re.sub(r"[-+]?\d+(?:\.\d+)?", "#", text) if text else default


def abstentions(outcomes: Sequence[ClipOutcome]) -> dict[str, Any]:
    """Not-judged and borderline answers by reason, and 'not judged' on clean side views of a whole body."""
    not_judged: Counter[str] = Counter()
    borderline: Counter[str] = Counter()
    no_reps = []
    clean_side: list[dict[str, str]] = []
    for o in outcomes:
        if o.error is not None:
            continue
        if not o.reps:
            no_reps.append(o.row.path)
        for a in [x for r in o.reps for x in r.answers] + list(o.outside):
            if a.state == "not_judged":
                not_judged[f"{a.code}: {_reason(a.reason, 'no reason given')}"] += 1
            elif a.state == "borderline":
                borderline[f"{a.code}: {_reason(a.reason, 'inside the band')}"] += 1
        if o.row.whole_body and o.row.faults_known and not o.row.faults:
            for spec in o.checks:
                if "side" not in spec.views:
                    continue
                answers = o.answers(spec.code)
                if not any(a.state in JUDGED_STATES for a in answers):
                    why = next((a.reason for a in answers if a.reason), "no rep found")
                    clean_side.append({"path": o.row.path, "code": spec.code, "reason": why or ""})
    return {
        "not_judged": dict(not_judged.most_common()),
        "borderline": dict(borderline.most_common()),
        "clips_without_reps": no_reps,
        "not_judged_on_clean_whole_side_view": {"count": len(clean_side), "items": clean_side},
    }


def all_figures(report: EvalReport) -> dict[str, Any]:
    """Every figure of ``hingecoach eval`` as one JSON-able dict (the CLI prints it; ``--json`` writes it)."""
    ok = report.ok
    revised = [o.row.path for o in ok if o.row.revised]
    return {
        "clips": len(report.outcomes),
        "errors": [{"path": o.row.path, "error": o.error} for o in report.outcomes if o.error],
        "lifters": len({o.row.lifter_id for o in ok}),
        "faults": fault_figures(ok),
        "faults_without_revised_rows": fault_figures([o for o in ok if not o.row.revised]),
        "revised_rows": revised,
        "stale_tracks": [o.row.path for o in ok if o.stale_track],
        "drill_recognition": drill_recognition(ok),
        "rep_count": report.rep_count(),
        "view_accuracy": report.view_accuracy(),
        "view_wrong": [
            {"path": o.row.path, "label": o.row.view, "found": o.view_found}
            for o in ok
            if o.row.view and not view_match(o.row.view, o.view_found)
        ],
        "abstentions": abstentions(ok),
    }


def _contradicted(a: ClipOutcome, b: ClipOutcome) -> list[str]:
    """Faults one copy raises where the other answers *clean* on every rep (not borderline, not "not judged")."""
    out = []
    for code in sorted(a.faults_found ^ b.faults_found):
        other = b if code in a.faults_found else a
        answers = other.answers(code)
        if answers and all(x.state == "clean" for x in answers):
            out.append(code)
    return out


def mirror_spread(pairs: Sequence[tuple[ClipOutcome, ClipOutcome]]) -> dict[str, dict[str, float]]:
    """Per check: how far a rep's value moves between a clip and its mirrored copy (the same pixels, flipped), over
    the reps both copies judged, against the borderline half-width the judge used.

    Why: the band is meant to keep noise from flipping an answer, and the mirrored copy is the one re-take whose
    truth is known to be identical. A pair whose difference exceeds twice the band can read fault on one copy and
    clean on the other (``flip_share``); the median and 90th percentile say how wide a band would have to be.
    """
    diffs: dict[str, list[float]] = defaultdict(list)
    bands: dict[str, list[float]] = defaultdict(list)
    for a, b in pairs:
        if len(a.reps) != len(b.reps):
            continue  # reps found differently: no rep-to-rep pairing
        for ra, rb in zip(a.reps, b.reps, strict=True):
            for x in ra.answers:
                y = rb.answer(x.code)
                if y is None or x.value is None or y.value is None:
                    continue
                if x.state not in JUDGED_STATES or y.state not in JUDGED_STATES:
                    continue
                spec = a.spec(x.code)
                band = max(x.band if x.band is not None else 0.0, y.band if y.band is not None else 0.0)
                name = x.code if spec is None else f"{x.code} ({spec.quantity})"  # one code, several quantities
                diffs[name].append(abs(float(x.value) - float(y.value)))
                bands[name].append(band if band > 0 else (spec.band if spec is not None else 0.0))
    out: dict[str, dict[str, float]] = {}
    for code, d in sorted(diffs.items()):
        dv, bv = np.asarray(d), np.asarray(bands[code])
        out[code] = {
            "pairs": float(dv.size),
            "median": float(np.median(dv)),
            "p90": float(np.percentile(dv, 90)),
            "max": float(dv.max()),
            "band_median": float(np.median(bv)),
            "flip_share": float(np.mean(dv > 2 * bv)),
        }
    return out


def mirror_agreement(original: EvalReport, mirrored: EvalReport) -> dict[str, Any]:
    """Share of clips whose fault set (faults only; borderline is not a fault) is the same on the mirrored copy.

    Beside it, the contradictions: a fault on one copy that the other calls clean. A fault on one copy that is
    "borderline: too close to call" on the other still counts as a difference in the headline share, but it is the
    band doing its job (a value at the band's edge), not the two copies disagreeing.
    """
    mirr = {o.row.path: o for o in mirrored.ok}
    pairs = [(o, mirr[o.row.path]) for o in original.ok if o.row.path in mirr]
    diffs = [
        {
            "path": a.row.path,
            "original": sorted(a.faults_found),
            "mirrored": sorted(b.faults_found),
            "contradicted": _contradicted(a, b),
        }
        for a, b in pairs
        if a.faults_found != b.faults_found
    ]
    contradictions = sum(1 for d in diffs if d["contradicted"])
    return {
        "clips": len(pairs),
        "identical": len(pairs) - len(diffs),
        "share_identical": (len(pairs) - len(diffs)) / len(pairs) if pairs else float("nan"),
        "contradictions": contradictions,
        "share_without_contradiction": (len(pairs) - contradictions) / len(pairs) if pairs else float("nan"),
        "differences": diffs,
        "spread": mirror_spread(pairs),
    }
