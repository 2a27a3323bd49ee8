"""The ``mapgen geocode`` command's library side: :func:`geocode_csv` runs the lookups for a
CSV (with ``write``, the empty lat/lon cells are filled through :mod:`mapgen.edit`),
:func:`review_table` prints the fact-checker's table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ..edit import WriteResult, fill_coordinates
from .cache import CACHE_NAME, GeoCache, utc_now


@dataclass
class GeocodeRun:
    """The outcome of :func:`geocode_csv`."""

    path: Path
    dataset: Any
    report: Any  # mapgen.geocode.locate.LocateReport
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
    from ..validate import load
    from .locate import locate_for_dataset
    from .services import make_geocoder, planned_label

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
        run.written = fill_coordinates(path, coords, encoding=encoding) if coords else WriteResult(0, ())
    return run


def _writable(ds: Any, report: Any) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """Geocoded places whose result is as precise as the CSV says they are."""
    from .locate import PRECISIONS, coarser

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
