"""Importing an ACLED export (the 31-column CSV from the ACLED data export tool).

Each ACLED event becomes one row of our places file: ``location`` names the
place, ``latitude``/``longitude`` locate it, ``geo_precision`` 1/2/3 becomes
exact/approximate/city, ``time_precision`` 1/2/3 becomes day/week/month, the
``sub_event_type`` (else the ``event_type``) gives the incident type through
the ACLED columns of the taxonomy, ``notes`` is the summary, ``source`` the
source, and ``fatalities`` and ``event_id_cnty`` are kept (``fatalities``,
``event_id``). Events with fatalities are also tagged ``casualties``.

ACLED often uses one location name for several coordinates; since one place
of ours has one location, such names get the admin areas added
("Kharkiv (Kharkivska)"), and if that is not enough, the coordinates.
Importing the same export again adds nothing: events whose ``event_id`` is
already in the file are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .columns import names
from .errors import DataError, MapgenError, Problem
from .read import decode, records
from .taxonomy import load_taxonomy

#: Columns of an ACLED export, in the order of the current layout.
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)
REQUIRED = ("event_id_cnty", "event_date", "location", "latitude", "longitude")
#: Our columns in a new file, with the ACLED values we carry.
OUTPUT_COLUMNS = names(optional=False) + ("fatalities", "event_id")
GEO_PRECISION = {"1": "exact", "2": "approximate", "3": "city"}
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
_COARSER = ("exact", "approximate", "city")
_MONTHS = {m: k for k, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TEXT_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -](\d{4})")


@dataclass
class Event:
    """One checked ACLED event, with the line it starts on."""

    line: int
    event_id: str
    date: str
    date_precision: str
    location: str
    admins: tuple[str, ...]  # admin3, admin2, admin1, country: most specific first
    lat: float
    lon: float
    precision: str
    tags: list[str]
    summary: str
    source: str
    fatalities: str


@dataclass
class ImportResult:
    """What an import produced: our rows and what the user should know."""

    rows: list[dict[str, str]]
    skipped: int = 0  # events already in the target file (or repeated in the export)
    untyped: list[str] = field(default_factory=list)  # ACLED types we cannot map to one tag
    renamed: dict[str, str] = field(default_factory=dict)  # new place name -> ACLED location


def parse_date(text: str) -> str | None:
    """``YYYY-MM-DD`` or ``DD Month YYYY`` (month name or its first three letters) as ISO."""
    from datetime import date

    text = text.strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _TEXT_DATE.fullmatch(text)
        if not match:
            return None
        name = match.group(2).lower()
        month = _MONTHS.get(name) or next(
            (k for m, k in _MONTHS.items() if len(name) == 3 and m.startswith(name)), 0)
        day, year = int(match.group(1)), int(match.group(3))
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=256)
def tag_for(sub_event_type: str, event_type: str) -> str | None:
    """Our tag for an ACLED type: the one tag mapped to the sub-event type, else to the event type."""
    taxonomy = load_taxonomy().values()
    sub, main = sub_event_type.strip().casefold(), event_type.strip().casefold()
    by_sub = [t.tag for t in taxonomy if sub and sub in (s.casefold() for s in t.acled_sub_event_types)]
    if len(by_sub) == 1:
        return by_sub[0]
    by_event = [t.tag for t in taxonomy if main and t.acled_event_type.casefold() == main]
    if len(by_event) == 1:
        return by_event[0]
    # several tags share an ACLED type ("Strategic developments: Other"): only the type fits
    both = [t for t in by_sub if t in by_event]
    return both[0] if len(both) == 1 else None


def read_events(path: str | Path, encoding: str | None = None) -> list[Event]:
    """Read and check an ACLED export; raise :class:`DataError` listing every bad row."""
    path = Path(path)
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MapgenError(f"cannot read {path}: {exc.strerror}.") from None
    text, _ = decode(data, path, encoding)
    rows = records(text)
    try:
        header_line, header = next(rows)
    except (StopIteration, csv.Error):
        raise DataError([Problem(where, 0, None, None,
                                 "is empty or not a CSV file; expected an ACLED export.")]) from None
    header = [c.strip().lower() for c in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError([Problem(where, header_line, None, None,
                                 f"is not an ACLED export: the column(s) {', '.join(missing)} are missing. "
                                 f"Export all columns from ACLED ({', '.join(ACLED_COLUMNS[:5])}, ...).")])
    col = {name: k for k, name in enumerate(header)}
    events: list[Event] = []
    problems: list[Problem] = []
    try:
        for line, record in rows:
            def cell(name: str) -> str:
                k = col.get(name)
                return record[k].strip() if k is not None and k < len(record) else ""
            event, found = _check(cell, line, where)
            problems.extend(found)
            if event is not None:
                events.append(event)
    except csv.Error as exc:
        problems.append(Problem(where, 0, None, None, f"cannot be parsed as CSV: {exc}."))
    if problems:
        raise DataError(problems, hint=f"Fix these rows of {path.name} (or delete them) and import again.")
    return events


def _check(cell, line: int, where: str) -> tuple[Event | None, list[Problem]]:
    problems = []

    def bad(column: str, message: str) -> None:
        problems.append(Problem(where, line, column, cell(column), message))

    if not cell("event_id_cnty"):
        bad("event_id_cnty", "is empty; every ACLED event has an id (e.g. KAZ1234).")
    if not cell("location"):
        bad("location", "is empty; the event needs the name of its location.")
    date = parse_date(cell("event_date"))
    if date is None:
        bad("event_date", "is not a date; ACLED dates look like 2022-01-08 or 08 January 2022.")
    coords = []
    for column, limit, what in (("latitude", 90, "latitude"), ("longitude", 180, "longitude")):
        try:
            value = float(cell(column))
        except ValueError:
            value = float("nan")
        if not (-limit <= value <= limit):
            bad(column, f"is not a {what} (a decimal number from -{limit} to {limit}).")
        coords.append(value)
    precision = GEO_PRECISION.get(cell("geo_precision") or "2")
    if precision is None:
        bad("geo_precision", "is not 1, 2 or 3 (ACLED's geo_precision).")
    date_precision = TIME_PRECISION.get(cell("time_precision") or "1")
    if date_precision is None:
        bad("time_precision", "is not 1, 2 or 3 (ACLED's time_precision).")
    fatalities = cell("fatalities")
    if fatalities and not fatalities.isdigit():
        bad("fatalities", "is not a whole number of people (0 or more).")
    if problems:
        return None, problems
    tags = []
    tag = tag_for(cell("sub_event_type"), cell("event_type"))
    if tag:
        tags.append(tag)
    if fatalities.isdigit() and int(fatalities) > 0 and "casualties" not in tags:
        tags.append("casualties")
    admins = tuple(cell(c) for c in ("admin3", "admin2", "admin1", "country"))
    return Event(line=line, event_id=cell("event_id_cnty"), date=date or "", date_precision=date_precision or "",
                 location=cell("location"), admins=admins, lat=coords[0], lon=coords[1],
                 precision=precision or "", tags=tags, summary=cell("notes"), source=cell("source"),
                 fatalities=fatalities), []


def _coord(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _key(lat: float, lon: float) -> tuple[float, float]:
    return round(lat, 6), round(lon, 6)


def _labels(event: Event) -> list[str]:
    """Names for the place of ``event``, from the plain location to the most specific."""
    name = event.location
    admin3, admin2, admin1, _country = event.admins
    parts = [a for a in (admin3, admin2, admin1) if a and a.casefold() != name.casefold()]
    labels = [name]
    for size in (1, 2, 3):
        chosen = list(dict.fromkeys(parts[-size:]))
        label = f"{name} ({', '.join(chosen)})" if chosen else name
        if label not in labels:
            labels.append(label)
    labels.append(f"{name} ({_coord(event.lat)}, {_coord(event.lon)})")
    return labels


def _shared(location: str, spot: tuple[float, float], taken: dict[str, tuple[float, float] | None]) -> bool:
    """Whether a place named after ``location`` is already somewhere other than ``spot``."""
    return any((name == location or name.startswith(location + " (")) and where != spot
               for name, where in taken.items())


def to_rows(events: list[Event], existing: dict[str, tuple[float, float] | None] | None = None,
            existing_ids: Iterable[str] = ()) -> ImportResult:
    """Our rows for ``events``, fitting a file that already has the places ``existing``.

    ``existing`` maps each place name already in the target file to its
    coordinates (or None); a name is reused only for the same coordinates.
    """
    existing = dict(existing or {})
    taken: dict[str, tuple[float, float] | None] = {k: (_key(*v) if v else None) for k, v in existing.items()}
    seen_ids = set(existing_ids)
    result = ImportResult(rows=[])
    fresh = []
    for event in events:
        if event.event_id in seen_ids:
            result.skipped += 1
            continue
        seen_ids.add(event.event_id)
        fresh.append(event)
    spots: dict[str, set[tuple[float, float]]] = {}
    for event in fresh:
        spots.setdefault(event.location, set()).add(_key(event.lat, event.lon))
    name_of: dict[tuple[str, tuple[float, float]], str] = {}
    coarsest: dict[str, str] = {}
    for event in fresh:
        key = (event.location, _key(event.lat, event.lon))
        if key not in name_of:
            labels = _labels(event)
            label = next((name for name in labels if name in taken and taken[name] == key[1]), None)
            if label is None:  # a new spot
                if len(spots[event.location]) > 1 or _shared(event.location, key[1], taken):
                    labels = labels[1:]  # several spots share the name: qualify every one
                label = next((name for name in labels if name not in taken), labels[-1])
                taken[label] = key[1]
            name_of[key] = label
            if label != event.location:
                result.renamed[label] = event.location
        name = name_of[key]
        old = coarsest.get(name, "exact")
        coarsest[name] = max(old, event.precision, key=_COARSER.index)
    untyped: dict[str, None] = {}
    for event in fresh:
        name = name_of[(event.location, _key(event.lat, event.lon))]
        in_file = name in existing
        result.rows.append({
            "place": name,
            "lat": "" if in_file else _coord(event.lat),
            "lon": "" if in_file else _coord(event.lon),
            "precision": "" if in_file else coarsest[name],
            "incidents": ";".join(event.tags),
            "date": event.date,
            "date_precision": event.date_precision,
            "status": "reported",
            "summary": event.summary,
            "source": event.source,
            "fatalities": event.fatalities,
            "event_id": event.event_id,
        })
        if not event.tags:
            untyped[f"line {event.line} ({event.event_id})"] = None
    result.untyped = list(untyped)
    return result


def import_acled(export: str | Path, out: str | Path = "places.csv", *, append: bool = False,
                 encoding: str | None = None) -> ImportResult:
    """Import the ACLED export ``export`` into the places file ``out``.

    Without ``append``, ``out`` must not exist yet; it is written with our
    columns plus ``fatalities`` and ``event_id``. With ``append`` the events
    are added to ``out`` in its own format (see
    :func:`mapgen.edit.append_rows`), skipping events already there.
    The result is checked like ``mapgen validate`` before it is written.
    """
    from .atomic import write_atomic
    from .edit import append_rows
    from .read import parse_text, read_table
    from .validate import validate

    out = Path(out)
    events = read_events(export, encoding)
    if append and out.exists():
        raw = read_table(out)
        ds = validate(raw)
        places = {row.place: ((row.lat, row.lon) if row.lat == row.lat else None)
                  for row in ds.places.itertuples()}
        ids = [i for i in raw.frame.get("event_id", []) if str(i).strip()]
        result = to_rows(events, places, [str(i).strip() for i in ids])
        append_rows(out, result.rows)  # adds event_id and fatalities to the header if missing
        return result
    if out.exists():
        raise MapgenError(f"{out} already exists; use --append to add the events to it, "
                          "or -o to name a new file.")
    result = to_rows(events)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(result.rows)
    text = buffer.getvalue()
    try:
        validate(parse_text(text, out))
    except DataError as exc:
        raise DataError(exc.problems, hint=f"{out.name} was not written.") from None
    write_atomic(out, text, user_file=True)
    return result
