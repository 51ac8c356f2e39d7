"""Errors of the history store a user can act on (one line each; the CLI exits 2, the web app answers 4xx/503)."""

from __future__ import annotations

from collections.abc import Sequence

from hingecoach.errors import HingecoachError


class StoreError(HingecoachError):
    """The history database cannot be used (unreachable server, locked file, disk full...)."""

    code = "store_unavailable"


class CorruptStoreError(StoreError):
    """The database file is not a database, or not one hingecoach wrote."""

    code = "store_corrupt"


class NewerSchemaError(StoreError):
    """The database was migrated by a newer hingecoach: this version must not write to it."""

    code = "store_newer_schema"


class UnknownAthleteError(HingecoachError):
    """No athlete of that name in the store; ``suggestions`` are the closest names there are."""

    code = "unknown_athlete"

    def __init__(self, name: str, suggestions: Sequence[str]) -> None:
        hint = f"; did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"no athlete named {name!r} in the history{hint}")
        self.name = name
        self.suggestions = tuple(suggestions)


class ImportValidationError(HingecoachError):
    """An import file is not a valid hingecoach history export (nothing was imported)."""

    code = "bad_import"
