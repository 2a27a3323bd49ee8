"""The data a map page needs, laid out once and compactly.

The page gets one JSON document: columnar arrays of places and incidents
(numbers and indices, each string once), the taxonomy and the interface
strings. The map's JavaScript builds markers, popups and filters from it, so
the HTML grows with the data, not with a script per marker.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import orjson
import pandas as pd

from ..dataset import DATE_PRECISIONS, PRECISIONS, STATUSES, Dataset
from ..geo import far_from_others
from ..taxonomy import load_taxonomy

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ICON = re.compile(r"[a-z0-9-]+")
_EPOCH = np.datetime64("1970-01-01", "D")


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


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 for ``YYYY-MM-DD`` strings; -1 where empty."""
    codes, distinct = pd.factorize(dates, sort=False)  # each date once: a large export repeats them
    parsed = pd.to_datetime(pd.Series(distinct, dtype=object).where(distinct != ""), format="%Y-%m-%d",
                            errors="coerce")
    days = (parsed.to_numpy(dtype="datetime64[D]") - _EPOCH).astype("timedelta64[D]").astype(np.int64)
    return np.where(parsed.isna().to_numpy(), -1, days)[codes]


def category_codes(values: pd.Series, categories: list[str] | tuple[str, ...]) -> np.ndarray:
    """The position of each value in ``categories`` (-1 if absent)."""
    return pd.Index(list(categories), dtype=object).get_indexer(values.to_numpy(dtype=object))


def _index_of(values: pd.Series, skip_empty: bool) -> tuple[list[str], np.ndarray]:
    """Intern strings: the distinct values in first-seen order, and each row's index."""
    codes, uniques = pd.factorize(values, sort=False)
    uniques = uniques.tolist()
    if skip_empty and "" in uniques:
        empty = uniques.index("")
        codes = np.where(codes == empty, -1, codes - (codes > empty))
        uniques.pop(empty)
    return [str(u) for u in uniques], codes


def by_identity(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Number the objects in ``values`` (in order of first appearance); return codes and objects.

    Rows that read the same cell share one list of tags, so working once per
    object is working once per distinct value, without hashing 100,000 lists.
    """
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    codes, _ = pd.factorize(ids, sort=False)
    _, first = np.unique(codes, return_index=True)
    return codes, [values[i] for i in first.tolist()]


def page_data(ds: Dataset, lang: str = "en", offmap: np.ndarray | None = None) -> dict[str, Any]:
    """Everything the page's script needs, as plain JSON-able values.

    ``offmap`` is :func:`offmap_mask` of ``ds``, if the caller has it.
    """
    taxonomy = load_taxonomy()
    if len(taxonomy) > 30:
        raise ValueError("the map supports at most 30 incident types")
    tag_index = {tag: k for k, tag in enumerate(taxonomy)}
    places, incidents = ds.places, ds.incidents

    tax = []
    for tag in taxonomy.values():
        if not (_COLOUR.fullmatch(tag.colour) and _ICON.fullmatch(tag.icon)):
            raise ValueError(f"taxonomy tag {tag.tag!r}: colour must be #rrggbb and icon a Font Awesome name")
        tax.append({"id": tag.tag, "label": tag.label(lang), "definition": tag.definition(lang),
                    "colour": tag.colour, "icon": tag.icon, "severity": tag.severity})

    sources, source_idx = _index_of(incidents["source"], skip_empty=False)
    urls, url_idx = _index_of(incidents["url"], skip_empty=True)
    # each distinct set of tags once: one index, or a list of them
    tag_codes, tag_sets = by_identity(incidents["tags"].tolist())
    coded = [[tag_index[t] for t in row] for row in tag_sets]
    coded = [row[0] if len(row) == 1 else row for row in coded]
    tags = [coded[c] for c in tag_codes.tolist()]
    panel = offmap_mask(ds) if offmap is None else offmap

    return {
        "meta": {
            "title": ds.config.title,
            "description": ds.config.description,
            "places": int(len(places)),
            "incidents": int(len(incidents)),
        },
        "options": {"cluster_radius": 28 if len(places) < 200 else 60},
        "taxonomy": tax,
        "statuses": list(STATUSES),
        "precisions": list(PRECISIONS),
        "date_precisions": [""] + list(DATE_PRECISIONS),
        "places": {
            "name": places["place"].tolist(),
            "lat": coordinates(places["lat"]),
            "lon": coordinates(places["lon"]),
            "precision": category_codes(places["precision"], PRECISIONS).tolist(),
            "radius": places["radius_m"].fillna(0).round().astype(int).tolist(),
            "aliases": ["; ".join(a) for a in places["aliases"]],
            "panel": panel.astype(int).tolist(),
            "loc": places["loc_source"].tolist(),
        },
        "incidents": {
            "place": incidents["place_idx"].tolist(),
            "tags": tags,
            "day": day_numbers(incidents["date"]).tolist(),
            "date_precision": category_codes(incidents["date_precision"], ("",) + tuple(DATE_PRECISIONS)).tolist(),
            "status": category_codes(incidents["status"], STATUSES).tolist(),
            "summary": incidents["summary"].tolist(),
            "source": source_idx.tolist(),
            "url": url_idx.tolist(),
        },
        "sources": sources,
        "urls": urls,
        "i18n": interface_strings(lang),
    }


_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def script_json(data: Any) -> bytes:
    """JSON (UTF-8) safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so no cell can close the
    script element (``</script>``) or open a comment. ``JSON.parse`` restores
    the exact text. (U+2028 and U+2029 stay as they are: the block is data
    for ``JSON.parse``, never run as script, where old engines broke on them.)
    """
    text = orjson.dumps(data)  # the text json.dumps writes (but for floats below 1e-4), 20x faster
    for char, escape in _SCRIPT_ESCAPES:
        if char in text:  # a scan is cheaper than copying a large page
            text = text.replace(char, escape)
    return text


def to_script_json(data: Any) -> str:
    """:func:`script_json` as text."""
    return script_json(data).decode("utf-8")


def coordinates(values: pd.Series) -> list[float | None]:
    """``values`` rounded to 6 decimals (about 0.1 m); ``None`` for a place not located (JSON has no NaN)."""
    array = np.round(values.to_numpy(dtype=float), 6)
    if np.isfinite(array).all():
        return array.tolist()
    return [v if np.isfinite(v) else None for v in array.tolist()]
