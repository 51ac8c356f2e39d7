"""Small helpers for the sentences the tool says (warnings, not-judged reasons, live verdicts)."""

from __future__ import annotations

from collections.abc import Sequence


def and_list(items: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``: a list as a sentence says it (empty → ``""``)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
