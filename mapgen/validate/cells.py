"""Checking every cell of a column by its kind (``kind`` in ``data/columns.csv``).

Each check runs once per distinct value of a column (a large export repeats
its places, dates and statuses), records a :class:`~mapgen.errors.Problem`
for every bad cell and returns the column's values for the rows.
"""

from __future__ import annotations

import re
from typing import Callable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..columns import Column
from ..errors import Problem
from ..read import RawTable, strip_each
from ..taxonomy import load_taxonomy, unknown_tag_message

_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_COUNT = re.compile(r"\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Links that certainly pass :func:`is_web_link` (plain host, printable ASCII
#: without quotes or angle brackets); others get the full check.
_PLAIN_LINK = re.compile(r"https?://[a-z0-9.-]+(?:[/?#][!#-&(-;=?-_a-~]*)?", re.IGNORECASE | re.ASCII)


class Checker:
    """The cells of a raw table, stripped and interned once each, and the problems found."""

    def __init__(self, raw: RawTable, free_text: frozenset[str] = frozenset()) -> None:
        self.raw = raw
        self.where = str(raw.path)
        self.lines = np.asarray(raw.lines, dtype=np.int64)
        self.problems: list[Problem] = []
        self.free_text = free_text  # columns whose cells seldom repeat
        self._cells: dict[str, np.ndarray] = {}
        self._columns: dict[str, pd.Series] = {}
        self._distinct: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def flag(self, mask: np.ndarray | pd.Series, column: str, values: pd.Series, message: str) -> None:
        """Record a problem for every row where ``mask`` is true."""
        positions = np.flatnonzero(np.asarray(mask))
        for pos in positions:
            self.problems.append(
                Problem(self.where, int(self.lines[pos]), column, str(values.iloc[pos]), message)
            )

    def cells(self, name: str) -> np.ndarray:
        """The cells of column ``name`` without surrounding whitespace (computed once)."""
        if name not in self._cells:
            if name in self.free_text:
                self._cells[name] = stripped(self.raw.frame[name])
            else:
                codes, values = self.distinct(name)
                self._cells[name] = values[codes]
        return self._cells[name]

    def column(self, name: str) -> pd.Series:
        """:meth:`cells` as a string Series."""
        if name not in self._columns:
            self._columns[name] = pd.Series(self.cells(name), index=self.raw.frame.index, dtype=str)
        return self._columns[name]

    def distinct(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's code and the distinct values of :meth:`cells`."""
        if name not in self._distinct:
            if name in self.free_text:
                codes, values = pd.factorize(self.cells(name), sort=False)
            else:  # each distinct cell as written is stripped once
                written_codes, written = pd.factorize(self.raw.frame[name].to_numpy(dtype=object), sort=False,
                                                      use_na_sentinel=False)  # a missing cell is a value too
                codes, values = pd.factorize(stripped(written), sort=False)
                codes = codes[written_codes]
            self._distinct[name] = (codes, np.asarray(values, dtype=object))
        return self._distinct[name]


def stripped(cells: pd.Series | np.ndarray) -> np.ndarray:
    """``cells.astype(str).str.strip()`` as an object array, about three times faster."""
    values = np.asarray(cells, dtype=object)
    try:
        return strip_each(values) if len(values) else np.array([], dtype=object)
    except TypeError:  # a cell that is not text
        return np.array([str(c).strip() for c in values], dtype=object)


def _each(values: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    return np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))


def text(check: Checker, col: Column) -> pd.Series:
    """Any text: stripped."""
    return check.column(col.name)


def name(check: Checker, col: Column) -> pd.Series:
    """Text that every row must have."""
    values = check.column(col.name)
    check.flag(check.cells(col.name) == "", col.name, values,
               "is empty; every row needs the name of a place.")
    return values


def number(check: Checker, col: Column) -> np.ndarray:
    """A decimal number within ``min``..``max``; NaN where empty or bad."""
    codes, cells = check.distinct(col.name)
    if check.raw.delimiter == ";":  # German Excel writes decimal commas; unambiguous here
        cells = np.array([t.replace(",", ".") for t in cells], dtype=object)
    low = -np.inf if col.min is None else col.min
    high = np.inf if col.max is None else col.max
    given = (cells != "")[codes]
    numeric_text = _each(cells, _NUMBER.fullmatch)
    numeric = numeric_text[codes]
    check.flag(given & ~numeric, col.name, check.column(col.name),
               f"is not a number; write {col.noun} as a decimal number with a point, like {col.example}.")
    parsed = pd.to_numeric(pd.Series(cells, dtype=object).where((cells != "") & numeric_text), errors="coerce")
    values = parsed.to_numpy(dtype=float)[codes]
    check.flag(given & numeric & ((values < low) | (values > high)), col.name, check.column(col.name),
               f"is not a {col.noun} ({low:g}..{high:g}).")
    return np.where((values >= low) & (values <= high), values, np.nan)


latitude = longitude = number


def count(check: Checker, col: Column) -> np.ndarray:
    """A whole number of things, 0 or more; NaN where empty or bad."""
    codes, cells = check.distinct(col.name)
    good = _each(cells, _COUNT.fullmatch)
    check.flag(((cells != "") & ~good)[codes], col.name, check.column(col.name),
               f"is not a whole number; write the {col.noun} as digits, like {col.example} (or leave it empty).")
    values = np.array([float(c) if ok else np.nan for c, ok in zip(cells, good)], dtype=float)
    return values[codes]


def choice(check: Checker, col: Column) -> np.ndarray:
    """One of ``choices`` in any capitalisation, as written in lower case; ``""`` where empty."""
    codes, cells = check.distinct(col.name)
    lower = np.array([t.lower() for t in cells], dtype=object)
    bad = (lower != "") & ~np.isin(lower, col.choices)
    check.flag(bad[codes], col.name, check.column(col.name), f"is not one of: {', '.join(col.choices)}.")
    return np.where(bad, "", lower).astype(object)[codes]


def tags(check: Checker, col: Column) -> list[list[str]]:
    """Incident types of the taxonomy, ``;``-separated; each row's list without repeats."""
    taxonomy = load_taxonomy()
    codes, cells = check.distinct(col.name)
    # each distinct cell once: its tags as written, and without repeats
    written = [[t.strip() for t in cell.lower().split(";") if t.strip()] for cell in cells]
    unknown = [[t for t in found if t not in taxonomy] for found in written]
    for pos in np.flatnonzero(np.array([bool(u) for u in unknown], dtype=bool)[codes]):
        line = int(check.lines[pos])
        for tag in unknown[codes[pos]]:
            parts = [p.strip() for p in tag.replace("/", ",").split(",")]
            if len(parts) > 1 and all(p in taxonomy for p in parts):
                msg = "holds several types; separate them with ';' (e.g. gunfire;arson)."
            else:
                msg = unknown_tag_message(tag)
            check.problems.append(Problem(check.where, line, col.name, tag, msg))
    # rows with the same cell share one list: a list per row would be 100,000 more objects to track
    distinct = [list(dict.fromkeys(found)) for found in written]
    return [distinct[c] for c in codes.tolist()]


def date(check: Checker, col: Column) -> np.ndarray:
    """``YYYY-MM-DD`` of a real day; ``""`` where empty or bad."""
    codes, cells = check.distinct(col.name)
    given = (cells != "")[codes]
    shaped_text = _each(cells, _DATE.fullmatch)
    shaped = shaped_text[codes]
    parsed = pd.to_datetime(pd.Series(cells, dtype=object).where((cells != "") & shaped_text),
                            format="%Y-%m-%d", errors="coerce")
    real_text = parsed.notna().to_numpy()
    real = real_text[codes]
    check.flag(given & ~shaped, col.name, check.column(col.name),
               "is not a date; write YYYY-MM-DD (e.g. 2022-01-08). "
               "If a spreadsheet changed it, format the column as text.")
    check.flag(given & shaped & ~real, col.name, check.column(col.name), "is not a real calendar date.")
    return np.where(real_text, cells, "").astype(object)[codes]


def url(check: Checker, col: Column) -> np.ndarray:
    """An ``http``/``https`` link; ``""`` where empty or bad."""
    codes, cells = check.distinct(col.name)
    ok_text = _each(cells, is_web_link)
    check.flag((cells != "")[codes] & ~ok_text[codes], col.name, check.column(col.name),
               "is not a web link; only http:// and https:// links are allowed.")
    return np.where(ok_text, cells, "").astype(object)[codes]


def is_web_link(link: str) -> bool:
    if not link:
        return False
    if _PLAIN_LINK.fullmatch(link):
        return True
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        c.isspace() or c in "<>\"'`" for c in link
    )


free_text = text
#: ``;``-separated names: merged per place (see :func:`mapgen.validate.places.aliases`).
listing = text

#: The check of each kind of column.
CHECKS: dict[str, Callable[[Checker, Column], object]] = {
    "name": name, "text": text, "free_text": free_text, "latitude": latitude, "longitude": longitude,
    "number": number, "count": count, "choice": choice, "tags": tags, "date": date, "url": url, "list": listing,
}
