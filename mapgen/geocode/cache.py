"""The geocoding cache: a CSV file a person can read, diff and commit.

``geocache.csv`` lives beside ``places.csv``. Each row is one finished lookup:
the query as written, the service that answered, the country codes and
viewbox it was biased with, what the service returned, and when. A row with
empty ``lat``/``lon`` records that the service found nothing, so the query is
not sent again; delete the row to ask again.

A row is found again only for the same service, the same query (compared
case-insensitively, with runs of spaces collapsed), the same country codes and
the same viewbox. Editing a place's address therefore makes a new lookup and a
stale answer is never reused silently.

Every :meth:`GeoCache.put` rewrites the file at once through a temporary file
and :func:`os.replace`, so a run killed halfway loses nothing that was already
looked up, and the file is never half-written.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..atomic import write_atomic
from ..errors import DataError, Problem

CACHE_NAME = "geocache.csv"

#: Columns of geocache.csv, in file order.
CACHE_COLUMNS = (
    "query", "service", "countrycodes", "viewbox", "lat", "lon", "display_name",
    "country_code", "osm_type", "osm_id", "class", "type", "place_rank", "retrieved",
)

Key = tuple[str, str, str, str]


def normalise_query(query: str) -> str:
    """The form of a query used for matching: NFC, case-folded, single spaces."""
    text = unicodedata.normalize("NFC", query)
    return " ".join(text.casefold().split())


def format_countrycodes(codes: Iterable[str]) -> str:
    """Country codes as stored in the cache: lower case, sorted, ``|``-separated."""
    return "|".join(sorted({c.strip().lower() for c in codes if c.strip()}))


def format_viewbox(viewbox: Sequence[float] | None) -> str:
    """A viewbox (west, south, east, north) as stored in the cache, or ''."""
    if not viewbox:
        return ""
    return ",".join(f"{float(v):g}" for v in viewbox)


def cache_key(service: str, query: str, countrycodes: Iterable[str] = (),
              viewbox: Sequence[float] | None = None) -> Key:
    """The identity of a lookup: (service, normalised query, codes, viewbox)."""
    return (service, normalise_query(query), format_countrycodes(countrycodes), format_viewbox(viewbox))


@dataclass(frozen=True)
class CacheEntry:
    """One finished lookup. ``lat``/``lon`` are None when nothing was found."""

    query: str
    service: str
    countrycodes: str = ""
    viewbox: str = ""
    lat: float | None = None
    lon: float | None = None
    display_name: str = ""
    country_code: str = ""
    osm_type: str = ""
    osm_id: str = ""
    osm_class: str = ""
    type: str = ""
    place_rank: int | None = None
    retrieved: str = ""

    @property
    def found(self) -> bool:
        """Whether the service returned a result."""
        return self.lat is not None and self.lon is not None

    @property
    def key(self) -> Key:
        """The cache key of this entry."""
        return (self.service, normalise_query(self.query), self.countrycodes, self.viewbox)

    def to_row(self) -> dict[str, str]:
        """The entry as a geocache.csv row (all strings)."""
        row = {k: ("" if v is None else str(v)) for k, v in asdict(self).items()}
        row["class"] = row.pop("osm_class")
        if self.lat is not None and self.lon is not None:
            row["lat"], row["lon"] = f"{self.lat:.7f}", f"{self.lon:.7f}"
        return {c: row[c] for c in CACHE_COLUMNS}


def utc_now() -> datetime:
    """The default wall clock of the cache: now, in UTC."""
    return datetime.now(timezone.utc)


class GeoCache:
    """Lookups saved in a CSV file; see the module docstring.

    ``now`` is the wall clock used for the ``retrieved`` column (injected so
    tests get fixed timestamps).
    """

    def __init__(self, path: str | Path, *, now: Callable[[], datetime] = utc_now) -> None:
        self.path = Path(path)
        self.now = now
        self._entries: dict[Key, CacheEntry] = {}
        if self.path.exists():
            self._entries = {e.key: e for e in _read(self.path)}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(sorted(self._entries.values(), key=_sort_key))

    def get(self, key: Key) -> CacheEntry | None:
        """The saved lookup for ``key``, or None."""
        return self._entries.get(key)

    def put(self, entry: CacheEntry) -> CacheEntry:
        """Save ``entry`` (stamping ``retrieved`` if empty) and rewrite the file now."""
        if not entry.retrieved:
            stamp = self.now().astimezone(timezone.utc).replace(microsecond=0)
            entry = _replace(entry, retrieved=stamp.isoformat().replace("+00:00", "Z"))
        self._entries[entry.key] = entry
        self.save()
        return entry

    def save(self) -> None:
        """Write every entry, sorted, to the file atomically."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CACHE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in self:
            writer.writerow(entry.to_row())
        write_atomic(self.path, buffer.getvalue().encode("utf-8"))


def _sort_key(entry: CacheEntry) -> tuple[str, ...]:
    return (entry.service, entry.countrycodes, entry.viewbox, normalise_query(entry.query), entry.query)


def _replace(entry: CacheEntry, **changes: object) -> CacheEntry:
    values = {f.name: getattr(entry, f.name) for f in fields(entry)}
    values.update(changes)
    return CacheEntry(**values)  # type: ignore[arg-type]


def _read(path: Path) -> list[CacheEntry]:
    """Parse geocache.csv; report every bad row with its line."""
    where = str(path)
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(where, 0, None, None, f"is not UTF-8 ({exc.reason}).")],
                        hint="Delete the file to start a fresh geocoding cache.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("query", "service", "lat", "lon") if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError([Problem(where, 1, None, None, f"is missing the column(s) {', '.join(missing)}.")],
                        hint="Delete the file to start a fresh geocoding cache.")
    entries: list[CacheEntry] = []
    problems: list[Problem] = []
    previous_end = 1
    for row in reader:
        line, previous_end = previous_end + 1, reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        try:
            entries.append(_entry_from_row(cells))
        except ValueError as exc:
            column, value, message = exc.args
            problems.append(Problem(where, line, column, value, message))
    if problems:
        raise DataError(problems, hint="Fix the rows, or delete them to look those places up again.")
    return entries


def _entry_from_row(cells: dict[str, str]) -> CacheEntry:
    if not cells.get("query"):
        raise ValueError("query", None, "is empty.")
    if not cells.get("service"):
        raise ValueError("service", None, "is empty.")
    lat, lon = cells.get("lat", ""), cells.get("lon", "")
    if bool(lat) != bool(lon):
        raise ValueError("lat" if not lat else "lon", None, "is empty but the other coordinate is not.")
    coords: list[float | None] = [None, None]
    for i, (name, value, limit) in enumerate((("lat", lat, 90), ("lon", lon, 180))):
        if value:
            try:
                number = float(value)
            except ValueError:
                raise ValueError(name, value, "is not a number.") from None
            if not -limit <= number <= limit:
                raise ValueError(name, value, f"is out of range (-{limit}..{limit}).")
            coords[i] = number
    rank = cells.get("place_rank", "")
    try:
        place_rank = int(rank) if rank else None
    except ValueError:
        raise ValueError("place_rank", rank, "is not a whole number.") from None
    return CacheEntry(
        query=cells["query"], service=cells["service"],
        countrycodes=format_countrycodes(cells.get("countrycodes", "").split("|")),
        viewbox=cells.get("viewbox", ""), lat=coords[0], lon=coords[1],
        display_name=cells.get("display_name", ""), country_code=cells.get("country_code", "").lower(),
        osm_type=cells.get("osm_type", ""), osm_id=cells.get("osm_id", ""),
        osm_class=cells.get("class", ""), type=cells.get("type", ""),
        place_rank=place_rank, retrieved=cells.get("retrieved", ""),
    )
