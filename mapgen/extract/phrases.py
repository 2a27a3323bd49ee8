"""Finding many phrases (place names, facility words, cue words) in a report in one pass.

A phrase is a sequence of words. A word of a phrase matches a word of the text
when they share a form (see :func:`mapgen.extract.words.keys`), with three
exceptions written in the data:

* ``shot*``: any word starting with "shot" (the cue tables use this);
* ``*flughafen``: any German compound ending in "flughafen" ("Hauptstadtflughafen");
* a short all-capital word ("ALA", "АЗС") matches only itself, so that
  abbreviations are not found in ordinary words.

Matches may overlap; :func:`resolve` keeps the longest, then the lowest rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from .words import Token, fold, keys, lemma

# What may stand between two words of one phrase: a space, a hyphen, an apostrophe ("mayor's").
_GAP = re.compile(r"[ \t\r\n\-‐–'’]{1,3}")
_PHRASE_WORD = re.compile(r"\*?\w+\*?")


class _Word(NamedTuple):  # a tuple, not a dataclass: the gazetteer makes some 70,000 of them
    mode: str  # "keys", "prefix", "suffix" or "case"
    text: str  # folded, without its *; as written for "case"
    forms: frozenset[str] = frozenset()

    def matches(self, token: Token, token_keys: frozenset[str], lang: str) -> bool:
        if self.mode == "keys":
            return not self.forms.isdisjoint(token_keys)
        if self.mode == "case":
            return token.raw == self.text or lemma(token.raw, lang) == self.text
        if self.mode == "prefix":
            return any(k.startswith(self.text) for k in token_keys)
        return any(k.endswith(self.text) and len(k) > len(self.text) for k in token_keys)


@dataclass(frozen=True)
class Match:
    """A phrase found in the text: token range, character offsets and what it stands for."""

    first: int
    last: int  # inclusive token index
    start: int
    end: int
    target: Any
    rank: int  # lower wins among overlapping matches of equal length
    exact: bool = False  # every word as the phrase writes it (no other word form)


class Phrases:
    """A set of phrases in one language, indexed by the forms of their first word."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._by_form: dict[str, list[tuple[tuple[_Word, ...], Any, int, bool]]] = {}
        self._by_prefix: dict[str, list[tuple[tuple[_Word, ...], Any, int, bool]]] = {}
        self._by_suffix: dict[str, list[tuple[tuple[_Word, ...], Any, int, bool]]] = {}

    def _word(self, raw: str, name: bool) -> _Word:
        if name:  # folded already; the words of the text are expanded to a name's forms (words.name_keys)
            return _Word("keys", raw, frozenset((raw,)))
        if raw.endswith("*"):
            return _Word("prefix", fold(raw[:-1]))
        if raw.startswith("*"):
            return _Word("suffix", fold(raw[1:]))
        if raw.isupper() and len(raw) <= 5:
            return _Word("case", raw)
        return _Word("keys", fold(raw), keys(raw, self.lang))

    def add(self, phrase: str, target: Any, *, rank: int = 0, capital: bool = False, name: bool = False) -> None:
        """Add ``phrase``; ``capital``: its first word must be capitalised in the text;
        ``name``: a folded name, its words taken as written (no lemmatiser lookup, which
        is slow for the gazetteer's names and useless for them)."""
        words = tuple(self._word(w, name) for w in _PHRASE_WORD.findall(phrase))
        if not words:
            return
        entry = (words, target, rank, capital)
        first = words[0]
        if first.mode == "prefix":
            self._by_prefix.setdefault(first.text, []).append(entry)
        elif first.mode == "suffix":
            self._by_suffix.setdefault(first.text, []).append(entry)
        else:
            for form in first.forms or {fold(first.text)}:
                self._by_form.setdefault(form, []).append(entry)

    def find(self, text: str, toks: Sequence[Token], skip: Callable[[int], bool] = lambda i: False) -> list[Match]:
        """Every occurrence of every phrase (overlapping ones included); ``skip(i)``: token i is no start."""
        found: list[Match] = []
        prefix_sizes = sorted({len(p) for p in self._by_prefix})
        suffix_sizes = sorted({len(s) for s in self._by_suffix})
        for i, tok in enumerate(toks):
            if skip(i):
                continue
            tok_keys = keys(tok.raw, self.lang)
            entries: list[tuple[tuple[_Word, ...], Any, int, bool]] = []
            for k in sorted(tok_keys):
                entries.extend(self._by_form.get(k, ()))
                entries.extend(e for size in prefix_sizes for e in self._by_prefix.get(k[:size], ()))
                entries.extend(e for size in suffix_sizes if len(k) > size
                               for e in self._by_suffix.get(k[-size:], ()))
            seen: set[int] = set()
            for words, target, rank, capital in entries:
                if id(words) in seen or (capital and not tok.capital):
                    continue
                seen.add(id(words))
                last = self._extend(text, toks, i, words)
                if last is not None:
                    exact = all(w.text == fold(t.raw) for w, t in zip(words, toks[i:last + 1]))
                    found.append(Match(i, last, tok.start, toks[last].end, target, rank, exact))
        return found

    def _extend(self, text: str, toks: Sequence[Token], i: int, words: tuple[_Word, ...]) -> int | None:
        for k, word in enumerate(words):
            j = i + k
            if j >= len(toks) or not word.matches(toks[j], keys(toks[j].raw, self.lang), self.lang):
                return None
            if k and not _GAP.fullmatch(text[toks[j - 1].end:toks[j].start]):
                return None
        return i + len(words) - 1


def resolve(matches: Iterable[Match]) -> list[Match]:
    """Non-overlapping matches, longest first, then lowest rank, then earliest; in text order."""
    taken: set[int] = set()
    chosen = []
    for match in sorted(matches, key=lambda m: (m.first - m.last, m.rank, m.first)):
        span = set(range(match.first, match.last + 1))
        if not span & taken:
            taken |= span
            chosen.append(match)
    return sorted(chosen, key=lambda m: (m.first, m.rank))
