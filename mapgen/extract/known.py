"""The places already in ``places.csv``: found by name or alias, and preferred to new candidates.

With ``--csv`` a report's mention of "Flughafen" is the place whose aliases
list "Flughafen", in any word form. A city, country or facility found otherwise
is reported under the name of a place of the CSV when that place is the same:
the same name, the address of a city- or country-level place ("Kazakhstan"),
or, for a facility, a place whose names hold both a word of the facility's
kind and the city ("Mayor's office, Almaty").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import tables
from .candidates import Place
from .phrases import Phrases
from .words import keys, tokens

RANK = 0


@dataclass
class KnownPlaces:
    """The places of a CSV: each place's names (its name, then its aliases), address and precision."""

    names: dict[str, list[str]] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)
    precision: dict[str, str] = field(default_factory=dict)

    def place(self, name: str) -> Place:
        return Place(name, "known", precision=self.precision.get(name, ""), address=self.address.get(name, ""))


def known_places(csv_path: str | Path, encoding: str | None = None) -> KnownPlaces:
    """The places of the CSV at ``csv_path``, read leniently (cells are not checked)."""
    from ..read import read_table

    frame = read_table(Path(csv_path), encoding).frame
    known = KnownPlaces()
    for place, aliases, address, precision in zip(frame["place"], frame["aliases"], frame["address"],
                                                  frame["precision"]):
        place = str(place).strip()
        if not place:
            continue
        bucket = known.names.setdefault(place, [place])
        bucket.extend(a.strip() for a in str(aliases).split(";") if a.strip() and a.strip() not in bucket)
        if str(address).strip():
            known.address.setdefault(place, str(address).strip())
        if str(precision).strip():
            known.precision.setdefault(place, str(precision).strip().lower())
    return known


def known_phrases(known: KnownPlaces, lang: str) -> Phrases:
    phrases = Phrases(lang)
    for own, names in known.names.items():
        for name in names:
            phrases.add(name, known.place(own), rank=RANK)
    return phrases


def _forms(text: str, lang: str) -> set[str]:
    return {k for t in tokens(text) for k in keys(t.raw, lang)}


def as_known(place: Place, known: KnownPlaces, lang: str, city: Place | None = None,
             facility_kind: tables.FacilityKind | None = None) -> Place:
    """``place`` as a place of the CSV, if it is one there; else ``place`` itself."""
    if not known.names:
        return place
    if facility_kind is not None and city is not None:
        kind_words = [_forms(w, lang) for words in facility_kind.words.values() for w in words
                      if not w.startswith("*")]
        city_forms = _forms(city.name, lang)
        for own, names in known.names.items():
            forms = set().union(*(_forms(n, lang) for n in names), _forms(known.address.get(own, ""), lang))
            if city_forms <= forms and any(w and w <= forms for w in kind_words):
                return known.place(own)
        return place
    for own, names in known.names.items():
        if place.name.casefold() in (n.casefold() for n in names):
            return known.place(own)
    for own, address in known.address.items():
        if known.precision.get(own) in ("city", "country") and \
                address.split(",")[0].strip().casefold() == place.name.casefold():
            return known.place(own)
    return place
