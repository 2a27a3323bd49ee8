"""The pipeline: read and check the CSV → locate places → render → write outputs.

``build()`` is the library entry point; ``mapgen build`` is a thin shell over it.
Everything is computed in memory first and written only at the end, each file
atomically, so a run that fails leaves the last good map in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

from .config import LANGS, load_config
from .dataset import DEFAULT_RADIUS_M, Dataset
from .errors import DataError, MapgenError, Problem


@dataclass
class BuildResult:
    """What a build produced: the checked data, the files written, and the folium map.

    ``map`` is made when first asked for: a command-line build renders the
    page without keeping a map object around.
    """

    dataset: Dataset
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lang: str = "en"
    self_contained: bool = False
    _map: Any = field(default=None, repr=False)

    @property
    def map(self) -> Any:  # folium.Map
        if self._map is None:
            from .page import make_map

            self._map = make_map(self.dataset, self.lang, self.self_contained)
        return self._map

    def _repr_html_(self) -> str:  # shows the map in a notebook
        return self.map._repr_html_()


def locate_places(
    ds: Dataset,
    *,
    offline: bool,
    geocoder: Any = None,
    progress: Callable[..., Any] | None = None,
    notes: list[str] | None = None,
    accept_flagged: bool = False,
    geocoder_options: dict[str, Any] | None = None,
    keep_unlocated: bool = False,
) -> Dataset:
    """Fill coordinates of places that have none: cache, gazetteer, then a live geocoder.

    Manual coordinates always win. With ``offline=True`` no network is used.
    A place that stays unlocated is an error naming its line; with
    ``keep_unlocated`` (editing on the map) it is a note, and the place keeps
    no coordinates (the map lists it as not on the map yet).
    """
    missing = ds.places["lat"].isna()
    if not missing.any():
        return ds
    from . import geocode  # imported only when needed: it loads geopy

    if geocoder is None and not offline and geocoder_options:
        from .geocode.services import make_geocoder

        options = dict(geocoder_options)
        geocoder = make_geocoder(options.pop("service", "nominatim"), **options)

    queries = [
        geocode.Query(place=row.place, query=row.address or row.place, line=int(row.line))
        for row in ds.places[missing].itertuples()
    ]
    report = geocode.locate_for_dataset(ds, queries, offline=offline, geocoder=geocoder, progress=progress,
                                        accept_flagged=accept_flagged)
    places = ds.places.copy()
    problems = []
    for pos in places.index[missing]:
        name = places.at[pos, "place"]
        location = report.locations.get(name)
        if location is None:
            reason = report.failures.get(name) or "no result; check the address, or fill in lat and lon."
            problem = Problem(str(ds.path), int(places.at[pos, "line"]), "place", name,
                              f"could not be located: {reason}")
            if keep_unlocated:
                if notes is not None:
                    notes.append(str(problem))
            else:
                problems.append(problem)
            continue
        places.at[pos, "lat"] = location.lat
        places.at[pos, "lon"] = location.lon
        places.at[pos, "loc_source"] = location.source
        if location.precision and location.precision != places.at[pos, "precision"]:
            if location.precision in ("city", "country"):
                if notes is not None and places.at[pos, "precision"] not in ("", "approximate"):
                    notes.append(f"{name}: located only at {location.precision} level ({location.source}); "
                                 f"shown as {location.precision}, not {places.at[pos, 'precision']}")
                places.at[pos, "precision"] = location.precision
                places.at[pos, "radius_m"] = float(DEFAULT_RADIUS_M[location.precision])
        if location.flags and notes is not None:
            notes.append(f"{name}: {', '.join(location.flags)}")
    if problems:
        raise DataError(problems)
    return replace(ds, places=places)


def build(
    csv_path: str | Path = "places.csv",
    out_dir: str | Path | None = "output",
    *,
    offline: bool = False,
    lang: str | None = None,
    self_contained: bool = False,
    geocoder: Any = None,
    encoding: str | None = None,
    formats: tuple[str, ...] | None = None,
    open_browser: bool = False,
    progress: Callable[..., Any] | None = None,
    accept_flagged: bool = False,
    geocoder_options: dict[str, Any] | None = None,
    keep_unlocated: bool = False,
) -> BuildResult:
    """Build the incident map of ``csv_path``.

    Returns a :class:`BuildResult` whose ``.map`` is the folium map (it also
    displays itself in a notebook). With ``out_dir`` set, writes the files of
    ``formats`` there (names from :data:`mapgen.export.FORMATS`; default:
    ``map.html`` and ``places.geojson``). The map is in ``lang``, by default
    in each language of ``langs`` in ``mapgen.toml`` (``map.html`` in the
    first, ``map.de.html``… in the others), else in ``lang`` there. Places without coordinates are
    located (see :func:`locate_places`); a geocoding result outside the
    dataset's area is refused unless ``accept_flagged``. ``geocoder`` (a geopy
    geocoder) or ``geocoder_options`` (``service``, ``nominatim_url``,
    ``user_agent``, ``timeout``; see :func:`mapgen.geocode.services.make_geocoder`)
    choose the service. ``keep_unlocated`` maps what can be located and lists
    the rest as not on the map yet, instead of failing (for editing on the map).
    Raises :class:`mapgen.errors.MapgenError` subclasses for bad input.

    Files are written only when all of them are complete, each atomically. The
    page around the data comes from :mod:`mapgen.page.cache` when it has it.
    """
    from .atomic import OutputSet
    from .export import FORMATS, Target, chosen

    csv_path = Path(csv_path)
    config = load_config(csv_path)
    maps = [lang] if lang else list(config.langs or (config.lang,))  # map.html, then map.de.html …
    lang = maps[0]
    if lang not in LANGS:
        raise MapgenError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}.")
    unknown = [f for f in formats or () if f not in FORMATS]
    if unknown:
        raise MapgenError(f"unknown output format {unknown[0]!r}; use {', '.join(FORMATS)}.")
    wanted = chosen() if formats is None else [f for f in FORMATS.values() if f.name in formats]
    notes: list[str] = []
    if out_dir is None:
        ds = _checked(csv_path, encoding, config, offline, geocoder, progress, notes, accept_flagged,
                      geocoder_options, keep_unlocated)
        return BuildResult(dataset=ds, notes=notes, lang=lang, self_contained=self_contained)

    out = Path(out_dir)
    files = [out / f.filename for f in wanted]
    others = [f"map.{other}.html" for other in maps[1:]] if "html" in (f.name for f in wanted) else []
    if any(path.resolve() == csv_path.resolve() for path in files):
        raise MapgenError(f"the output folder {out} holds {csv_path.name}, which the export would "
                          "overwrite; choose another folder with -o.")
    written: set[str] = set()
    with OutputSet() as outputs:
        ds = _checked(csv_path, encoding, config, offline, geocoder, progress, notes, accept_flagged,
                      geocoder_options, keep_unlocated)
        from .page.data import offmap_mask

        offmap = offmap_mask(ds)
        notes.extend(far_place_notes(ds, offmap))
        if len(ds.rows) > SITE_FROM and "html" in (f.name for f in wanted):
            notes.append(f"{len(ds.rows):,} incidents make a map.html of about "
                         f"{len(ds.rows) * 260 // 1_000_000:,} MB that every reader loads whole; "
                         "`mapgen build --site` writes a folder that loads what the first view needs and the "
                         "rest when it is asked for (serve it with `mapgen serve`, or put it on any web host).")
        target = Target(ds, offmap, lang, self_contained)
        # with many incidents the exports (GeoJSON…) are made on the other core while this one makes the page
        aside = {f.name for f in wanted if f.name not in ("html", "site")} if len(ds.rows) >= ASIDE_FROM else set()
        for fmt, path in zip(wanted, files):
            if fmt.name in aside:  # made in parts by the fork and, once the page is written, by this process too
                (outputs.write_shared if fmt.parts else outputs.write_aside)(path, partial(fmt.write, target))
        for fmt, path in zip(wanted, files):
            if fmt.name == "site":  # a folder of files
                for name, data in fmt.write(target):
                    outputs.write(out / name, data)
                    written.add(name)
            elif fmt.name not in aside:
                outputs.write(path, fmt.write(target))
        for other, name in zip(maps[1:], others):  # the map in the dataset's other languages
            outputs.write(out / name, FORMATS["html"].write(Target(ds, offmap, other, self_contained)))
    files += [out / name for name in others]
    if "site" in (f.name for f in wanted):
        from .page.site import stale_chunks

        for path in stale_chunks(out, written):  # from an earlier, larger build
            path.unlink(missing_ok=True)
    if open_browser and "html" in (f.name for f in wanted):
        import webbrowser

        webbrowser.open((out / FORMATS["html"].filename).resolve().as_uri())
    return BuildResult(dataset=ds, files=files, notes=notes, lang=lang, self_contained=self_contained)


#: From this many incidents on, a build of map.html suggests a site instead.
SITE_FROM = 100_000
#: From this many incidents on, the exports (GeoJSON…) are written by a fork of the build
#: while it writes the page, and the GeoJSON's last parts by both once the page is written
#: (:meth:`mapgen.atomic.OutputSet.write_shared`); below, a fork costs more than it saves.
ASIDE_FROM = 100_000


def _checked(csv_path: Path, encoding: str | None, config: Any, offline: bool, geocoder: Any,
             progress: Callable[..., Any] | None, notes: list[str], accept_flagged: bool,
             geocoder_options: dict[str, Any] | None, keep_unlocated: bool = False) -> Dataset:
    """The data of ``csv_path``, checked, with every place located."""
    from .validate import load  # pandas

    ds = load(csv_path, encoding=encoding, config=config)
    notes.extend(look_alike_names(ds))
    return locate_places(ds, offline=offline, geocoder=geocoder, progress=progress, notes=notes,
                         accept_flagged=accept_flagged, geocoder_options=geocoder_options,
                         keep_unlocated=keep_unlocated)


def look_alike_names(ds: Dataset) -> list[str]:
    """Notes on place names that differ only in capitals or spacing: two markers, meant as one?"""
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, line in zip(ds.places["place"].tolist(), ds.places["line"].tolist()):
        groups.setdefault(" ".join(name.split()).casefold(), []).append((name, int(line)))
    return [
        " and ".join(f"{name!r} (line {line})" for name, line in group)
        + " differ only in capitals or spaces, so they are separate places on the map; "
        "write them the same way if they are one place."
        for group in groups.values() if len(group) > 1
    ]


def far_place_notes(ds: Dataset, offmap: Any) -> list[str]:
    """Notes on typed-in coordinates far from every other place that look like a slip.

    Such a place is listed beside the map, not on it; that is right for Moscow
    on a map of Almaty, and a silent mistake for Almaty typed as 76.9, 43.2
    (lat and lon swapped) or as 0, 0.
    """
    from .geo import centre, haversine_km

    places = ds.places
    pinned = ((places["precision"] != "country") & places["lat"].notna()).to_numpy()  # a country has no spot
    near = ~offmap & pinned
    if near.sum() < 2:
        return []
    c_lat, c_lon = centre(places["lat"].to_numpy()[near], places["lon"].to_numpy()[near])
    notes = []
    for row in places[offmap & pinned].itertuples():
        if row.loc_source != "manual":
            continue
        away = float(haversine_km(row.lat, row.lon, c_lat, c_lon))
        swapped = float(haversine_km(row.lon, row.lat, c_lat, c_lon)) if abs(row.lon) <= 90 else float("inf")
        if row.lat == 0 and row.lon == 0:
            hint = " 0, 0 is in the Gulf of Guinea: leave lat and lon empty when they are not known."
        elif swapped < away / 10:
            hint = " Are lat and lon swapped?"
        else:
            continue  # far, as Moscow is from Almaty: the side panel is the right place
        notes.append(f"{row.place!r} (line {int(row.line)}): the coordinates typed in ({row.lat:g}, {row.lon:g}) "
                     f"are {away:,.0f} km from the other places, so it is listed beside the map, not on it.{hint}")
    return notes


def summary_line(result: BuildResult) -> str:
    """One line for the terminal: what was built from what."""
    ds = result.dataset
    located = int(ds.located.sum())
    sources = len(ds.rows.sources)
    files = ", ".join(str(p) for p in result.files) or "nothing written"
    return (f"{counted(len(ds.rows), 'incident')} at {counted(len(ds.places), 'place')} "
            f"({located} located) from {counted(sources, 'source')} -> {files}")


def counted(number: int, noun: str) -> str:
    """``3 places``, ``1 place``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
