"""The data a map page needs, laid out once and compactly (page data format 2).

Two JSON documents, described in ``docs/page-data.md`` (the JavaScript in
``static/core.js`` reads them by that description):

* :func:`page_data`, what the first view needs: the places (name, position,
  precision, where their incidents start), each incident as two numbers (its
  types, status and date precision in one code; its day) and its source, the
  taxonomy and the interface strings;
* :func:`page_texts`, what a popup, a card or the list needs when opened:
  each incident's summary, link, CSV line and carried columns. A single
  ``map.html`` holds both; a site (``--site``) splits the texts into chunks.

Incidents are grouped by place, in the CSV's order within a place.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterator

import numpy as np
import orjson
import pandas as pd

from ..dataset import DATE_PRECISIONS, PRECISIONS, STATUSES, Dataset
from ..export.common import carried_columns
from ..geo import far_from_others
from ..taxonomy import load_taxonomy

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ICON = re.compile(r"[a-z0-9-]+")


@lru_cache(maxsize=None)
def interface_strings(lang: str) -> dict[str, str]:
    """The map's interface text in ``lang`` (English for any missing string)."""
    table = json.loads(resources.files("mapgen").joinpath("data/i18n.json").read_text("utf-8"))
    return {**table["en"], **table.get(lang, {})}


def offmap_mask(ds: Dataset) -> np.ndarray:
    """Places that go in the side panel, not on the map.

    Country-level places (a nationwide state of emergency has no spot), and
    places far from all the others (Moscow on a map of Almaty's streets).
    """
    places = ds.places
    country = (places["precision"] == "country").to_numpy()
    candidates = ~country & places["lat"].notna().to_numpy()  # a place not yet located is on neither
    far = np.zeros(len(places), dtype=bool)
    if candidates.sum() >= 3:
        far[candidates] = far_from_others(places["lat"].to_numpy()[candidates],
                                          places["lon"].to_numpy()[candidates])
    return country | far


def category_codes(values: pd.Series, categories: list[str] | tuple[str, ...]) -> np.ndarray:
    """The position of each value in ``categories`` (-1 if absent)."""
    return pd.Index(list(categories), dtype=object).get_indexer(values.to_numpy(dtype=object))


def incident_order(ds: Dataset) -> np.ndarray:
    """The incidents' rows in page order: grouped by place, the CSV's order within each."""
    return np.argsort(ds.rows.place, kind="stable")


#: Incident types the page can tell apart: one bit each in a 32-bit mask, bit 31 for "no type".
MAX_TYPES = 30


def taxonomy_entries(lang: str) -> list[dict[str, Any]]:
    """The incident types as the page shows them, in table order."""
    taxonomy = load_taxonomy()
    if len(taxonomy) > MAX_TYPES:
        raise ValueError(f"the map supports at most {MAX_TYPES} incident types")
    out = []
    for tag in taxonomy.values():
        if not (_COLOUR.fullmatch(tag.colour) and _ICON.fullmatch(tag.icon)):
            raise ValueError(f"taxonomy tag {tag.tag!r}: colour must be #rrggbb and icon a Font Awesome name")
        out.append({"id": tag.tag, "label": tag.label(lang), "definition": tag.definition(lang),
                    "colour": tag.colour, "icon": tag.icon, "severity": tag.severity})
    return out


def page_data(ds: Dataset, lang: str = "en", offmap: np.ndarray | None = None, *,
              order: np.ndarray | None = None, texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the page needs for its first view, as plain JSON-able values (see the module docstring).

    ``offmap`` is :func:`offmap_mask` of ``ds`` and ``order`` is
    :func:`incident_order`, if the caller has them. ``texts`` says where the
    texts are (default: in the page itself).
    """
    tag_index = {tag: k for k, tag in enumerate(load_taxonomy())}
    places, rows = ds.places, ds.rows
    order = incident_order(ds) if order is None else order
    date_precisions = ("",) + tuple(DATE_PRECISIONS)

    # each distinct set of tags and each source once, in the order the page meets them
    tag_codes, tag_sets = pd.factorize(rows.tagset[order], sort=False)
    source_idx, sources = pd.factorize(rows.source[order], sort=False)
    kind = ((tag_codes.astype(np.int64) * len(STATUSES) + rows.status[order]) * len(date_precisions)
            + rows.date_precision[order])
    days = rows.day[order].astype(np.int64)
    dated = days >= 0
    day0 = int(days[dated].min()) if dated.any() else 0
    panel = offmap_mask(ds) if offmap is None else offmap

    return {
        "format": 2,
        "meta": {
            "title": ds.config.title,
            "description": ds.config.description,
            "places": int(len(places)),
            "incidents": int(len(rows)),
            **({"data_lang": ds.translation.data_lang} if ds.translation else {}),
        },
        "taxonomy": taxonomy_entries(lang),
        "statuses": list(STATUSES),
        "precisions": list(PRECISIONS),
        "date_precisions": list(date_precisions),
        "columns": [{"name": c.name, "label": c.label(lang), "kind": c.kind}
                    for c in carried_columns(ds, "popup") if c.level == "incident"],
        "tagsets": [[tag_index[t] for t in rows.tagsets[k]] for k in tag_sets.tolist()],
        "day0": day0,
        "places": {
            "name": places["place"].tolist(),
            "lat": coordinates(places["lat"]),
            "lon": coordinates(places["lon"]),
            "precision": category_codes(places["precision"], PRECISIONS).tolist(),
            "radius": places["radius_m"].fillna(0).round().astype(int).tolist(),
            "aliases": ["; ".join(a) for a in places["aliases"]],
            "panel": panel.astype(int).tolist(),
            "loc": places["loc_source"].tolist(),
            "start": np.searchsorted(rows.place[order], np.arange(len(places))).tolist(),
            # a map in another language: 1 where the name is the data's own (no variant in the map's language)
            **({"fallback": ds.translation.place_fallback.astype(int).tolist()} if ds.translation else {}),
        },
        "incidents": {
            "kind": kind.tolist(),
            "day": np.where(dated, days - day0, -1).tolist(),
            "source": source_idx.tolist(),
        },
        "sources": [rows.sources[k] for k in sources.tolist()],
        "texts": texts or {"chunk": CHUNK},
        "i18n": interface_strings(lang),
    }


#: Incidents per chunk of texts: a popup or a card needs one or two (about half a megabyte each),
#: parsed (a line of ``map.html``'s texts) or fetched (a file of a site) when first needed.
CHUNK = 2_000


def inline_texts(ds: Dataset, order: np.ndarray | None = None) -> Iterator[bytes]:
    """The texts of ``map.html``: a line of JSON per :data:`CHUNK` incidents (no JSON text holds a line break)."""
    order = incident_order(ds) if order is None else order
    for k in range(max(1, -(-len(order) // CHUNK))):
        yield (b"\n" if k else b"") + texts_json(ds, order, slice(k * CHUNK, (k + 1) * CHUNK))


def page_texts(ds: Dataset, order: np.ndarray | None = None, rows: slice = slice(None)) -> dict[str, list[Any]]:
    """The incidents' texts in page order (``rows`` of them): summary, link, CSV line, carried columns."""
    return orjson.loads(texts_json(ds, order, rows))


def texts_json(ds: Dataset, order: np.ndarray | None = None, rows: slice = slice(None)) -> bytes:
    """:func:`page_texts` as JSON, safe in a ``<script>`` element, made of the texts as stored (not decoded)."""
    return b"".join(texts_blocks(ds, order, rows))


#: Incidents' texts made at a time (a large page is written as it is made).
BLOCK = 50_000


def texts_blocks(ds: Dataset, order: np.ndarray | None = None, rows: slice = slice(None)) -> Iterator[bytes]:
    """:func:`texts_json` in pieces, a block of incidents at a time."""
    order = incident_order(ds) if order is None else order
    picked = order[rows]
    store = ds.rows.texts
    carried = [c for c in carried_columns(ds, "popup") if c.level == "incident"]

    def listed(name: str, values: Callable[[np.ndarray], list[bytes]]) -> Iterator[bytes]:
        yield b'"' + name.encode() + b'":['
        for start in range(0, len(picked), BLOCK):
            block = values(picked[start:start + BLOCK])
            yield (b"," if start else b"") + _escaped(b",".join(block))
        yield b"]"

    translation = ds.translation
    yield b"{"
    if translation is None:
        yield from listed("summary", lambda r: store.encoded("summary", r))
    else:  # the variant's summary, or the data's own where it has none (said in "fallback")
        fallback = translation.summary_fallback
        yield from listed("summary", lambda r: [main if back else own for main, own, back in zip(
            store.encoded("summary", r), store.encoded(translation.summary, r), fallback[r].tolist())])
        yield b',"fallback":' + orjson.dumps(fallback[picked].astype(int).tolist())
    yield b","
    yield from listed("url", lambda r: store.encoded("url", r))
    yield b',"line":' + orjson.dumps(ds.rows.line[picked].tolist())
    for column in carried:
        yield b","
        if column.name in ds.rows.counts:
            counts = ds.rows.counts[column.name]
            yield from listed(column.name, lambda r, c=counts: [b"null" if v != v else b"%d" % v
                                                               for v in c[r].tolist()])
        else:
            yield from listed(column.name, lambda r, n=column.name: [b"null" if v == b'""' else v
                                                                     for v in store.encoded(n, r)])
    yield b"}"


_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def script_json(data: Any) -> bytes:
    """JSON (UTF-8) safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so no cell can close the
    script element (``</script>``) or open a comment. ``JSON.parse`` restores
    the exact text. (U+2028 and U+2029 stay as they are: the block is data
    for ``JSON.parse``, never run as script, where old engines broke on them.)
    """
    return _escaped(orjson.dumps(data))  # the text json.dumps writes (but for floats below 1e-4), 20x faster


def to_script_json(data: Any) -> str:
    """:func:`script_json` as text."""
    return script_json(data).decode("utf-8")


def _escaped(text: bytes) -> bytes:
    """JSON bytes made safe for a ``<script>`` element, as :func:`script_json` makes them."""
    for char, escape in _SCRIPT_ESCAPES:
        if char in text:
            text = text.replace(char, escape)
    return text


def coordinates(values: pd.Series) -> list[float | None]:
    """``values`` rounded to 6 decimals (about 0.1 m); ``None`` for a place not located (JSON has no NaN)."""
    array = np.round(values.to_numpy(dtype=float), 6)
    if np.isfinite(array).all():
        return array.tolist()
    return [v if np.isfinite(v) else None for v in array.tolist()]
