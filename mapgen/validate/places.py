"""Rows grouped into places, and the checks across rows: one location per place, no row twice.

Both work chunk by chunk (:mod:`mapgen.read.chunks`): a :class:`PlaceBook`
keeps, for each place, the first filled cell of each of its columns and the
line it came from; a later different cell is a conflict. :class:`Repeats`
keeps a 128-bit fingerprint of each row's cells, so two rows equal cell for
cell are found without keeping the rows.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import Problem
from .cells import Checker, Coded


#: The columns that say where a place is.
LOCATION = ("address", "lat", "lon", "precision", "radius_m")


class PlaceBook:
    """The places of a file in the order of first mention, with the columns each place has once.

    Per place, the first value of each column and its line are kept in
    arrays, so a chunk's rows are compared with them by numpy, without a
    Python step per row.
    """

    def __init__(self, where: str, single: tuple[str, ...]) -> None:
        self.where = where
        self.single = single           # columns with one value per place (lat, lon, precision, address…)
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.lines = np.zeros(0, np.int64)  # the first line of each place (0: none yet)
        self.first: dict[str, np.ndarray] = {c: np.empty(0, object) for c in single}  # None: not given yet
        self.first_line: dict[str, np.ndarray] = {c: np.zeros(0, np.int64) for c in single}
        self.aliases: list[dict[str, None]] = []
        self.problems: list[Problem] = []

    def add(self, check: Checker, names: Coded, named: np.ndarray, values: dict[str, Any]) -> np.ndarray:
        """Take a chunk's rows; return each row's place (-1 where the place cell is empty)."""
        written = names.values.tolist()
        known = self.index.get
        local = np.fromiter((known(name, -1) for name in written), dtype=np.int64, count=len(written))
        for k in np.flatnonzero(local < 0).tolist():  # the place of each distinct name: new ones
            name = written[k]
            if name == "":
                continue
            local[k] = self.index[name] = len(self.names)
            self.names.append(name)
            self.aliases.append({})
        self._grow(len(self.names))
        place_of = local[names.codes]
        rows = np.flatnonzero(named)
        seen, at = np.unique(place_of[rows], return_index=True)
        fresh = self.lines[seen] == 0
        self.lines[seen[fresh]] = check.lines[rows[at[fresh]]]
        for column in self.single:
            self._take(column, place_of, rows, values[column], check)
        self._aliases(place_of, rows, values["aliases"])
        return place_of

    def _grow(self, places: int) -> None:
        """Room in the per-place arrays for ``places`` places."""
        self.lines = _room(self.lines, places, 0)
        for column in self.single:
            self.first[column] = _room(self.first[column], places, None)
            self.first_line[column] = _room(self.first_line[column], places, 0)

    def _take(self, column: str, place_of: np.ndarray, rows: np.ndarray, given: Any, check: Checker) -> None:
        """The first value of ``column`` per place; every other value on a later row is a conflict."""
        if isinstance(given, Coded):  # text: codes into distinct cells, "" for missing
            codes, value_of = given.codes[rows], given.values
            present = (value_of != "")[codes]
        else:  # numbers per row: NaN for missing
            codes, value_of = pd.factorize(given[rows], sort=False, use_na_sentinel=True)
            present, value_of = codes >= 0, np.asarray(value_of, dtype=object)
        at = np.flatnonzero(present)
        if not len(at):
            return
        places, value = place_of[rows][at], value_of[codes[at]]
        first, first_line = self.first[column], self.first_line[column]
        # places given this column for the first time take the value of their first row
        fresh = np.flatnonzero(np.equal(first[places], None))
        if len(fresh):
            taken, where = np.unique(places[fresh], return_index=True)
            first[taken] = value[fresh[where]]
            first_line[taken] = check.lines[rows[at[fresh[where]]]]
        # every row whose value is not its place's first is a conflict
        for j in np.flatnonzero(value != first[places]).tolist():
            place = int(places[j])
            one = "one location" if column in LOCATION else "one value in this column"
            self.problems.append(Problem(
                self.where, int(check.lines[rows[at[j]]]), column, _cell(value[j]),
                f"conflicts with line {int(first_line[place])} ({_cell(first[place])!r}) for place "
                f"{self.names[place]!r}. One place has {one}: make the cells equal or leave this one empty."))

    def _aliases(self, place_of: np.ndarray, rows: np.ndarray, given: Coded) -> None:
        """The other names of each place in the order written, without repeats."""
        codes = given.codes[rows]
        filled = (given.values != "")[codes]
        if not filled.any():
            return
        at = np.flatnonzero(filled)
        places = place_of[rows][at]
        width = len(given.values) + 1
        pairs, first = np.unique(places.astype(np.int64) * width + codes[at], return_index=True)
        for pair in pairs[np.argsort(first, kind="stable")].tolist():
            place, code = divmod(pair, width)
            self.aliases[place].update(dict.fromkeys(a.strip() for a in given.values[code].split(";") if a.strip()))

    def frame(self) -> pd.DataFrame:
        """One row per place: its name, its columns, its aliases and first line (text as plain objects)."""
        places = pd.DataFrame({"place": pd.Series(self.names, dtype=object)})
        for column in self.single:
            values = self.first[column][:len(self.names)].tolist()
            if column in ("lat", "lon", "radius_m") or any(isinstance(v, float) for v in values):
                places[column] = np.array([np.nan if v is None else v for v in values], dtype=float)
            else:
                places[column] = pd.Series(["" if v is None else v for v in values], dtype=object)
        aliases = np.empty(len(self.names), dtype=object)
        for k, found in enumerate(self.aliases):  # one by one: numpy would make equal lists a 2-D array
            aliases[k] = list(found)
        places["aliases"] = pd.Series(aliases, dtype=object)
        places["line"] = self.lines[:len(self.names)].copy()
        return places


def _room(array: np.ndarray, size: int, fill: Any) -> np.ndarray:
    """``array`` with room for ``size`` entries, new ones ``fill`` (doubling, so growing costs little)."""
    if len(array) >= size:
        return array
    return np.concatenate((array, np.full(max(size, 2 * len(array)) - len(array), fill, dtype=array.dtype)))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Repeats:
    """Rows that repeat an earlier row cell for cell (which would count one incident twice).

    Each row gets a 128-bit fingerprint of its cells, free texts aside
    (computed once per distinct cell); rows that share one are then compared
    by their free texts (the summary), read back from the text store.
    """

    KEYS = ("mapgen-repeats-1", "mapgen-repeats-2")

    def __init__(self, where: str) -> None:
        self.where = where
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, check: Checker, tagsets: np.ndarray) -> None:
        """Fingerprint a chunk's rows: every cell stripped but the free texts; the types as read (``tagsets``)."""
        chunk = check.chunk
        prints = [tagsets.astype(np.uint64) for _ in self.KEYS]
        named = [(name, check.distinct(name)) for name in chunk.columns
                 if name != "incidents" and name not in check.free_text]
        named += [(None, Coded(c.codes, stripped_cells(c.distinct))) for c in chunk.repeated.values()]
        for _, cells in named:
            for k, key in enumerate(self.KEYS):
                hashed = (pd.util.hash_array(cells.values, hash_key=key, categorize=False) if len(cells.values)
                          else np.zeros(0, dtype=np.uint64))
                prints[k] = prints[k] * np.uint64(1000003) ^ hashed[cells.codes]
        self.parts.append((prints[0], prints[1], check.lines))

    def problems(self, free_texts: Callable[[np.ndarray], list[tuple[bytes, ...]]]) -> list[Problem]:
        """Every row that repeats an earlier one; ``free_texts(rows)`` gives the rows' free texts to compare."""
        if not self.parts:
            return []
        first, second, lines = (np.concatenate(p) for p in zip(*self.parts))
        candidates = np.flatnonzero(pd.Series(first).duplicated(keep=False).to_numpy())  # hashed, not sorted
        if not len(candidates):
            return []
        seen: dict[tuple, int] = {}
        out = []
        for row, texts in zip(candidates.tolist(), free_texts(candidates)):
            key = (int(first[row]), int(second[row]), texts)
            if key not in seen:
                seen[key] = row
                continue
            out.append(Problem(self.where, int(lines[row]), None, None,
                               f"repeats line {int(lines[seen[key]])} cell for cell, which would count one "
                               "incident twice; delete one of the two rows."))
        return out


def stripped_cells(values: np.ndarray) -> np.ndarray:
    from .cells import stripped

    return stripped(values)
