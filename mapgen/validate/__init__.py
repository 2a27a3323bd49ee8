"""Checking a places table: every cell by its column's kind, then rows grouped into places.

All problems are collected and raised at once as one :class:`DataError`, each
naming the file, line, column and value, and saying what to write instead.
The columns and their kinds are data (:mod:`mapgen.columns`); the checks of
each kind are in :mod:`.cells`, the checks across rows in :mod:`.places`.
Checks are vectorised with pandas so a 100,000-row export stays fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..columns import Column, columns
from ..config import Config, load_config
from ..dataset import DEFAULT_RADIUS_M, Dataset
from ..errors import DataError
from ..read import RawTable, gc_paused, read_table
from .cells import CHECKS, Checker
from .places import check_duplicates, group_places

__all__ = ["load", "validate"]


def load(path: str | Path, encoding: str | None = None, config: Config | None = None) -> Dataset:
    """Read and check a places CSV; raise :class:`DataError` listing every problem."""
    raw = read_table(path, encoding)
    return validate(raw, config if config is not None else load_config(path))


def validate(raw: RawTable, config: Config | None = None) -> Dataset:
    """Check every cell of ``raw`` and group rows into places."""
    with gc_paused():  # many small lists are made and all of them are kept
        return _validate(raw, config)


def _validate(raw: RawTable, config: Config | None) -> Dataset:
    table = [c for c in columns().values() if c.name in raw.frame.columns]
    check = Checker(raw, free_text=frozenset(c.name for c in table if c.kind == "free_text"))
    values = {c.name: CHECKS[c.kind](check, c) for c in table}
    _check_pairs(check)

    index = raw.frame.index
    date = values["date"]
    incidents = pd.DataFrame({"place": values["place"]})
    for col in table:
        if col.level == "incident":
            incidents[col.name] = _series(values[col.name], col, index)
    incidents = incidents.rename(columns={"incidents": "tags"})
    incidents["date_precision"] = np.where(date != "", _defaulted(values["date_precision"], "date_precision"), "")
    incidents["status"] = _defaulted(values["status"], "status")
    incidents["line"] = check.lines

    located = (check.cells("lat") != "") & (check.cells("lon") != "")
    per_row = pd.DataFrame({"place": values["place"]}, index=index)
    single = tuple(c.name for c in table if c.level == "place" and c.name not in ("place", "aliases"))
    for name in single:
        per_row[name] = _series(values[name], columns()[name], index)
    for name in ("lat", "lon"):
        per_row[name] = np.where(located, per_row[name], np.nan)
    per_row["aliases"] = values["aliases"]
    per_row["line"] = check.lines
    named = check.cells("place") != ""
    codes = check.distinct("place")[0] if named.all() else None
    places = group_places(check, per_row if codes is not None else per_row[named], codes, single)
    check_duplicates(check, incidents["tags"], tuple(c.name for c in table if c.kind not in (
        "free_text", "tags", "list", "count") and c.core))
    if check.problems:
        raise DataError(check.problems, hint=f"Fix these in {Path(raw.path).name} and run again.")

    places["precision"] = _defaulted(places["precision"].to_numpy(dtype=object), "precision")
    if "radius_m" not in places:
        places["radius_m"] = np.nan
    places["radius_m"] = places["radius_m"].fillna(places["precision"].map(DEFAULT_RADIUS_M).astype(float))
    places["loc_source"] = np.where(places["lat"].notna(), "manual", "")
    incidents["place_idx"] = codes  # every row names a place, so places are numbered as first named
    return Dataset(path=Path(raw.path), places=places, incidents=incidents.reset_index(drop=True),
                   config=config or Config())


def _check_pairs(check: Checker) -> None:
    """Coordinates come in pairs."""
    lat_given, lon_given = check.cells("lat") != "", check.cells("lon") != ""
    check.flag(lat_given & ~lon_given, "lon", check.column("lon"),
               "is empty but 'lat' is given; give both coordinates or neither.")
    check.flag(lon_given & ~lat_given, "lat", check.column("lat"),
               "is empty but 'lon' is given; give both coordinates or neither.")


def _defaulted(values: np.ndarray, name: str) -> np.ndarray:
    """A choice column with its default where the cell was empty."""
    return np.where(values == "", columns()[name].default, values).astype(object)


def _series(values: object, col: Column, index: pd.Index) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if col.kind == "tags":
        return pd.Series(values, index=index, dtype=object)
    if col.kind == "count":  # whole numbers; <NA> where empty
        return pd.Series(pd.array(np.asarray(values), dtype="Int64"), index=index)
    array = np.asarray(values)
    return pd.Series(array, index=index, dtype=float if array.dtype.kind == "f" else str)
