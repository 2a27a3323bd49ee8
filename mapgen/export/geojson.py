"""The GeoJSON export: every incident as an RFC 7946 feature."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import orjson

from ..columns import Column
from ..dataset import DATE_PRECISIONS, STATUSES, Dataset
from ..incidents import Incidents, iso_days
from ..page.data import coordinates
from ..taxonomy import load_taxonomy
from .common import carried_columns, plain


#: Incidents encoded at a time: the file is written as it is made, never held whole.
BLOCK = 20_000


def geojson_parts(ds: Dataset, offmap: np.ndarray) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection with one Point feature per incident: UTF-8, in blocks.

    Joined, the blocks are the file; :func:`mapgen.atomic.write_atomic` writes
    them as they come, so a large dataset is never held as one string.

    Properties carry everything known about the incident and its place, so a
    GIS user can filter by tag, date or status without the map.

    The bytes equal ``json.dumps(collection, ensure_ascii=False,
    separators=(",", ":")).encode()`` of the features, but the parts that
    repeat (a place, a set of tags, a date, a source) are encoded once, and the
    texts are copied as they are stored. Carried columns the GeoJSON shows
    (``fatalities``…) follow ``url``.
    """
    taxonomy = load_taxonomy()
    places, rows = ds.places, ds.rows
    lon, lat = coordinates(places["lon"]), coordinates(places["lat"])
    radius = places["radius_m"].fillna(0).round().astype(int).tolist()
    offmap_list = offmap.tolist()

    # what an incident shares with its place: before and after its own properties
    heads = [
        b'{"type":"Feature","geometry":' + _point(lon[p], lat[p]) + b',"properties":{"place":' + orjson.dumps(name)
        for p, name in enumerate(places["place"].tolist())
    ]
    of_place = [c for c in carried_columns(ds, "geojson") if c.level == "place"]
    tails = [
        b',"precision":' + orjson.dumps(precision) + b',"uncertainty_m":' + orjson.dumps(radius[p])
        + b',"aliases":' + orjson.dumps(aliases) + b',"location_source":' + orjson.dumps(loc)
        + b',"off_map":' + orjson.dumps(offmap_list[p])
        + b"".join(b',"' + c.name.encode() + b'":' + orjson.dumps(plain(c, places[c.name].iat[p])) for c in of_place)
        + b',"csv_line":'
        for p, (precision, aliases, loc) in enumerate(
            zip(places["precision"].tolist(), places["aliases"].tolist(), places["loc_source"].tolist()))
    ]
    tagsets = [b',"incidents":' + orjson.dumps(t) + b',"labels":' + orjson.dumps([taxonomy[tag].label("en") for tag in t])
               for t in rows.tagsets]
    day_codes, days = np.unique(rows.day, return_inverse=True)[::-1]
    dates = [b',"date":' + orjson.dumps(d or None) for d in iso_days(days)]
    precisions = [b',"date_precision":' + orjson.dumps(d or None) for d in ("",) + tuple(DATE_PRECISIONS)]
    statuses = [b',"status":' + orjson.dumps(d) for d in STATUSES]
    sources = [b',"source":' + orjson.dumps(d) for d in rows.sources]
    carried = [c for c in carried_columns(ds, "geojson") if c.level == "incident"]

    yield b'{"type":"FeatureCollection","features":['
    n = len(rows)
    for start in range(0, n, BLOCK):
        block = slice(start, min(n, start + BLOCK))
        columns = [  # the pieces of every feature of the block, in order
            [heads[p] for p in rows.place[block].tolist()],
            [tagsets[t] for t in rows.tagset[block].tolist()],
            [dates[d] for d in day_codes[block].tolist()],
            [precisions[d] for d in rows.date_precision[block].tolist()],
            [statuses[d] for d in rows.status[block].tolist()],
            [b',"summary":'] * (block.stop - block.start),  # a key, then the text as stored: no copy made
            rows.texts.encoded("summary", block),
            [sources[d] for d in rows.source[block].tolist()],
            [b',"url":'] * (block.stop - block.start),
            [b"null" if url == b'""' else url for url in rows.texts.encoded("url", block)],
            *(_carried(rows, c, block) for c in carried),
            [tails[p] for p in rows.place[block].tolist()],
            [b"%d}}," % line for line in rows.line[block].tolist()],
        ]
        if block.stop == n:
            columns[-1][-1] = columns[-1][-1][:-1]  # no comma after the last feature
        pieces: list[bytes] = [b""] * (len(columns) * len(columns[0]))
        for k, column in enumerate(columns):
            pieces[k::len(columns)] = column
        yield b"".join(pieces)
    end = b"]"
    if places["lat"].notna().any():
        bbox = [places["lon"].min(), places["lat"].min(), places["lon"].max(), places["lat"].max()]
        end += b',"bbox":[' + b",".join(_number(round(float(v), 6)) for v in bbox) + b"]"
    yield end + b"}\n"


def _carried(rows: Incidents, column: Column, block: slice) -> list[bytes]:
    """``,"name":value`` of a carried column for each row of ``block`` (``null`` where empty)."""
    key = b',"' + column.name.encode() + b'":'
    if column.name in rows.counts:
        return [key + (b"null" if v != v else b"%d" % v) for v in rows.counts[column.name][block].tolist()]
    return [key + (b"null" if v == b'""' else v) for v in rows.texts.encoded(column.name, block)]


def _point(lon: float | None, lat: float | None) -> bytes:
    """A Point geometry; ``null`` for a place not yet located (RFC 7946 allows it)."""
    if lon is None or lat is None:
        return b"null"
    return b'{"type":"Point","coordinates":[' + _number(lon) + b"," + _number(lat) + b"]}"


def _number(value: float) -> bytes:
    """A coordinate as ``json.dumps`` writes it (``1e-05``, where orjson would write ``0.00001``)."""
    return float.__repr__(value).encode()
