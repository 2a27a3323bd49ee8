"""Checking every cell of a places table and grouping rows into places.

All problems are collected and raised at once as one :class:`DataError`, each
naming the file, line, column and value, and saying what to write instead.
Checks are vectorised with pandas so a 100,000-row export stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .config import Config, load_config
from .dataset import DATE_PRECISIONS, DEFAULT_RADIUS_M, PRECISIONS, STATUSES, Dataset
from .errors import DataError, Problem
from .read import RawTable, gc_paused, read_table, strip_each
from .taxonomy import load_taxonomy, unknown_tag_message

_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Links that certainly pass :func:`_is_web_link` (plain host, printable ASCII
#: without quotes or angle brackets); others get the full check.
_PLAIN_LINK = re.compile(r"https?://[a-z0-9.-]+(?:[/?#][!#-&(-;=?-_a-~]*)?", re.IGNORECASE | re.ASCII)


def load(path: str | Path, encoding: str | None = None, config: Config | None = None) -> Dataset:
    """Read and check a places CSV; raise :class:`DataError` listing every problem."""
    raw = read_table(path, encoding)
    return validate(raw, config if config is not None else load_config(path))


class _Checker:
    """The cells of a raw table, stripped and interned once each, and the problems found."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.where = str(raw.path)
        self.lines = np.asarray(raw.lines, dtype=np.int64)
        self.problems: list[Problem] = []
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
            if name in _FREE_TEXT:
                self._cells[name] = _stripped(self.raw.frame[name])
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
        """Each row's code and the distinct values of :meth:`cells`.

        The columns of a large export repeat themselves (places, dates,
        statuses), so each check runs once per distinct value.
        """
        if name not in self._distinct:
            if name in _FREE_TEXT:
                codes, values = pd.factorize(self.cells(name), sort=False)
            else:  # each distinct cell as written is stripped once
                written_codes, written = pd.factorize(self.raw.frame[name].to_numpy(dtype=object), sort=False,
                                                      use_na_sentinel=False)  # a missing cell is a value too
                codes, values = pd.factorize(_stripped(written), sort=False)
                codes = codes[written_codes]
            self._distinct[name] = (codes, np.asarray(values, dtype=object))
        return self._distinct[name]


#: Columns whose cells seldom repeat: stripping each is cheaper than finding the distinct ones first.
_FREE_TEXT = frozenset({"summary"})


def _stripped(cells: pd.Series | np.ndarray) -> np.ndarray:
    """``cells.astype(str).str.strip()`` as an object array, about three times faster."""
    values = np.asarray(cells, dtype=object)
    try:
        return strip_each(values) if len(values) else np.array([], dtype=object)
    except TypeError:  # a cell that is not text
        return np.array([str(c).strip() for c in values], dtype=object)


def _each(values: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    return np.fromiter((bool(test(v)) for v in values), dtype=bool, count=len(values))


_EXAMPLES = {"latitude": "43.2565", "longitude": "76.9286"}


def _numbers(check: _Checker, name: str, low: float, high: float, what: str) -> np.ndarray:
    codes, text = check.distinct(name)
    if check.raw.delimiter == ";":  # German Excel writes decimal commas; unambiguous here
        text = np.array([t.replace(",", ".") for t in text], dtype=object)
    given = (text != "")[codes]
    numeric_text = _each(text, _NUMBER.fullmatch)
    numeric = numeric_text[codes]
    check.flag(given & ~numeric, name, check.column(name),
               f"is not a number; write {what} as a decimal number with a point, like {_EXAMPLES.get(what, '1500')}.")
    parsed = pd.to_numeric(pd.Series(text, dtype=object).where((text != "") & numeric_text), errors="coerce")
    values = parsed.to_numpy(dtype=float)[codes]
    check.flag(given & numeric & ((values < low) | (values > high)), name, check.column(name),
               f"is not a {what} ({low:g}..{high:g}).")
    return np.where((values >= low) & (values <= high), values, np.nan)


def _choice(check: _Checker, name: str, allowed: tuple[str, ...], default: str) -> np.ndarray:
    codes, text = check.distinct(name)
    lower = np.array([t.lower() for t in text], dtype=object)
    bad = (lower != "") & ~np.isin(lower, allowed)
    check.flag(bad[codes], name, check.column(name), f"is not one of: {', '.join(allowed)}.")
    return np.where(lower == "", default, lower).astype(object)[codes]


def _tags(check: _Checker) -> list[list[str]]:
    taxonomy = load_taxonomy()
    codes, cells = check.distinct("incidents")
    # each distinct cell once: its tags as written, and without repeats
    written = [[t.strip() for t in cell.lower().split(";") if t.strip()] for cell in cells]
    unknown = [[t for t in tags if t not in taxonomy] for tags in written]
    for pos in np.flatnonzero(np.array([bool(u) for u in unknown], dtype=bool)[codes]):
        line = int(check.lines[pos])
        for tag in unknown[codes[pos]]:
            parts = [p.strip() for p in tag.replace("/", ",").split(",")]
            if len(parts) > 1 and all(p in taxonomy for p in parts):
                msg = "holds several types; separate them with ';' (e.g. gunfire;arson)."
            else:
                msg = unknown_tag_message(tag)
            check.problems.append(Problem(check.where, line, "incidents", tag, msg))
    # rows with the same cell share one list: a list per row would be 100,000 more objects to track
    distinct = [list(dict.fromkeys(tags)) for tags in written]
    return [distinct[c] for c in codes.tolist()]


def _dates(check: _Checker) -> np.ndarray:
    codes, text = check.distinct("date")
    given = (text != "")[codes]
    shaped_text = _each(text, _DATE.fullmatch)
    shaped = shaped_text[codes]
    parsed = pd.to_datetime(pd.Series(text, dtype=object).where((text != "") & shaped_text),
                            format="%Y-%m-%d", errors="coerce")
    real_text = parsed.notna().to_numpy()
    real = real_text[codes]
    check.flag(given & ~shaped, "date", check.column("date"),
               "is not a date; write YYYY-MM-DD (e.g. 2022-01-08). "
               "If a spreadsheet changed it, format the column as text.")
    check.flag(given & shaped & ~real, "date", check.column("date"), "is not a real calendar date.")
    return np.where(real_text, text, "").astype(object)[codes]


def _urls(check: _Checker) -> np.ndarray:
    codes, text = check.distinct("url")
    ok_text = _each(text, _is_web_link)
    check.flag((text != "")[codes] & ~ok_text[codes], "url", check.column("url"),
               "is not a web link; only http:// and https:// links are allowed.")
    return np.where(ok_text, text, "").astype(object)[codes]


def _is_web_link(url: str) -> bool:
    if not url:
        return False
    if _PLAIN_LINK.fullmatch(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        c.isspace() or c in "<>\"'`" for c in url
    )


def validate(raw: RawTable, config: Config | None = None) -> Dataset:
    """Check every cell of ``raw`` and group rows into places."""
    with gc_paused():  # many small lists are made and all of them are kept
        return _validate(raw, config)


def _validate(raw: RawTable, config: Config | None) -> Dataset:
    check = _Checker(raw)
    frame = raw.frame
    place = check.column("place")
    named = check.cells("place") != ""
    check.flag(~named, "place", place, "is empty; every row needs the name of a place.")

    lat = _numbers(check, "lat", -90, 90, "latitude")
    lon = _numbers(check, "lon", -180, 180, "longitude")
    lat_given, lon_given = check.cells("lat") != "", check.cells("lon") != ""
    check.flag(lat_given & ~lon_given, "lon", check.column("lon"),
               "is empty but 'lat' is given; give both coordinates or neither.")
    check.flag(lon_given & ~lat_given, "lat", check.column("lat"),
               "is empty but 'lon' is given; give both coordinates or neither.")

    radius = (_numbers(check, "radius_m", 0, 2_000_000, "radius in metres")
              if "radius_m" in frame.columns else np.full(len(frame), np.nan))
    precision_given = check.cells("precision") != ""
    precision = _choice(check, "precision", PRECISIONS, "approximate")
    tags = _tags(check)
    date = _dates(check)
    date_precision = _choice(check, "date_precision", DATE_PRECISIONS, "day")
    date_precision = np.where(date != "", date_precision, "").astype(object)
    status = _choice(check, "status", STATUSES, "reported")
    url = _urls(check)

    index = frame.index
    incidents = pd.DataFrame({
        "place": place,
        "tags": pd.Series(tags, index=index, dtype=object),
        "date": pd.Series(date, index=index, dtype=str),
        "date_precision": pd.Series(date_precision, index=index, dtype=str),
        "status": pd.Series(status, index=index, dtype=str),
        "summary": check.column("summary"),
        "source": check.column("source"),
        "url": pd.Series(url, index=index, dtype=str),
        "line": check.lines,
    })
    for extra in ("fatalities", "event_id"):
        if extra in frame.columns:
            incidents[extra] = check.column(extra)

    located = lat_given & lon_given
    per_row = pd.DataFrame({
        "place": place,
        "address": check.column("address"),
        "lat": np.where(located, lat, np.nan),
        "lon": np.where(located, lon, np.nan),
        "precision": pd.Series(np.where(precision_given, precision, "").astype(object), index=index, dtype=str),
        "radius_m": radius,
        "aliases": check.column("aliases"),
        "line": check.lines,
    }, index=index)
    codes = check.distinct("place")[0] if named.all() else None
    places = _group_places(check, per_row if codes is not None else per_row[named], codes)
    _check_duplicates(check, incidents)
    if check.problems:
        raise DataError(check.problems, hint=f"Fix these in {Path(raw.path).name} and run again.")

    incidents["place_idx"] = codes  # every row names a place, so places are numbered as first named
    return Dataset(path=Path(raw.path), places=places, incidents=incidents.reset_index(drop=True),
                   config=config or Config())


def _group_places(check: _Checker, rows: pd.DataFrame, codes: np.ndarray | None) -> pd.DataFrame:
    """One row per place; conflicting location cells on two lines are problems.

    A place takes the first value of each column that is not missing.
    ``codes`` numbers the place of each row in order of first mention, if known.
    """
    if codes is None:
        codes, names = pd.factorize(rows["place"].to_numpy(dtype=object), sort=False)
    else:
        names = check.distinct("place")[1]
    first: dict[str, np.ndarray] = {}
    for column in ("lat", "lon", "precision", "address", "radius_m"):
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
    places = pd.DataFrame({
        "place": pd.Index(names, dtype=str),
        "address": _taken(rows["address"], first["address"]),
        "lat": _taken(rows["lat"], first["lat"]),
        "lon": _taken(rows["lon"], first["lon"]),
        "precision": np.where(first["precision"] >= 0, _taken(rows["precision"], first["precision"]),
                              "approximate").astype(object),
        "radius_m": _taken(rows["radius_m"], first["radius_m"]),
        "aliases": _aliases(rows, codes, len(names)),
        "line": rows["line"].groupby(codes).min().to_numpy(),
    })
    default_radius = places["precision"].map(DEFAULT_RADIUS_M).astype(float)
    places["radius_m"] = places["radius_m"].fillna(default_radius)
    places["loc_source"] = np.where(places["lat"].notna(), "manual", "")
    return places


def _report_conflicts(check: _Checker, group: pd.DataFrame, column: str, name: str) -> None:
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


def _aliases(rows: pd.DataFrame, codes: np.ndarray, count: int) -> np.ndarray:
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


def _check_duplicates(check: _Checker, incidents: pd.DataFrame) -> None:
    """Two rows with the same cells would count one incident twice."""
    # rows equal in every cell are equal in these (found distinct already): look closer only at such rows
    near = pd.DataFrame({name: check.distinct(name)[0] for name in (
        "place", "date", "status", "source", "lat", "lon", "precision", "date_precision", "url")})
    rows = np.flatnonzero(near.duplicated(keep=False).to_numpy())
    if not len(rows):
        return
    frame = check.raw.frame.iloc[rows]
    names = list(frame.columns)
    key = pd.DataFrame({k: check.column(name).iloc[rows] if names.count(name) == 1
                        else pd.Series(_stripped(frame.iloc[:, k]), index=frame.index, dtype=str)
                        for k, name in enumerate(names)})
    key.columns = frame.columns
    key["incidents"] = incidents["tags"].iloc[rows].map(";".join)
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
