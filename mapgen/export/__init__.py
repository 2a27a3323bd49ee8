"""The files a build writes, as one table: the CLI's ``--format``, the pipeline and the writers read it.

A new format is a writer and one line in :data:`FORMATS`. A writer returns
the file's content (``str``, ``bytes``, or ``bytes`` pieces), or, for a folder
of files (the site), ``(path relative to the output folder, content)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..atomic import Data
from ..dataset import Dataset


@dataclass(frozen=True)
class Target:
    """What a writer is given: the checked, located data and how the map is to be made."""

    ds: Dataset
    offmap: np.ndarray  # places listed beside the map, not on it (mapgen.page.data.offmap_mask)
    lang: str = "en"
    self_contained: bool = False


def _html(t: Target) -> Data:
    from ..page import page_parts
    from ..page.languages import translated

    return page_parts(translated(t.ds, t.lang), t.lang, t.self_contained, t.offmap)


def _site(t: Target) -> Iterator[tuple[str, Data]]:
    from ..page.languages import translated
    from ..page.site import site_files

    return site_files(translated(t.ds, t.lang), t.lang, t.offmap)


def _geojson(t: Target) -> Data:
    from .geojson import geojson_parts

    return geojson_parts(t.ds, t.offmap)


def _kml(t: Target) -> Data:
    from .kml import kml_text

    return kml_text(t.ds, t.offmap)


def _csv(t: Target) -> Data:
    from .csvtable import csv_text

    return csv_text(t.ds, t.offmap)


@dataclass(frozen=True)
class Format:
    """One kind of output file."""

    name: str          # the value of --format
    filename: str      # written into the output folder
    always: bool       # written by every build
    help: str
    write: Callable[[Target], Data | Iterator[tuple[str, Data]]]
    #: the writer returns parts whose sizes are known before they are made (mapgen.atomic.Parts):
    #: a large file of them is made by two processes at once
    parts: bool = False


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("html", "map.html", True, "the interactive map", _html),
    Format("site", "index.html", False, "a folder of the map and its data in parts, for large datasets and "
           "web hosting", _site),
    Format("geojson", "places.geojson", True, "every incident as a GeoJSON point (GIS)", _geojson, parts=True),
    Format("kml", "places.kml", False, "one placemark per place (Google Earth)", _kml),
    Format("csv", "places.csv", False, "one row per place with coordinates and sources (spreadsheets)", _csv),
)}


def chosen(names: tuple[str, ...] | list[str] = ()) -> list[Format]:
    """The formats to write: those always written and those named, in table order; a site replaces map.html."""
    wanted = [f for f in FORMATS.values() if f.always or f.name in names]
    return [f for f in wanted if not (f.name == "html" and "site" in names)]


__all__ = ["FORMATS", "Format", "Target", "chosen"]
