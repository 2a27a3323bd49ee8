"""Facilities a report names (airport, mayor's office, petrol station...) and the city each is in.

The kinds and their words are data (``data/extract/facilities.csv``). A
facility word becomes a candidate only with a city in reach, as there is
nothing to geocode otherwise:

1. the nearest city named in the same sentence ("des Flughafens in Almaty");
2. else the last city named before it in the same paragraph, or in the
   paragraph before when that city is in the report's home country (the
   country of most of its city mentions): a paragraph on Moscow's reaction
   does not put the next paragraph's airport in Moscow;
3. else the report's main city: the one mentioned most often, if one is.

The candidate is named "Airport, Almaty", with the geocoder query
"Airport, Almaty, Kazakhstan" and precision ``approximate``: the report tells
the kind of place and its city, not where in the city it is.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Sequence

from . import tables
from .candidates import Place
from .phrases import Phrases
from .tables import FacilityKind

RANK = 1


@lru_cache(maxsize=4)
def facility_phrases(lang: str) -> Phrases:
    phrases = Phrases(lang)
    for kind in tables.facilities():
        for word in kind.words.get(lang, ()):
            phrases.add(word, kind, rank=RANK)
    return phrases


def facility_place(kind: FacilityKind, city: Place) -> Place:
    """The candidate place for a facility of ``kind`` in ``city``."""
    address = city.address or city.name
    return Place(f"{kind.label}, {city.name}", "facility", f"{kind.label}, {address}", "", "", "approximate",
                 city.country)


def is_city(place: Place) -> bool:
    return place.kind == "city" or (place.kind == "known" and place.precision == "city")


def city_in_reach(at: int, sentence: int, paragraph: int,
                  cities: Sequence[tuple[int, int, int, Place]]) -> tuple[int, Place] | tuple[None, Place | None]:
    """The city for a facility mention at token ``at``.

    ``cities`` are (token, sentence, paragraph, place) of the report's city
    mentions in text order. Returns the index in ``cities`` of the mention used
    when it is in the same sentence (so that its cues go to the facility), else
    None, and the city, or None when no city is in reach.
    """
    same = [(abs(tok - at), k) for k, (tok, s, _, _) in enumerate(cities) if s == sentence]
    if same:
        k = min(same)[1]
        return k, cities[k][3]
    before = [c for c in cities if c[0] < at and c[2] in (paragraph, paragraph - 1)]
    home = _home_country(cities)
    if before and (before[-1][2] == paragraph or before[-1][3].country == home):
        return None, before[-1][3]  # a city of the previous paragraph only if it is no place abroad
    counts = Counter(c[3] for c in cities).most_common(2)
    if counts and (len(counts) == 1 or counts[0][1] > counts[1][1]):
        return None, counts[0][0]
    return None, None


def _home_country(cities: Sequence[tuple[int, int, int, Place]]) -> str | None:
    """The country most of the report's city mentions are in, if one is."""
    counts = Counter(c[3].country for c in cities if c[3].country).most_common(2)
    if counts and (len(counts) == 1 or counts[0][1] > counts[1][1]):
        return counts[0][0]
    return None
