"""Checking every cell of a column by its kind (``kind`` in ``data/columns.csv``).

Each check runs once per distinct value of a chunk's column (a large export
repeats its places, dates and statuses), records a
:class:`~mapgen.errors.Problem` for every bad cell and returns the column's
values compactly: a code per row into distinct values, or a number per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..columns import Column
from ..errors import Problem
from ..incidents import EPOCH
from ..read.chunks import Chunk, Texts
from ..read.table import strip_each
from ..taxonomy import load_taxonomy, unknown_tag_message

#: A decimal number as people write one (ASCII digits; RE2 syntax, for Arrow).
_NUMBER = r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
_COUNT = re.compile(r"\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Links that certainly pass :func:`is_web_link` (plain host, printable ASCII
#: without quotes or angle brackets); others get the full check.
_PLAIN_LINK = r"(?i)^https?://[a-z0-9.-]+(?:[/?#][!#-&(-;=?-_a-~]*)?$"


@dataclass
class Coded:
    """A column's values: ``values[codes[i]]`` is row i's."""

    codes: np.ndarray
    values: np.ndarray  # object array

    def rows(self) -> np.ndarray:
        return self.values[self.codes]


class Checker:
    """The cells of a chunk, stripped once per distinct cell, and the problems found."""

    def __init__(self, chunk: Chunk, free_text: frozenset[str] = frozenset()) -> None:
        self.chunk = chunk
        self.where = str(chunk.path)
        self.lines = chunk.lines
        self.problems: list[Problem] = []
        self.free_text = free_text  # columns whose cells seldom repeat: one distinct cell per row
        self._distinct: dict[str, Coded] = {}

    def flag(self, mask: np.ndarray, column: str, message: str) -> None:
        """Record a problem for every row where ``mask`` is true, with the row's cell of ``column``."""
        cells = self.distinct(column)
        for pos in np.flatnonzero(np.asarray(mask)).tolist():
            self.problems.append(Problem(self.where, int(self.lines[pos]), column,
                                         str(cells.values[cells.codes[pos]]), message))

    def distinct(self, name: str) -> Coded:
        """Each row's code into the distinct values of the column ``name`` without surrounding whitespace."""
        if name not in self._distinct:
            written = self.chunk.columns[name]
            values = stripped(written.distinct)
            if name in self.free_text:  # a cell per row: nothing to gather
                self._distinct[name] = Coded(written.codes, values)
            else:  # cells that differ only in spaces are one value
                codes, distinct = pd.factorize(values, sort=False, use_na_sentinel=False)
                self._distinct[name] = Coded(codes[written.codes], np.asarray(distinct, dtype=object))
        return self._distinct[name]

    def given(self, name: str) -> np.ndarray:
        """Rows whose cell of ``name`` is not empty."""
        cells = self.distinct(name)
        return (cells.values != "")[cells.codes]


def stripped(cells: np.ndarray) -> np.ndarray:
    """``str.strip`` of every cell, as an object array."""
    values = np.asarray(cells, dtype=object)
    try:
        return strip_each(values) if len(values) else np.array([], dtype=object)
    except TypeError:  # a cell that is not text
        return np.array([str(c).strip() for c in values], dtype=object)


def _each(values: np.ndarray, test: Callable[[str], object]) -> np.ndarray:
    return np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))


def text(check: Checker, col: Column) -> Coded:
    """Any text: stripped."""
    return check.distinct(col.name)


def free_text(check: Checker, col: Column) -> Texts:
    """Text that seldom repeats (the summary): any text, stripped, kept as read (:class:`~mapgen.read.chunks.Texts`)."""
    return check.chunk.columns[col.name]  # type: ignore[return-value]


def name(check: Checker, col: Column) -> Coded:
    """Text that every row must have."""
    check.flag(~check.given(col.name), col.name, "is empty; every row needs the name of a place.")
    return check.distinct(col.name)


def number(check: Checker, col: Column) -> np.ndarray:
    """A decimal number within ``min``..``max``, per row; NaN where empty or bad."""
    cells = check.distinct(col.name)
    written = cells.values
    if check.chunk.delimiter == ";":  # German Excel writes decimal commas; unambiguous here
        written = np.array([t.replace(",", ".") for t in written], dtype=object)
    low = -np.inf if col.min is None else col.min
    high = np.inf if col.max is None else col.max
    numeric, parsed = _read_numbers(written)
    given = written != ""
    check.flag((given & ~numeric)[cells.codes], col.name,
               f"is not a number; write {col.noun} as a decimal number with a point, like {col.example}.")
    check.flag((given & numeric & ((parsed < low) | (parsed > high)))[cells.codes], col.name,
               f"is not a {col.noun} ({low:g}..{high:g}).")
    return np.where((parsed >= low) & (parsed <= high), parsed, np.nan)[cells.codes]


def _read_numbers(written: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which cells are numbers, and their values (NaN for the others), read by Arrow in C++."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(written, type=pa.string())
    shaped = pc.match_substring_regex(cells, _NUMBER)
    try:
        values = pc.cast(pc.if_else(shaped, cells, pa.scalar(None, pa.string())), pa.float64())
    except pa.ArrowInvalid:  # a shape Arrow does not read after all: pandas reads it, or it is no number
        values = pa.array(pd.to_numeric(pd.Series(written, dtype=object).where(shaped.to_numpy(zero_copy_only=False)),
                                        errors="coerce"), type=pa.float64())
    return shaped.to_numpy(zero_copy_only=False), values.to_numpy(zero_copy_only=False)


def _matching(values: np.ndarray, pattern: str) -> np.ndarray:
    """Which of ``values`` match the RE2 ``pattern`` (Arrow's, in C++: a large file has many)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(values):
        return np.zeros(0, dtype=bool)
    return pc.match_substring_regex(pa.array(values, type=pa.string()), pattern).to_numpy(zero_copy_only=False)


latitude = longitude = number


def count(check: Checker, col: Column) -> np.ndarray:
    """A whole number of things, 0 or more, per row; NaN where empty or bad."""
    cells = check.distinct(col.name)
    good = _each(cells.values, _COUNT.fullmatch)
    check.flag(((cells.values != "") & ~good)[cells.codes], col.name,
               f"is not a whole number; write the {col.noun} as digits, like {col.example} (or leave it empty).")
    values = np.array([float(c) if ok else np.nan for c, ok in zip(cells.values, good)], dtype=float)
    return values[cells.codes]


def choice(check: Checker, col: Column) -> np.ndarray:
    """The position of each row's choice in ``choices`` (any capitalisation); -1 where empty or bad."""
    cells = check.distinct(col.name)
    lower = np.array([t.lower() for t in cells.values], dtype=object)
    found = pd.Index(list(col.choices), dtype=object).get_indexer(lower)
    check.flag(((lower != "") & (found < 0))[cells.codes], col.name, f"is not one of: {', '.join(col.choices)}.")
    return found.astype(np.int8)[cells.codes]


def tags(check: Checker, col: Column) -> Coded:
    """Incident types of the taxonomy, ``;``-separated: each row's code into distinct lists (no repeats)."""
    taxonomy = load_taxonomy()
    cells = check.distinct(col.name)
    # each distinct cell once: its tags as written, and without repeats
    written = [[t.strip() for t in cell.lower().split(";") if t.strip()] for cell in cells.values]
    unknown = [[t for t in found if t not in taxonomy] for found in written]
    for pos in np.flatnonzero(np.array([bool(u) for u in unknown], dtype=bool)[cells.codes]).tolist():
        for tag in unknown[cells.codes[pos]]:
            parts = [p.strip() for p in tag.replace("/", ",").split(",")]
            if len(parts) > 1 and all(p in taxonomy for p in parts):
                msg = "holds several types; separate them with ';' (e.g. gunfire;arson)."
            else:
                msg = unknown_tag_message(tag)
            check.problems.append(Problem(check.where, int(check.lines[pos]), col.name, tag, msg))
    lists = np.empty(len(written), dtype=object)
    for k, found in enumerate(written):  # one by one: numpy would make lists of equal length a 2-D array
        lists[k] = list(dict.fromkeys(found))
    return Coded(cells.codes, lists)


def date(check: Checker, col: Column) -> np.ndarray:
    """The day of each row's date (days since 1970-01-01); -1 where empty or bad."""
    cells = check.distinct(col.name)
    shaped = _each(cells.values, _DATE.fullmatch)
    parsed = pd.to_datetime(pd.Series(cells.values, dtype=object).where(shaped), format="%Y-%m-%d",
                            errors="coerce")
    real = parsed.notna().to_numpy()
    given = cells.values != ""
    check.flag((given & ~shaped)[cells.codes], col.name,
               "is not a date; write YYYY-MM-DD (e.g. 2022-01-08). "
               "If a spreadsheet changed it, format the column as text.")
    check.flag((given & shaped & ~real)[cells.codes], col.name, "is not a real calendar date.")
    days = (parsed.to_numpy(dtype="datetime64[D]") - EPOCH).astype("timedelta64[D]").astype(np.int64)
    return np.where(real, days, -1).astype(np.int32)[cells.codes]


def url(check: Checker, col: Column) -> Coded:
    """An ``http``/``https`` link; ``""`` where empty or bad."""
    cells = check.distinct(col.name)
    ok = _matching(cells.values, _PLAIN_LINK)  # most links; the others get the full check
    rest = np.flatnonzero(~ok)
    ok[rest] = _each(cells.values[rest], is_web_link)
    check.flag(((cells.values != "") & ~ok)[cells.codes], col.name,
               "is not a web link; only http:// and https:// links are allowed.")
    return Coded(cells.codes, np.where(ok, cells.values, "").astype(object))


def is_web_link(link: str) -> bool:
    if not link:
        return False
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        c.isspace() or c in "<>\"'`" for c in link
    )


#: The check of each kind of column.
CHECKS: dict[str, Callable[[Checker, Column], object]] = {
    "name": name, "text": text, "free_text": free_text, "latitude": latitude, "longitude": longitude,
    "number": number, "count": count, "choice": choice, "tags": tags, "date": date, "url": url, "list": text,
}
