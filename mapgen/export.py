"""The GeoJSON export: every incident as an RFC 7946 feature."""

from __future__ import annotations

import json
import math
from itertools import chain
from json.encoder import encode_basestring as encode_string  # what json.dumps uses for str
from typing import Any, Callable

import numpy as np
import pandas as pd

from .dataset import Dataset
from .payload import by_identity
from .taxonomy import load_taxonomy


def geojson_bytes(ds: Dataset, offmap: np.ndarray) -> bytes:
    """An RFC 7946 FeatureCollection with one Point feature per incident, as UTF-8.

    Properties carry everything known about the incident and its place, so a
    GIS user can filter by tag, date or status without the map.

    The bytes equal ``json.dumps(collection, ensure_ascii=False,
    separators=(",", ":")).encode()`` of the features, but the parts that
    repeat (a place, a set of tags, a date, a source) are encoded once and
    the file is joined once from pieces: 100,000 incidents take well under a
    second.
    """
    taxonomy = load_taxonomy()
    places, incidents = ds.places, ds.incidents
    lon = places["lon"].round(6).tolist()
    lat = places["lat"].round(6).tolist()
    radius = places["radius_m"].fillna(0).round().astype(int).tolist()
    offmap_list = offmap.tolist()

    # what an incident shares with its place: before and after its own properties
    heads = [
        ('{"type":"Feature","geometry":{"type":"Point","coordinates":[' + dumps(lon[p]) + "," + dumps(lat[p])
         + ']},"properties":{"place":' + dumps(name)).encode()
        for p, name in enumerate(places["place"].tolist())
    ]
    tails = [
        (',"precision":' + dumps(precision) + ',"uncertainty_m":' + dumps(radius[p])
         + ',"aliases":' + dumps(aliases) + ',"location_source":' + dumps(loc)
         + ',"off_map":' + dumps(offmap_list[p]) + ',"csv_line":').encode()
        for p, (precision, aliases, loc) in enumerate(
            zip(places["precision"].tolist(), places["aliases"].tolist(), places["loc_source"].tolist()))
    ]

    tag_codes, tag_lists = by_identity(incidents["tags"].tolist())
    closes = [b"%d}}," % line for line in incidents["line"].tolist()]
    if closes:
        closes[-1] = closes[-1][:-1]
    place_idx = incidents["place_idx"].tolist()
    # the pieces of every feature in order, joined once: no string per feature
    pieces = chain.from_iterable(zip(
        [heads[p] for p in place_idx],
        _spread([(',"incidents":' + dumps(t) + ',"labels":' + dumps([taxonomy[tag].label("en") for tag in t])
                  ).encode() for t in tag_lists], tag_codes),
        _column(incidents["date"], lambda d: ',"date":' + dumps(d or None)),
        _column(incidents["date_precision"], lambda d: ',"date_precision":' + dumps(d or None)),
        _column(incidents["status"], lambda d: ',"status":' + dumps(d) + ',"summary":'),
        [text.encode() for text in _each(incidents["summary"].tolist())],
        _column(incidents["source"], lambda d: ',"source":' + dumps(d)),
        _column(incidents["url"], lambda d: ',"url":' + dumps(d or None)),
        [tails[p] for p in place_idx],
        closes,
    ))
    end = "]"
    if len(places):
        end += ',"bbox":' + dumps([
            round(float(places["lon"].min()), 6), round(float(places["lat"].min()), 6),
            round(float(places["lon"].max()), 6), round(float(places["lat"].max()), 6),
        ])
    return b"".join(chain([b'{"type":"FeatureCollection","features":['], pieces, [(end + "}\n").encode()]))


def _column(values: pd.Series, encode: Callable[[Any], str]) -> list[bytes]:
    """``encode`` of each row's value as UTF-8, computed once per distinct value."""
    codes, distinct = pd.factorize(values, sort=False, use_na_sentinel=False)
    return _spread([encode(value).encode() for value in distinct.tolist()], codes)


def _spread(encoded: list[Any], codes: np.ndarray) -> list[Any]:
    return [encoded[c] for c in codes.tolist()]


def _each(values: list[Any]) -> list[str]:
    """:func:`dumps` of each value."""
    if all(type(value) is str for value in values):
        return list(map(encode_string, values))
    return [dumps(value) for value in values]


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)``.

    Strings, numbers and lists of strings are written directly: building an
    encoder for each of thousands of small values costs more than the text.
    """
    kind = type(value)
    if kind is str:
        return encode_string(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is list and all(type(item) is str for item in value):
        return "[" + ",".join(map(encode_string, value)) + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
