"""Putting places on the map: manual coordinates, the cache, a geocoding service, a gazetteer.

:func:`locate` is the one entry point. For every place it takes, in order:

1. the coordinates typed into the CSV (``manual``; they always win);
2. an earlier answer from ``geocache.csv`` for the same service, query,
   country codes and viewbox (``cache``);
3. online: the geocoding service, politely (see :mod:`mapgen.geocode.services`), each
   answer saved to the cache at once;
   offline: the GeoNames gazetteer for city and country names (``gazetteer``).

Then it checks every result that was not typed in by hand: one outside the
dataset's countries or viewbox is flagged ``outside-area``, one much farther
from the others than they are from each other ``far-from-others``. Flagged
results are not mapped silently: they are reported as failures unless the
caller accepts them. A place that cannot be located is reported by name with
the reason and what to do; the others go on.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

from .. import geo
from .cache import CACHE_NAME, CacheEntry, GeoCache, cache_key
from .gazetteer import Gazetteer, default_gazetteer
from .services import Failure, Policy, Requester, bias_kwargs, describe, make_geocoder, service_label

PRECISIONS = ("exact", "approximate", "city", "country")  # finest first
FAR_FACTOR = 5.0     # far-from-others: farther than 5x the median distance from the centre ...
FAR_MIN_KM = 50.0    # ... and farther than 50 km


@dataclass(frozen=True)
class Query:
    """One place to locate. ``query`` is its address, or its name when the address is empty.

    ``lat``/``lon`` are the coordinates typed into the CSV, if any; ``precision``
    is the CSV's precision (``country`` places are not checked for distance);
    ``aliases`` are other names the offline gazetteer may try.
    """

    place: str
    query: str
    line: int
    lat: float | None = None
    lon: float | None = None
    precision: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Location:
    """Where a place is, and how we know."""

    lat: float
    lon: float
    source: str                      # "manual" | "cache" | "gazetteer" | a service name
    precision: str | None = None     # implied precision (city/country), None = keep the CSV's
    display_name: str = ""
    flags: tuple[str, ...] = ()      # "outside-area", "far-from-others"
    country_code: str = ""


@dataclass
class LocateReport:
    """The outcome of :func:`locate`.

    ``locations`` are ready to map; ``failures`` maps a place to a human reason;
    ``flagged`` holds results withheld for review (also listed in failures);
    ``queries`` every place asked about; ``centre`` the median of all located
    places; ``requests`` how many requests were sent (retries included).
    """

    locations: dict[str, Location]
    failures: dict[str, str]
    flagged: dict[str, Location] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    centre: tuple[float, float] | None = None
    requests: int = 0

    def distance_km(self, place: str) -> float | None:
        """How far a place's result is from the dataset's centre, in km."""
        loc = self.locations.get(place) or self.flagged.get(place)
        if loc is None or self.centre is None:
            return None
        return float(geo.haversine_km(loc.lat, loc.lon, *self.centre))


class ProgressBar(Protocol):
    """What :func:`locate` needs of a progress bar (tqdm has it)."""

    def update(self, n: int = 1) -> Any: ...
    def close(self) -> Any: ...


def tqdm_progress(total: int) -> ProgressBar:
    """A tqdm bar with count and ETA on stderr; silent when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc="Geocoding", unit="place", file=sys.stderr, disable=None, leave=False)


def print_notice(message: str) -> None:
    """Say on stderr, at once, why the user is waiting (above a progress bar, if one is shown)."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def queries_from_places(places: Any) -> list[Query]:
    """Turn ``Dataset.places`` (one row per place) into queries: address, else the name."""
    out = []
    for row in places.to_dict("records"):
        place = str(row["place"]).strip()
        address = row.get("address")
        address = "" if address is None or _isnan(address) else str(address).strip()
        lat, lon = row.get("lat"), row.get("lon")
        manual = lat is not None and lon is not None and not _isnan(lat) and not _isnan(lon)
        precision = row.get("precision")
        aliases = row.get("aliases")
        if not isinstance(aliases, (list, tuple)):
            aliases = [] if aliases is None or _isnan(aliases) else str(aliases).split(";")
        out.append(Query(
            place=place, query=address or place, line=int(row.get("line") or 0),
            lat=float(lat) if manual else None, lon=float(lon) if manual else None,
            precision="" if precision is None or _isnan(precision) else str(precision),
            aliases=tuple(a.strip() for a in aliases if str(a).strip()),
        ))
    return out


def locate(
    queries: Iterable[Query], *, offline: bool = False, cache: GeoCache | None = None,
    geocoder: Any = None, countrycodes: Sequence[str] = (), viewbox: Sequence[float] | None = None,
    accept_flagged: bool = False, service: str | None = None, gazetteer: Gazetteer | None = None,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int], ProgressBar] | None = None, policy: Policy = Policy(),
    notify: Callable[[str], Any] = print_notice,
) -> LocateReport:
    """Locate every place; see the module docstring.

    ``offline=True`` uses only manual coordinates, the cache and the gazetteer,
    and never builds a network geocoder. Otherwise ``geocoder`` (default: the
    public Nominatim via :func:`make_geocoder`) is asked, under ``policy``, with
    the injected ``clock``/``sleep``. ``service`` names the cache's service when
    offline (default ``nominatim``). ``progress(total)`` makes the progress bar
    (default :func:`tqdm_progress`). ``viewbox`` is (west, south, east, north).
    ``notify(message)`` says at once why the user waits: a retry, a service that
    cannot be reached, the gazetteer standing in (default :func:`print_notice`).
    """
    report = LocateReport({}, {})
    codes = [c.lower() for c in countrycodes]
    pending: list[Query] = []
    for q in queries:
        if q.place in report.queries:
            continue
        report.queries[q.place] = q
        if q.lat is not None and q.lon is not None:
            report.locations[q.place] = Location(q.lat, q.lon, "manual")
        else:
            pending.append(q)
    if not offline and geocoder is None and pending:
        geocoder = make_geocoder()
    label = service_label(geocoder) if geocoder is not None else (service or "nominatim")
    keys = {q.place: cache_key(label, q.query, codes, viewbox) for q in pending}
    answers: dict[tuple, CacheEntry | Failure] = {}
    if cache is not None:
        answers = {k: e for k in keys.values() if (e := cache.get(k)) is not None}
    first: dict[tuple, Query] = {}  # each query once, for the first place that asks it
    for q in pending:
        first.setdefault(keys[q.place], q)
    todo = [q for k, q in first.items() if k not in answers]
    fresh = set()
    if todo and not offline:
        answers.update(_ask_service(geocoder, label, todo, codes, viewbox, cache, clock, sleep,
                                    progress or tqdm_progress, policy, report, notify))
        fresh = {keys[q.place] for q in todo}
    stand_ins = 0
    for q in pending:
        key = keys[q.place]
        answer = answers.get(key)
        if isinstance(answer, Failure) and answer.unreachable and _from_gazetteer(
                q, codes, gazetteer, report, quiet=True):
            # the service is unreachable (as during the Almaty shutdown): city and country
            # names still resolve from the offline gazetteer, at city/country precision
            stand_ins += 1
            continue
        if isinstance(answer, Failure):
            report.failures[q.place] = f"{q.query!r}: {answer.reason}"
        elif answer is None:
            _from_gazetteer(q, codes, gazetteer, report)
        elif answer.found:
            source = label if key in fresh else "cache"
            report.locations[q.place] = Location(
                answer.lat, answer.lon, source, implied_precision(answer.place_rank),  # type: ignore[arg-type]
                answer.display_name, (), answer.country_code)
        else:
            when = "" if key in fresh else f" (asked on {answer.retrieved[:10]}; saved in geocache.csv)"
            report.failures[q.place] = (
                f"{label} found nothing for {q.query!r}{when}. Check the spelling in the 'address' column "
                "(a shorter address such as 'district, city' often works), or type lat/lon in by hand"
                + ("; delete its row from geocache.csv to ask again." if when else "."))
    if stand_ins:
        notify(f"{label} cannot be reached: using the offline gazetteer for {stand_ins} "
               f"place{'s' if stand_ins != 1 else ''} (city or country level).")
    _check(report, codes, viewbox, accept_flagged)
    return report


def locate_for_dataset(ds: Any, queries: Iterable[Query] | None = None, *, offline: bool,
                       geocoder: Any = None, progress: Callable[[int], ProgressBar] | None = None,
                       accept_flagged: bool = False, cache: GeoCache | None = None,
                       **options: Any) -> LocateReport:
    """:func:`locate` for a checked :class:`~mapgen.dataset.Dataset`, with its settings and cache.

    ``queries`` default to every place of ``ds``; places of ``ds`` with manual
    coordinates are always included so results can be checked against them.
    The cache is ``geocache.csv`` beside the CSV; the country codes and viewbox
    come from ``mapgen.toml``. ``options`` go to :func:`locate` (clock, sleep, ...).
    """
    every = queries_from_places(ds.places)
    if queries is None:
        chosen = every
    else:
        chosen = list(queries)
        asked = {q.place for q in chosen}
        by_place = {q.place: q for q in every}
        chosen = [replace(q, aliases=by_place[q.place].aliases) if q.place in by_place and not q.aliases
                  else q for q in chosen]
        chosen += [q for q in every if q.place not in asked and q.lat is not None]
    if cache is None:
        cache = GeoCache(Path(ds.path).with_name(CACHE_NAME))
    return locate(chosen, offline=offline, cache=cache, geocoder=geocoder, progress=progress,
                  countrycodes=ds.config.countrycodes, viewbox=ds.config.viewbox,
                  accept_flagged=accept_flagged, **options)


def _ask_service(geocoder: Any, label: str, queries: list[Query], codes: list[str],
                 viewbox: Sequence[float] | None, cache: GeoCache | None, clock: Callable[[], float],
                 sleep: Callable[[float], None], progress: Callable[[int], ProgressBar],
                 policy: Policy, report: LocateReport,
                 notify: Callable[[str], Any]) -> dict[tuple, CacheEntry | Failure]:
    """Send each query once, saving each answer at once; stop after repeated service failures.

    A service that cannot be reached at all stops the batch at once: no other
    query would get through either.
    """
    requester = Requester(geocoder, clock=clock, sleep=sleep, policy=policy, notify=notify)
    kwargs = bias_kwargs(geocoder, codes, viewbox)
    countrycodes, vb = cache_key(label, "", codes, viewbox)[2:]
    answers: dict[tuple, CacheEntry | Failure] = {}
    down, stopped, unreachable = 0, "", False
    bar = progress(len(queries))
    try:
        for q in queries:
            key = cache_key(label, q.query, codes, viewbox)
            if stopped:
                answers[key] = Failure(stopped, unreachable=unreachable)
                bar.update(1)
                continue
            outcome = requester.lookup(q.query, **kwargs)
            if isinstance(outcome, Failure):
                answers[key] = outcome
                down = down + 1 if outcome.service_down else 0
                unreachable = outcome.unreachable
                if unreachable:
                    stopped = (f"not looked up: {label} could not be reached, so mapgen stopped asking it. "
                               "Finished lookups are saved in geocache.csv; rerun when the network is back, "
                               "or use --offline.")
                elif outcome.fatal or down >= policy.breaker:
                    stopped = (f"not looked up: {label} failed for the {down} place(s) before, so mapgen "
                               "stopped asking it. Finished lookups are saved in geocache.csv; rerun later "
                               "to continue, or use --offline.")
            else:
                down = 0
                found = describe(outcome) if outcome is not None else {}
                entry = CacheEntry(query=q.query, service=label, countrycodes=countrycodes, viewbox=vb, **found)
                answers[key] = cache.put(entry) if cache is not None else entry
            bar.update(1)
    finally:
        bar.close()
        report.requests = requester.throttle.requests
    return answers


def _from_gazetteer(q: Query, codes: list[str], gazetteer: Gazetteer | None, report: LocateReport,
                    quiet: bool = False) -> bool:
    """Locate ``q`` from the offline gazetteer; True when found (else a failure is recorded unless quiet)."""
    gaz = gazetteer or default_gazetteer()
    match = gaz.lookup(q.query, q.place, codes)
    for alias in q.aliases:
        match = match or gaz.lookup(alias, "", codes)
    if match is None:
        if quiet:
            return False
        report.failures[q.place] = (
            f"{q.query!r}: offline, and neither geocache.csv nor the gazetteer knows it (the gazetteer "
            "has only city and country names). Type lat/lon in by hand, or run without --offline.")
        return
    report.locations[q.place] = Location(match.lat, match.lon, "gazetteer", match.precision,
                                         match.display_name, (), match.country_code)
    return True


def implied_precision(place_rank: int | None) -> str | None:
    """The precision a Nominatim result's rank implies: countries and regions, cities, or finer (None)."""
    if place_rank is None:
        return None
    if place_rank <= 11:
        return "country"
    if place_rank <= 19:
        return "city"
    return None


def coarser(a: str | None, b: str | None) -> str | None:
    """The coarser of two precisions (unknown values lose)."""
    ranked = [p for p in (a, b) if p in PRECISIONS]
    return max(ranked, key=PRECISIONS.index) if ranked else (a or b)


def _check(report: LocateReport, codes: list[str], viewbox: Sequence[float] | None, accept: bool) -> None:
    """Flag results outside the area or far from the rest; withhold them unless accepted."""
    places = list(report.locations)
    if not places:
        return
    lats = [report.locations[p].lat for p in places]
    lons = [report.locations[p].lon for p in places]
    report.centre = geo.centre(lats, lons)
    far = geo.far_from_others(lats, lons, factor=FAR_FACTOR, floor_km=FAR_MIN_KM)
    dist = geo.haversine_km(lats, lons, *report.centre)
    limit = max(FAR_FACTOR * float(statistics.median(dist)), FAR_MIN_KM)
    for i, place in enumerate(places):
        loc = report.locations[place]
        if loc.source == "manual":
            continue
        flags, why = [], []
        if codes and loc.country_code and loc.country_code not in codes:
            flags.append("outside-area")
            why.append(f"it is in {loc.country_code.upper()}, not in {', '.join(c.upper() for c in codes)}")
        elif viewbox and not _inside(loc, viewbox):
            flags.append("outside-area")
            why.append("it is outside the viewbox in mapgen.toml")
        if far[i] and coarser(report.queries[place].precision or None, loc.precision) != "country":
            flags.append("far-from-others")
            why.append(f"it is {dist[i]:.0f} km from the centre of the places (limit {limit:.0f} km)")
        if not flags:
            continue
        loc = replace(loc, flags=tuple(flags))
        report.locations[place] = loc
        if not accept:
            del report.locations[place]
            report.flagged[place] = loc
            name = f" ({loc.display_name})" if loc.display_name else ""
            report.failures[place] = (
                f"{report.queries[place].query!r} was found at {loc.lat:.5f}, {loc.lon:.5f}{name}, but "
                f"{' and '.join(why)}. Check the address, type lat/lon in by hand, "
                "or accept it with --accept-flagged.")


def _inside(loc: Location, viewbox: Sequence[float]) -> bool:
    west, south, east, north = viewbox
    in_lon = west <= loc.lon <= east if west <= east else (loc.lon >= west or loc.lon <= east)
    return south <= loc.lat <= north and in_lon


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
