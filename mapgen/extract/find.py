"""From a report's text to one candidate per place, with the evidence for each.

The steps, each in its own module:

1. words and sentences (:mod:`.words`), in the report's language;
2. every possible place name: places of ``places.csv`` (:mod:`.known`),
   facilities (:mod:`.facilities`), countries and country adjectives
   (:mod:`.countries`), cities of the gazetteer (:mod:`.cities`);
3. people's names (:mod:`.people`) are removed from those;
4. overlaps are resolved (the longest name wins; at equal length a place of
   the CSV, then a facility, a country, a city, an adjective);
5. each facility gets its city (or is left out), an adjective counts only in a
   sentence that names no other place;
6. each incident cue (``data/extract/cues.csv``) goes to the nearest place
   mention in its sentence;
7. mentions of the same place are merged into one :class:`Candidate`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ..errors import MapgenError
from . import tables
from .candidates import Candidate, Cue, Extraction, Place, Span
from .cities import city_phrases
from .countries import Adjective, adjective_phrases, country_phrases
from .facilities import city_in_reach, facility_phrases, facility_place, is_city
from .known import KnownPlaces, as_known, known_phrases
from .people import overlaps_person, person_tokens
from .phrases import Match, Phrases, resolve
from .words import LANGS, Token, detect_language, keys, paragraphs, sentences, tokens

DEFAULT_MIN_POPULATION = 100_000
#: Among mentions the same distance from a cue, the more specific place gets it.
_SPECIFIC = {"known": 0, "facility": 0, "city": 1, "country": 2}
_AREA_REACH = 3  # words from a facility to the area that locates it ("office on Republic Square")
_COORDINATION_WORDS = 2  # words after "and" before the next place ("и несколько банкоматов")


@dataclass
class _Mention:
    match: Match
    place: Place
    sentence: int
    paragraph: int
    takes_cues: bool = True
    facility: tables.FacilityKind | None = None


@lru_cache(maxsize=4)
def _cue_phrases(lang: str) -> Phrases:
    """The cue words of ``lang``; at equal length, a cue of an earlier incident type wins."""
    from ..taxonomy import load_taxonomy

    order = list(load_taxonomy())
    phrases = Phrases(lang)
    for tag, cue_lang, cue in tables.cues():
        if cue_lang == lang:
            phrases.add(cue, tag, rank=order.index(tag))
    return phrases


def _index(spans: list[tuple[int, int]], offset: int) -> int:
    """Which of the consecutive ``spans`` holds character ``offset``."""
    return max(0, bisect.bisect_right([s for s, _ in spans], offset) - 1)


def extract(text: str, known: KnownPlaces | None = None, *, lang: str | None = None,
            min_population: int = DEFAULT_MIN_POPULATION, prefer: Iterable[str] = ()) -> Extraction:
    """Find the candidate places of report ``text``, in German, English or Russian.

    ``known`` are the places of the CSV (see :func:`mapgen.extract.known_places`);
    ``lang`` is detected when not given; cities of the gazetteer count from
    ``min_population`` people; ``prefer`` are ISO codes of countries whose
    cities win among cities of the same name.
    """
    lang = lang or detect_language(text)
    if lang not in LANGS:
        raise MapgenError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}.")
    known = known or KnownPlaces()
    toks = tokens(text)
    sentence_spans = sentences(text, lang)
    result = Extraction(lang)
    mentions = _mentions(text, toks, lang, known, min_population, tuple(sorted(c.lower() for c in prefer)),
                         sentence_spans)
    mentions = _place_facilities(text, mentions, result, known, lang)
    mentions = _drop_weak_adjectives(mentions)
    for m in mentions:
        if m.place.kind in ("city", "country"):
            m.place = as_known(m.place, known, lang)
    cues = _assign_cues(text, toks, lang, mentions, sentence_spans)
    by_place: dict[Place, Candidate] = {}
    for m in mentions:
        candidate = by_place.setdefault(m.place, Candidate(m.place))
        candidate.mentions.append(Span(text[m.match.start:m.match.end], m.match.start, m.match.end))
        candidate.cues.extend(cues.get(id(m), ()))
    for candidate in by_place.values():
        candidate.cues.sort(key=lambda c: c.span.start)
    result.candidates = sorted(by_place.values(), key=lambda c: c.mentions[0].start)
    return result


def _mentions(text: str, toks: list[Token], lang: str, known: KnownPlaces, min_population: int,
              prefer: tuple[str, ...], sentence_spans: list[tuple[int, int]]) -> list[_Mention]:
    """Every place name of the report that is no part of a person's name, overlaps resolved."""
    found: list[Match] = []
    found += known_phrases(known, lang).find(text, toks)
    found += facility_phrases(lang).find(text, toks)
    found += country_phrases(lang).find(text, toks)
    found += adjective_phrases(lang).find(text, toks)
    stop = tables.stopwords()
    found += city_phrases(lang, min_population, prefer).find(
        text, toks, skip=lambda i: not toks[i].capital or not keys(toks[i].raw, lang).isdisjoint(stop))
    places = {i: (m.target.kind, m.exact) for m in found if isinstance(m.target, Place)
              for i in range(m.first, m.last + 1)}
    people = person_tokens(text, toks, lang, places)
    paragraph_spans = paragraphs(text)
    mentions = []
    for m in resolve(m for m in found if not overlaps_person(m, people)):
        target = m.target
        facility = target if isinstance(target, tables.FacilityKind) else None
        place = (target.place if isinstance(target, Adjective)
                 else Place(target.label, "facility") if facility else target)  # a facility's place needs its city
        mentions.append(_Mention(m, place, _index(sentence_spans, m.start), _index(paragraph_spans, m.start),
                                 facility=facility))
    return mentions


def _drop_weak_adjectives(mentions: list[_Mention]) -> list[_Mention]:
    """Country adjectives only in sentences that name no other place ("kasachischen Städten")."""
    named = {m.sentence for m in mentions if not isinstance(m.match.target, Adjective)}
    return [m for m in mentions if not (isinstance(m.match.target, Adjective) and m.sentence in named)]


def _place_facilities(text: str, mentions: list[_Mention], result: Extraction, known: KnownPlaces,
                      lang: str) -> list[_Mention]:
    """Give each facility mention its place in a city, or move it to ``result.unplaced``.

    A city or area ("on Republic Square") named right by a facility locates it:
    the cues near them are the facility's. A facility in a sentence that names a
    country but no city is in no city the report tells.
    """
    city_mentions = [m for m in mentions if is_city(m.place)]
    cities = [(m.match.first, m.sentence, m.paragraph, m.place) for m in city_mentions]
    country_sentences = {m.sentence for m in mentions if m.place.kind == "country"}
    kept: list[_Mention] = []
    for m in mentions:
        if m.facility is None:
            kept.append(m)
            continue
        used, city = city_in_reach(m.match.first, m.sentence, m.paragraph, cities)
        if used is None and m.sentence in country_sentences:
            city = None  # "Geldautomaten in mehreren kasachischen Städten": in no one city
        if city is None:
            word = Span(text[m.match.start:m.match.end], m.match.start, m.match.end)
            result.unplaced.append((m.facility.label, word))
            continue
        if used is not None:
            city_mentions[used].takes_cues = False  # "Flughafen in Almaty": the cues are the airport's
        previous = kept[-1] if kept else None
        if m.facility.area and previous is not None and previous.facility is not None \
                and previous.sentence == m.sentence and m.match.first - previous.match.last <= _AREA_REACH:
            m.takes_cues = False  # "the mayor's office on Republic Square was torched"
        m.place = as_known(facility_place(m.facility, city), known, lang, city, m.facility)
        kept.append(m)
    return kept


def _coordinated(text: str, toks: list[Token], lang: str, a: _Mention, b: _Mention) -> bool:
    """Whether ``b`` follows ``a`` joined by a comma or a conjunction ("in Aktobe and Atyrau",
    "супермаркет и несколько банкоматов": up to two words after the conjunction)."""
    between = toks[a.match.last + 1:b.match.first]
    gap = text[a.match.end:b.match.start]
    if not between:
        return gap.strip() == ","
    return (between[0].raw.lower() in tables.conjunctions(lang) and len(between) <= 1 + _COORDINATION_WORDS
            and not any(c in gap for c in ".;:!?"))


def _assign_cues(text: str, toks: list[Token], lang: str, mentions: list[_Mention],
                 sentence_spans: list[tuple[int, int]]) -> dict[int, list[Cue]]:
    """Each cue of the report goes to the nearest mention in its sentence that takes cues,
    and to the mentions coordinated with that one."""
    taken = {i for m in mentions for i in range(m.match.first, m.match.last + 1)}
    assigned: dict[int, list[Cue]] = {}
    for cue in resolve(_cue_phrases(lang).find(text, toks)):
        if taken & set(range(cue.first, cue.last + 1)):
            continue
        sentence = _index(sentence_spans, cue.start)
        near = [m for m in mentions if m.sentence == sentence and m.takes_cues]
        if not near:
            continue
        best = min(range(len(near)), key=lambda k: (max(near[k].match.first - cue.last, cue.first - near[k].match.last),
                                                   _SPECIFIC[near[k].place.kind], near[k].match.first))
        group = [best]
        for k in range(best + 1, len(near)):  # "Aktobe and Atyrau": both
            if not _coordinated(text, toks, lang, near[k - 1], near[k]):
                break
            group.append(k)
        for k in range(best - 1, -1, -1):
            if not _coordinated(text, toks, lang, near[k], near[k + 1]):
                break
            group.append(k)
        hit = Cue(cue.target, Span(text[cue.start:cue.end], cue.start, cue.end))
        for k in group:
            assigned.setdefault(id(near[k]), []).append(hit)
    return assigned
