"""Rows grouped into places, and the checks across rows: one location per place, no row twice."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem
from .cells import Checker, stripped


def group_places(check: Checker, rows: pd.DataFrame, codes: np.ndarray | None,
                 single: tuple[str, ...]) -> pd.DataFrame:
    """One row per place; a column of ``single`` with two different cells for one place is a problem.

    A place takes the first value of each column that is not missing; aliases
    are merged. ``codes`` numbers the place of each row in order of first
    mention, if known.
    """
    if codes is None:
        codes, names = pd.factorize(rows["place"].to_numpy(dtype=object), sort=False)
    else:
        names = check.distinct("place")[1]
    first: dict[str, np.ndarray] = {}
    for column in single:
        values = rows[column].to_numpy()
        present = ~np.isnan(values) if values.dtype.kind == "f" else pd.notna(values) & (values != "")
        at = np.flatnonzero(present)
        place_codes = codes[at]
        value_codes, distinct = pd.factorize(values[at], sort=False)
        pairs = np.unique(place_codes.astype(np.int64) * (len(distinct) + 1) + value_codes)
        per_place = np.bincount(pairs // (len(distinct) + 1), minlength=len(names))
        found, first_at = np.unique(place_codes, return_index=True)
        take = np.full(len(names), -1, dtype=np.int64)
        take[found] = at[first_at]
        first[column] = take
        conflicts = np.flatnonzero(per_place > 1)
        if len(conflicts):  # reported in order of the place's first line with this cell
            conflicts = sorted(conflicts, key=lambda k: take[k])
        for k in conflicts:
            _report_conflicts(check, rows[(codes == k) & present], column, names[k])
    places = pd.DataFrame({"place": pd.Index(names, dtype=str)})
    for column in single:
        places[column] = _taken(rows[column], first[column])
    places["aliases"] = aliases(rows, codes, len(names))
    places["line"] = rows["line"].groupby(codes).min().to_numpy()
    return places


def _report_conflicts(check: Checker, group: pd.DataFrame, column: str, name: str) -> None:
    base = group.iloc[0]
    for _, other in group.iloc[1:].iterrows():
        if other[column] != base[column]:
            check.problems.append(Problem(
                check.where, int(other["line"]), column, _cell(other[column]),
                f"conflicts with line {int(base['line'])} ({_cell(base[column])!r}) for place "
                f"{name!r}. One place has one location: make the cells equal or leave this one empty.",
            ))


def _taken(values: pd.Series, take: np.ndarray) -> np.ndarray:
    """``values`` at the positions ``take``; missing (NaN, or "" for text) where ``take`` is -1."""
    if values.dtype.kind == "f":
        return values.array.take(take, allow_fill=True).to_numpy().astype(float)
    return values.array.take(take, allow_fill=True, fill_value="").to_numpy(dtype=object)


def aliases(rows: pd.DataFrame, codes: np.ndarray, count: int) -> np.ndarray:
    """The aliases of each place in the order written, without repeats."""
    cells = rows["aliases"].to_numpy(dtype=object)
    filled = np.flatnonzero(cells != "")
    found: list[dict[str, None]] = [{} for _ in range(count)]
    # each distinct (place, cell) pair once, in order of first appearance
    pairs = pd.Index(codes[filled].astype(np.int64) * (len(cells) + 1) + pd.factorize(cells[filled], sort=False)[0])
    for pos in filled[~pairs.duplicated()].tolist():
        found[codes[pos]].update(dict.fromkeys(a.strip() for a in cells[pos].split(";") if a.strip()))
    out = np.empty(count, dtype=object)
    for k, names in enumerate(found):  # one by one: numpy would make lists of equal length a 2-D array
        out[k] = list(names)
    return out


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_duplicates(check: Checker, tags: pd.Series, prefilter: tuple[str, ...]) -> None:
    """Two rows with the same cells would count one incident twice.

    ``prefilter`` names columns whose distinct values are known already: rows
    equal in every cell are equal in these, so only such rows are compared cell by cell.
    """
    near = pd.DataFrame({name: check.distinct(name)[0] for name in prefilter})
    rows = np.flatnonzero(near.duplicated(keep=False).to_numpy())
    if not len(rows):
        return
    frame = check.raw.frame.iloc[rows]
    names = list(frame.columns)
    key = pd.DataFrame({k: check.column(name).iloc[rows] if names.count(name) == 1
                        else pd.Series(stripped(frame.iloc[:, k]), index=frame.index, dtype=str)
                        for k, name in enumerate(names)})
    key.columns = frame.columns
    key["incidents"] = tags.iloc[rows].map(";".join)
    dup = key.duplicated(keep=False).to_numpy()
    firsts: dict[tuple, int] = {}
    for at in np.flatnonzero(dup):
        row = tuple(key.iloc[at])
        line = int(check.lines[rows[at]])
        if row not in firsts:
            firsts[row] = line
            continue
        check.problems.append(Problem(
            check.where, line, None, None,
            f"repeats line {firsts[row]} cell for cell, which would count one incident twice; "
            "delete one of the two rows.",
        ))
