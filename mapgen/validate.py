"""Checking every cell of a places table and grouping rows into places.

All problems are collected and raised at once as one :class:`DataError`, each
naming the file, line, column and value, and saying what to write instead.
Checks are vectorised with pandas so a 100,000-row export stays fast.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .config import Config, load_config
from .dataset import DATE_PRECISIONS, DEFAULT_RADIUS_M, PRECISIONS, STATUSES, Dataset
from .errors import DataError, Problem
from .read import RawTable, read_table
from .taxonomy import load_taxonomy, unknown_tag_message

_NUMBER = r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*"
_DATE = r"\d{4}-\d{2}-\d{2}"


def load(path: str | Path, encoding: str | None = None, config: Config | None = None) -> Dataset:
    """Read and check a places CSV; raise :class:`DataError` listing every problem."""
    raw = read_table(path, encoding)
    return validate(raw, config if config is not None else load_config(path))


class _Checker:
    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.where = str(raw.path)
        self.lines = np.asarray(raw.lines, dtype=np.int64)
        self.problems: list[Problem] = []

    def flag(self, mask: pd.Series, column: str, values: pd.Series, message: str) -> None:
        """Record a problem for every row where ``mask`` is true."""
        positions = np.flatnonzero(mask.to_numpy())
        for pos in positions:
            self.problems.append(
                Problem(self.where, int(self.lines[pos]), column, str(values.iloc[pos]), message)
            )

    def column(self, name: str) -> pd.Series:
        return self.raw.frame[name].astype(str).str.strip()


def _numbers(check: _Checker, name: str, low: float, high: float, what: str) -> pd.Series:
    text = check.column(name)
    if check.raw.delimiter == ";":  # German Excel writes decimal commas; unambiguous here
        text = text.str.replace(",", ".", regex=False)
    given = text != ""
    numeric = text.str.fullmatch(_NUMBER)
    check.flag(given & ~numeric, name, check.column(name),
               f"is not a number; write {what} as a decimal number like 43.2565.")
    values = pd.to_numeric(text.where(given & numeric), errors="coerce")
    check.flag(given & numeric & ((values < low) | (values > high)), name, check.column(name),
               f"is not a {what} ({low:g}..{high:g}).")
    return values.where((values >= low) & (values <= high))


def _choice(check: _Checker, name: str, allowed: tuple[str, ...], default: str) -> pd.Series:
    text = check.column(name).str.lower()
    bad = (text != "") & ~text.isin(allowed)
    check.flag(bad, name, check.column(name), f"is not one of: {', '.join(allowed)}.")
    return text.mask(text == "", default)


def _tags(check: _Checker) -> pd.Series:
    taxonomy = load_taxonomy()
    text = check.column("incidents")
    split = text.str.lower().str.split(";")
    tags = split.map(lambda items: [t.strip() for t in items if t.strip()])
    flat = tags.explode()
    unknown = flat[flat.notna() & ~flat.isin(list(taxonomy))]
    for pos, tag in unknown.items():
        line = int(check.lines[pos])
        parts = [p.strip() for p in tag.replace("/", ",").split(",")]
        if len(parts) > 1 and all(p in taxonomy for p in parts):
            msg = "holds several types; separate them with ';' (e.g. gunfire;arson)."
        else:
            msg = unknown_tag_message(tag)
        check.problems.append(Problem(check.where, line, "incidents", tag, msg))
    return tags.map(lambda items: list(dict.fromkeys(items)))


def _dates(check: _Checker) -> pd.Series:
    text = check.column("date")
    given = text != ""
    shaped = text.str.fullmatch(_DATE)
    parsed = pd.to_datetime(text.where(given & shaped), format="%Y-%m-%d", errors="coerce")
    check.flag(given & ~shaped, "date", text,
               "is not a date; write YYYY-MM-DD (e.g. 2022-01-08). "
               "If a spreadsheet changed it, format the column as text.")
    check.flag(given & shaped & parsed.isna(), "date", text, "is not a real calendar date.")
    return text.where(parsed.notna(), "")


def _urls(check: _Checker) -> pd.Series:
    text = check.column("url")
    given = text != ""
    ok = text.map(_is_web_link)
    check.flag(given & ~ok, "url", text,
               "is not a web link; only http:// and https:// links are allowed.")
    return text.where(ok, "")


def _is_web_link(url: str) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and not any(
        c.isspace() or c in "<>\"'`" for c in url
    )


def validate(raw: RawTable, config: Config | None = None) -> Dataset:
    """Check every cell of ``raw`` and group rows into places."""
    check = _Checker(raw)
    frame = raw.frame
    place = check.column("place")
    check.flag(place == "", "place", place, "is empty; every row needs the name of a place.")

    lat = _numbers(check, "lat", -90, 90, "latitude")
    lon = _numbers(check, "lon", -180, 180, "longitude")
    lat_given, lon_given = check.column("lat") != "", check.column("lon") != ""
    check.flag(lat_given & ~lon_given, "lon", check.column("lon"),
               "is empty but 'lat' is given; give both coordinates or neither.")
    check.flag(lon_given & ~lat_given, "lat", check.column("lat"),
               "is empty but 'lon' is given; give both coordinates or neither.")

    radius = (_numbers(check, "radius_m", 0, 2_000_000, "radius in metres")
              if "radius_m" in frame.columns else pd.Series(np.nan, index=frame.index))
    precision_given = check.column("precision") != ""
    precision = _choice(check, "precision", PRECISIONS, "approximate")
    tags = _tags(check)
    date = _dates(check)
    date_precision = _choice(check, "date_precision", DATE_PRECISIONS, "day")
    date_precision = date_precision.where(date != "", "")
    status = _choice(check, "status", STATUSES, "reported")
    url = _urls(check)

    incidents = pd.DataFrame({
        "place": place,
        "tags": tags,
        "date": date,
        "date_precision": date_precision,
        "status": status,
        "summary": check.column("summary"),
        "source": check.column("source"),
        "url": url,
        "line": check.lines,
    })
    for extra in ("fatalities", "event_id"):
        if extra in frame.columns:
            incidents[extra] = check.column(extra)

    per_row = pd.DataFrame({
        "place": place,
        "address": check.column("address"),
        "lat": lat.where(lat_given & lon_given),
        "lon": lon.where(lat_given & lon_given),
        "precision": precision.where(precision_given, ""),
        "radius_m": radius,
        "aliases": check.column("aliases"),
        "line": check.lines,
    })
    places = _group_places(check, per_row[place != ""])
    _check_duplicates(check, incidents)
    if check.problems:
        raise DataError(check.problems, hint=f"Fix these in {Path(raw.path).name} and run again.")

    index = pd.Index(places["place"])
    incidents["place_idx"] = index.get_indexer(incidents["place"])
    return Dataset(path=Path(raw.path), places=places, incidents=incidents.reset_index(drop=True),
                   config=config or Config())


def _group_places(check: _Checker, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per place; conflicting location cells on two lines are problems."""
    grouped = rows.groupby("place", sort=False)
    first = grouped.first()  # first non-null per column
    for column in ("lat", "lon", "precision", "address", "radius_m"):
        values = rows[column]
        present = values.notna() & (values.astype(str) != "")
        counts = rows[present].groupby("place", sort=False)[column].nunique()
        for name in counts[counts > 1].index:
            group = rows[(rows["place"] == name) & present]
            base = group.iloc[0]
            for _, other in group.iloc[1:].iterrows():
                if other[column] != base[column]:
                    check.problems.append(Problem(
                        check.where, int(other["line"]), column, _cell(other[column]),
                        f"conflicts with line {int(base['line'])} ({_cell(base[column])!r}) for place "
                        f"{name!r}. One place has one location: make the cells equal or leave this one empty.",
                    ))
    aliases = grouped["aliases"].agg(
        lambda cells: list(dict.fromkeys(a.strip() for c in cells for a in c.split(";") if a.strip()))
    )
    places = pd.DataFrame({
        "place": first.index,
        "address": first["address"].to_numpy(),
        "lat": first["lat"].to_numpy(dtype=float),
        "lon": first["lon"].to_numpy(dtype=float),
        "precision": first["precision"].replace("", "approximate").to_numpy(),
        "radius_m": first["radius_m"].to_numpy(dtype=float),
        "aliases": aliases.reindex(first.index).to_numpy(),
        "line": grouped["line"].min().reindex(first.index).to_numpy(),
    })
    default_radius = places["precision"].map(DEFAULT_RADIUS_M).astype(float)
    places["radius_m"] = places["radius_m"].fillna(default_radius)
    places["loc_source"] = np.where(places["lat"].notna(), "manual", "")
    return places


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _check_duplicates(check: _Checker, incidents: pd.DataFrame) -> None:
    """Two rows with the same cells would count one incident twice."""
    key = check.raw.frame.apply(lambda col: col.astype(str).str.strip())
    key["incidents"] = incidents["tags"].map(";".join)
    dup = key.duplicated(keep=False)
    if not dup.any():
        return
    firsts: dict[tuple, int] = {}
    for pos in np.flatnonzero(dup.to_numpy()):
        row = tuple(key.iloc[pos])
        line = int(check.lines[pos])
        if row not in firsts:
            firsts[row] = line
            continue
        check.problems.append(Problem(
            check.where, line, None, None,
            f"repeats line {firsts[row]} cell for cell, which would count one incident twice; "
            "delete one of the two rows.",
        ))
