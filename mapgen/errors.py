"""One exception tree for everything mapgen reports to a person.

Every error a user can cause derives from :class:`MapgenError`; the CLI prints
those as plain messages (no traceback) and exits 1. Anything else is our bug.
Each class is also a built-in exception, as in geopy's ``exc`` module, so
callers can catch ``ValueError`` or ``OSError`` if they prefer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


class MapgenError(Exception):
    """Root of every error mapgen raises for a user's mistake or situation."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located precisely enough to fix it."""

    path: str
    line: int
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f"{Path(self.path).name}:{self.line}" if self.line else Path(self.path).name
        if self.column is None:
            return f"{where}: {self.message}"
        if self.value is None:
            return f"{where}: column {self.column!r}: {self.message}"
        return f"{where}: column {self.column!r}: {_show(self.value)} {self.message}"


def _show(value: str) -> str:
    """Quote a cell value for a message, shortened so one line stays readable."""
    text = value if len(value) <= 60 else value[:57] + "..."
    return "'" + text.replace("\n", "\\n") + "'"


class DataError(MapgenError, ValueError):
    """The input data has one or more problems; all of them are listed."""

    def __init__(self, problems: Iterable[Problem], hint: str | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column or "", p.message))
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class ConfigError(MapgenError, ValueError):
    """The dataset's settings file (mapgen.toml) is wrong."""


class GeocodingError(MapgenError, IOError):
    """A place could not be located, or a geocoding service failed."""


class OutputError(MapgenError, OSError):
    """An output file could not be written."""
