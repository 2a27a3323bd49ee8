"""Writing geocoded coordinates back into places.csv, changing nothing else.

Also the library side of ``mapgen geocode``: :func:`geocode_csv` runs the
lookups for a CSV, :func:`review_table` prints the fact-checker's table.

Only the empty ``lat``/``lon`` cells of the first row of each place given are filled. Every other
byte stays as it was: the delimiter, the quoting, the encoding and byte-order
mark, the line endings, the column order, even odd spacing. This works on the
raw text (a CSV writer would normalise quoting and line endings), and the file
is replaced atomically, so an interrupted write leaves the old file intact.
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import DataError, Problem
from .atomic import write_atomic
from .geocache import CACHE_NAME, GeoCache, utc_now

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

Span = tuple[int, int]


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_back` changed."""

    rows: int                 # rows whose lat/lon were filled (one per place)
    places: tuple[str, ...]   # places that got coordinates


def format_coordinate(value: float, decimal: str = ".") -> str:
    """A coordinate with at most 6 decimals (about 10 cm), no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", decimal)


def write_back(path: str | Path, coords: Mapping[str, tuple[float, float]],
               *, encoding: str | None = None) -> WriteResult:
    """Fill the empty lat/lon cells of the first row of each place in ``coords``.

    A place with coordinates on any of its rows is left alone (typed-in
    coordinates always win); its other rows stay empty, as the data model allows.
    """
    path = Path(path)
    data = path.read_bytes()
    bom, codec = b"", encoding or "utf-8"
    if encoding is None:
        for mark, name in _BOMS:
            if data.startswith(mark):
                bom, codec = mark, name
                break
    try:
        text = data[len(bom):].decode(codec)
    except UnicodeDecodeError as exc:
        raise DataError([Problem(str(path), 0, None, None, f"cannot be read as {codec}: {exc.reason}.")],
                        hint="Nothing was written.") from None
    delim = _sniff(text)
    records = [r for r in _scan(text, delim) if any(text[a:b].strip() for a, b in r[1])]
    if not records:
        return WriteResult(0, ())
    header = [_value(text, s).strip().lower() for s in records[0][1]]
    missing = [c for c in ("place", "lat", "lon") if c not in header]
    if missing:
        raise DataError([Problem(str(path), records[0][0], None, None,
                                 f"has no column {' or '.join(repr(m) for m in missing)}, so coordinates "
                                 "cannot be written back. Add empty 'lat' and 'lon' columns to the header.")])
    ip, ilat, ilon = header.index("place"), header.index("lat"), header.index("lon")
    decimal = "," if delim == ";" and _uses_decimal_comma(text, records[1:], ilat, ilon) else "."
    first: dict[str, list[Span]] = {}
    has_coords: set[str] = set()
    for _, cells in records[1:]:
        if len(cells) <= max(ip, ilat, ilon):
            continue
        place = _value(text, cells[ip]).strip()
        if place not in coords:
            continue
        first.setdefault(place, cells)
        if _value(text, cells[ilat]).strip() or _value(text, cells[ilon]).strip():
            has_coords.add(place)
    edits: list[tuple[Span, str]] = []
    places = [p for p in first if p not in has_coords]
    for place in places:
        for index, number in ((ilat, coords[place][0]), (ilon, coords[place][1])):
            start, end = first[place][index]
            quoted = text[start:end].lstrip().startswith('"')
            new = format_coordinate(number, decimal)
            edits.append(((start, end), f'"{new}"' if quoted or decimal == delim else new))
    if not edits:
        return WriteResult(0, ())
    for (start, end), new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    write_atomic(path, bom + text.encode(codec), user_file=True)
    return WriteResult(len(places), tuple(places))


def _sniff(text: str) -> str:
    """The delimiter: the one that makes the header contain a 'place' column."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for delim in (",", ";", "\t", "|"):
        if any(cell.strip().strip('"').strip().lower() == "place" for cell in first.split(delim)):
            return delim
    return ","


def _value(text: str, span: Span) -> str:
    raw = text[span[0]:span[1]]
    stripped = raw.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1].replace('""', '"')
    return raw


def _uses_decimal_comma(text: str, records: list[tuple[int, list[Span]]], ilat: int, ilon: int) -> bool:
    for _, cells in records:
        for index in (ilat, ilon):
            if index < len(cells):
                value = _value(text, cells[index]).strip()
                if value:
                    return "," in value and "." not in value
    return False


def _scan(text: str, delim: str) -> list[tuple[int, list[Span]]]:
    """Split CSV text into records of cell spans (offsets into ``text``), with start lines.

    Quoted cells may contain the delimiter, quotes (doubled) and line breaks.
    """
    records: list[tuple[int, list[Span]]] = []
    i, n, line = 0, len(text), 1
    while i < n:
        start_line, cells = line, []
        while True:
            start = i
            if i < n and text[i] == '"':
                i += 1
                while i < n:
                    if text[i] == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            i += 2
                            continue
                        i += 1
                        break
                    if text[i] == "\n":
                        line += 1
                    i += 1
            while i < n and text[i] not in (delim, "\r", "\n"):
                i += 1
            cells.append((start, i))
            if i < n and text[i] == delim:
                i += 1
                continue
            break
        if i < n and text[i] == "\r":
            i += 1
        if i < n and text[i] == "\n":
            i += 1
        line += 1
        records.append((start_line, cells))
    return records


# --- the `mapgen geocode` command's library side: run, review, write back -------------------


@dataclass
class GeocodeRun:
    """The outcome of :func:`geocode_csv`."""

    path: Path
    dataset: Any
    report: Any  # mapgen.geocode.LocateReport
    written: WriteResult | None = None
    not_written: dict[str, str] = field(default_factory=dict)  # place -> why it was not written

    @property
    def ok(self) -> bool:
        """True when every place has a location."""
        return not self.report.failures


def geocode_csv(csv_path: str | Path, *, offline: bool = False, service: str = "nominatim",
                nominatim_url: str | None = None, user_agent: str | None = None, timeout: float = 10,
                accept_flagged: bool = False, write: bool = False, encoding: str | None = None,
                geocoder: Any = None, progress: Callable[[int], Any] | None = None,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                now: Callable[[], datetime] = utc_now) -> GeocodeRun:
    """Locate the places of a CSV, caching every lookup; with ``write``, fill empty lat/lon cells.

    Raises :class:`~mapgen.errors.DataError` for bad data and
    :class:`~mapgen.errors.GeocodingError` for a service that cannot be set up;
    places that cannot be located are in ``run.report.failures``.
    """
    from .geocode import locate_for_dataset
    from .geocoders import make_geocoder, planned_label
    from .validate import load

    path = Path(csv_path)
    ds = load(path, encoding=encoding)
    if geocoder is None and not offline and not bool(ds.located.all()):
        geocoder = make_geocoder(service, nominatim_url=nominatim_url, user_agent=user_agent, timeout=timeout)
    report = locate_for_dataset(
        ds, offline=offline, geocoder=geocoder, progress=progress, accept_flagged=accept_flagged,
        cache=GeoCache(path.with_name(CACHE_NAME), now=now), service=planned_label(service),
        clock=clock, sleep=sleep)
    run = GeocodeRun(path, ds, report)
    if write:
        coords, run.not_written = _writable(ds, report)
        run.written = write_back(path, coords, encoding=encoding) if coords else WriteResult(0, ())
    return run


def _writable(ds: Any, report: Any) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """Geocoded places whose result is as precise as the CSV says they are."""
    from .geocode import PRECISIONS, coarser

    precision = dict(zip(ds.places["place"], ds.places["precision"]))
    coords, refused = {}, {}
    for place, loc in report.locations.items():
        if loc.source == "manual":
            continue
        claimed = precision.get(place) or "approximate"
        if loc.precision in PRECISIONS and coarser(claimed, loc.precision) != claimed:
            refused[place] = (f"not written: the result is only the centre of a {loc.precision} "
                              f"({loc.display_name or loc.source}) but its precision is '{claimed}'. "
                              f"Set precision to '{loc.precision}' and run again, or type lat/lon in by hand.")
            continue
        coords[place] = (loc.lat, loc.lon)
    return coords, refused


def summary_lines(run: GeocodeRun) -> list[str]:
    """A few lines saying what happened."""
    report = run.report
    sources: dict[str, int] = {}
    for loc in report.locations.values():
        sources[loc.source] = sources.get(loc.source, 0) + 1
    total = len(report.queries)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])))
    lines = [f"{run.path.name}: located {len(report.locations)} of {total} places"
             + (f" ({parts})" if parts else "")
             + f"; {report.requests} request{'s' if report.requests != 1 else ''} sent."]
    accepted = [p for p, loc in report.locations.items() if loc.flags]
    if accepted:
        lines.append(f"Accepted although flagged: {', '.join(accepted)}.")
    if run.written is not None:
        n = len(run.written.places)
        lines.append(f"Wrote coordinates of {n} place{'s' if n != 1 else ''} into {run.path.name}"
                     " (empty lat/lon cells only)." if n else f"Nothing to write into {run.path.name}.")
        for place, why in run.not_written.items():
            lines.append(f"{_line_of(run, place)}: {place!r}: {why}")
    return lines


def failure_message(run: GeocodeRun) -> str:
    """Every place that could not be located, with its line, reason and what to do."""
    failures = run.report.failures
    lines = [f"{_line_of(run, place)}: {place!r} could not be located: {reason}"
             for place, reason in sorted(failures.items(), key=lambda kv: run.report.queries[kv[0]].line)]
    n = len(failures)
    from .geocache import CACHE_NAME

    cached = run.report.requests and run.path.with_name(CACHE_NAME).is_file()  # nothing finished: no file
    saved = f" Every finished lookup is saved in {CACHE_NAME}." if cached else ""
    lines.append(f"{n} place{'s' if n != 1 else ''} could not be located.{saved}")
    return "\n".join(lines)


def _line_of(run: GeocodeRun, place: str) -> str:
    q = run.report.queries.get(place)
    return f"{run.path.name}:{q.line}" if q is not None and q.line else run.path.name


def review_table(run: GeocodeRun) -> str:
    """A fact-checker's table: each place, its query, what was found, where, how far, from where, flags."""
    report = run.report
    header = ("place", "query", "result", "lat", "lon", "km", "source", "flags")
    rows = []
    for place, q in sorted(report.queries.items(), key=lambda kv: kv[1].line):
        loc = report.locations.get(place) or report.flagged.get(place)
        if loc is None:
            rows.append((place, q.query, "NOT FOUND", "", "", "", "", "failed"))
            continue
        km = report.distance_km(place)
        result = "(typed in)" if loc.source == "manual" else loc.display_name
        flags = ", ".join(loc.flags) + (" (withheld)" if place in report.flagged else "")
        rows.append((place, q.query, result, f"{loc.lat:.5f}", f"{loc.lon:.5f}",
                     "" if km is None else f"{km:.1f}", loc.source, flags))
    cells = [tuple(_clip(c, 40) for c in row) for row in (header, *rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    right = {3, 4, 5}
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(c.rjust(w) if i in right and n else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    if report.centre is not None:
        out.append(f"km = distance from the centre of all located places "
                   f"({report.centre[0]:.4f}, {report.centre[1]:.4f}).")
    return "\n".join(out)


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
