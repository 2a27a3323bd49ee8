"""The GeoJSON export: every incident as an RFC 7946 feature."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import orjson
import pandas as pd

from ..dataset import Dataset
from ..page.data import by_identity, coordinates
from ..taxonomy import load_taxonomy
from .common import carried_columns, plain


def geojson_parts(ds: Dataset, offmap: np.ndarray) -> list[bytes]:
    """An RFC 7946 FeatureCollection with one Point feature per incident: UTF-8, in pieces.

    Joined, the pieces are the file; :func:`mapgen.atomic.write_atomic` writes
    them as they are, so a large dataset is not also held as one string.

    Properties carry everything known about the incident and its place, so a
    GIS user can filter by tag, date or status without the map.

    The bytes equal ``json.dumps(collection, ensure_ascii=False,
    separators=(",", ":")).encode()`` of the features, but the parts that
    repeat (a place, a set of tags, a date, a source) are encoded once.
    Carried columns the GeoJSON shows (``fatalities``…) follow ``url``.
    """
    taxonomy = load_taxonomy()
    places, incidents = ds.places, ds.incidents
    lon, lat = coordinates(places["lon"]), coordinates(places["lat"])
    radius = places["radius_m"].fillna(0).round().astype(int).tolist()
    offmap_list = offmap.tolist()

    # what an incident shares with its place: before and after its own properties
    heads = [
        b'{"type":"Feature","geometry":' + _point(lon[p], lat[p]) + b',"properties":{"place":' + orjson.dumps(name)
        for p, name in enumerate(places["place"].tolist())
    ]
    tails = [
        b',"precision":' + orjson.dumps(precision) + b',"uncertainty_m":' + orjson.dumps(radius[p])
        + b',"aliases":' + orjson.dumps(aliases) + b',"location_source":' + orjson.dumps(loc)
        + b',"off_map":' + orjson.dumps(offmap_list[p])
        + b"".join(b',"' + c.name.encode() + b'":' + orjson.dumps(plain(c, places[c.name].iat[p]))
                   for c in carried_columns(ds, "geojson") if c.level == "place")
        + b',"csv_line":'
        for p, (precision, aliases, loc) in enumerate(
            zip(places["precision"].tolist(), places["aliases"].tolist(), places["loc_source"].tolist()))
    ]
    tag_codes, tag_lists = by_identity(incidents["tags"].tolist())
    place_idx = incidents["place_idx"].tolist()
    closes = [b"%d}}," % line for line in incidents["line"].tolist()]
    if closes:
        closes[-1] = closes[-1][:-1]

    columns = (  # the pieces of every feature, in order
        [heads[p] for p in place_idx],
        _spread([b',"incidents":' + orjson.dumps(t) + b',"labels":'
                 + orjson.dumps([taxonomy[tag].label("en") for tag in t]) for t in tag_lists], tag_codes),
        _column(incidents["date"], lambda d: b',"date":' + orjson.dumps(d or None)),
        _column(incidents["date_precision"], lambda d: b',"date_precision":' + orjson.dumps(d or None)),
        _column(incidents["status"], lambda d: b',"status":' + orjson.dumps(d)),
        # joined to a prefix, so orjson's roomy buffer for each text is freed at once (kept,
        # 100,000 of them would hold 400 MB)
        [b',"summary":' + orjson.dumps(text) for text in incidents["summary"].tolist()],
        _column(incidents["source"], lambda d: b',"source":' + orjson.dumps(d)),
        _column(incidents["url"], lambda d: b',"url":' + orjson.dumps(d or None)),
        *(_column(incidents[c.name], lambda d, c=c: b',"' + c.name.encode() + b'":' + orjson.dumps(plain(c, d)))
          for c in carried_columns(ds, "geojson") if c.level == "incident"),
        [tails[p] for p in place_idx],
        closes,
    )
    count = len(columns) * len(place_idx)
    pieces: list[bytes] = [b""] * (count + 2)  # between the collection's start and end
    pieces[0] = b'{"type":"FeatureCollection","features":['
    for k, column in enumerate(columns):
        pieces[1 + k:1 + count:len(columns)] = column
    end = b"]"
    if places["lat"].notna().any():
        bbox = [places["lon"].min(), places["lat"].min(), places["lon"].max(), places["lat"].max()]
        end += b',"bbox":[' + b",".join(_number(round(float(v), 6)) for v in bbox) + b"]"
    pieces[-1] = end + b"}\n"
    return pieces


def _point(lon: float | None, lat: float | None) -> bytes:
    """A Point geometry; ``null`` for a place not yet located (RFC 7946 allows it)."""
    if lon is None or lat is None:
        return b"null"
    return b'{"type":"Point","coordinates":[' + _number(lon) + b"," + _number(lat) + b"]}"


def _number(value: float) -> bytes:
    """A coordinate as ``json.dumps`` writes it (``1e-05``, where orjson would write ``0.00001``)."""
    return float.__repr__(value).encode()


def _column(values: pd.Series, encode: Callable[[Any], bytes]) -> list[bytes]:
    """``encode`` of each row's value, computed once per distinct value."""
    codes, distinct = pd.factorize(values, sort=False, use_na_sentinel=False)
    return _spread([encode(value) for value in distinct.tolist()], codes)


def _spread(encoded: list[Any], codes: np.ndarray) -> list[Any]:
    return [encoded[c] for c in codes.tolist()]
