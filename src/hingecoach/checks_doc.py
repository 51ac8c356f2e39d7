"""``docs/checks.md``'s table, rendered from the drill table (``scripts/regen_checks_doc.py`` writes it; a test keeps
the two in sync), so the people reading the thresholds read exactly what the code judges.
"""

from __future__ import annotations

from hingecoach.drills import DRILLS, Check


def checks_markdown() -> str:
    """The check table as Markdown (``docs/checks.md`` embeds it; a test keeps the two in sync)."""
    rows: dict[tuple[str, str, float, float], tuple[Check, list[str]]] = {}
    for drill in DRILLS.values():
        for c in drill.checks:
            key = (c.code, c.quantity, c.threshold, c.major_at)
            rows.setdefault(key, (c, []))[1].append(drill.id)
    lines = [
        "| fault code | quantity (unit) | fault when | major when | why this threshold | views | cue | seed passage "
        "| drills |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    word = {"above": ">", "below": "<"}
    for c, drills in rows.values():
        cells = (
            f"`{c.code}`",
            f"`{c.quantity}` ({c.unit})",
            f"{word[c.direction]} {c.threshold:g}",
            f"{word[c.direction]} {c.major_at:g}",
            c.threshold_reason,
            ", ".join(sorted(c.views)),
            c.cue,
            f"“{c.seed_quote}”",
            ", ".join(f"`{d}`" for d in drills),
        )
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    lines += [
        "",
        "| level | drill | start | camera | loaded | checks | seed passage |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in DRILLS.values():
        codes = ", ".join(f"`{c.code}`" for c in d.checks)
        lines.append(
            f"| {d.level} | `{d.id}` {d.name} | {d.start_position} | {d.needs_view} | {'yes' if d.loaded else 'no'} "
            f"| {codes} | “{d.seed_quote}” |"
        )
    return "\n".join(lines) + "\n"
