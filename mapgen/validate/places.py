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
    """The places of a file in the order of first mention, with the columns each place has once."""

    def __init__(self, where: str, single: tuple[str, ...]) -> None:
        self.where = where
        self.single = single           # columns with one value per place (lat, lon, precision, address…)
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.lines: list[int] = []     # the first line of each place
        self.first: dict[str, list[Any]] = {c: [] for c in single}        # None: not given yet
        self.first_line: dict[str, list[int]] = {c: [] for c in single}
        self.aliases: list[dict[str, None]] = []
        self.problems: list[Problem] = []

    def add(self, check: Checker, names: Coded, named: np.ndarray, values: dict[str, Any]) -> np.ndarray:
        """Take a chunk's rows; return each row's place (-1 where the place cell is empty)."""
        local = np.full(len(names.values), -1, dtype=np.int64)  # the place of each distinct name
        for k, name in enumerate(names.values.tolist()):
            if name == "":
                continue
            place = self.index.get(name)
            if place is None:
                place = self.index[name] = len(self.names)
                self.names.append(name)
                self.lines.append(0)
                self.aliases.append({})
                for column in self.single:
                    self.first[column].append(None)
                    self.first_line[column].append(0)
            local[k] = place
        place_of = local[names.codes]
        rows = np.flatnonzero(named)
        new = place_of[rows]
        lines = check.lines[rows]
        order = np.unique(new, return_index=True)
        for place, at in zip(order[0].tolist(), order[1].tolist()):
            if not self.lines[place]:
                self.lines[place] = int(lines[at])
        for column in self.single:
            self._take(column, place_of, rows, values[column], check)
        self._aliases(place_of, rows, values["aliases"])
        return place_of

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
        places, codes = place_of[rows][at], codes[at]
        width = int(codes.max()) + 1
        pairs, first = np.unique(places.astype(np.int64) * width + codes, return_index=True)
        pair_place, pair_value = np.divmod(pairs, width)
        firsts, lines = self.first[column], self.first_line[column]
        # places given this column for the first time take the pair met first
        new = np.array([firsts[q] is None for q in pair_place.tolist()], dtype=bool)
        if new.any():
            candidates = np.flatnonzero(new)
            order = candidates[np.lexsort((first[candidates], pair_place[candidates]))]
            starts = np.r_[True, pair_place[order][1:] != pair_place[order][:-1]]
            for q, v, k in zip(pair_place[order][starts].tolist(), pair_value[order][starts].tolist(),
                               first[order][starts].tolist()):
                firsts[q], lines[q] = value_of[v], int(check.lines[rows[at[k]]])
        # every pair whose value is not its place's first is a conflict, on each of its rows
        known = np.empty(len(pairs), dtype=object)
        known[:] = [firsts[q] for q in pair_place.tolist()]
        wrong = pairs[value_of[pair_value] != known]
        if not len(wrong):
            return
        for j in np.flatnonzero(np.isin(places.astype(np.int64) * width + codes, wrong)).tolist():
            place, value = int(places[j]), value_of[codes[j]]
            one = "one location" if column in LOCATION else "one value in this column"
            self.problems.append(Problem(
                self.where, int(check.lines[rows[at[j]]]), column, _cell(value),
                f"conflicts with line {lines[place]} ({_cell(firsts[place])!r}) for place "
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
            values = self.first[column]
            if column in ("lat", "lon", "radius_m") or any(isinstance(v, float) for v in values):
                places[column] = np.array([np.nan if v is None else v for v in values], dtype=float)
            else:
                places[column] = pd.Series(["" if v is None else v for v in values], dtype=object)
        aliases = np.empty(len(self.names), dtype=object)
        for k, found in enumerate(self.aliases):  # one by one: numpy would make equal lists a 2-D array
            aliases[k] = list(found)
        places["aliases"] = pd.Series(aliases, dtype=object)
        places["line"] = np.array(self.lines, dtype=np.int64)
        return places


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
