"""Finding words and phrases in a text despite inflection, and splitting it into sentences.

Used by :mod:`mapgen.extract` for place names and incident cues.

Matching works on words: a name's word matches a word of the text that is
equal to it (case-insensitive), or equal plus a German/English ending
(``-s``, ``-es``, ``-en``...), or for Russian the same stem with another
ending of up to three letters. All-capital short names ("ALA") match only
exactly. A cue ending in ``*`` matches any word starting with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

LATIN_ENDINGS = frozenset({"s", "es", "n", "en", "ns", "ens", "e", "er", "ern", "em"})
_CYRILLIC_VOWELS = "аяоеёыийьую"
_WORD = re.compile(r"\w+")
_GAP = re.compile(r"[ \t\r\n\-‐–'’,.]{1,3}")
_SENTENCE_END = re.compile(r"[.!?…]+[\"»“”'’)\]]*\s+|\n[ \t]*\n\s*")
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms st nr str bzw ca vgl usw inkl ggf z b u a e g i jan feb aug sept okt nov dez dec oct "
    "ул г гг им т д пр".split())
_MONTHS_DE = frozenset("januar februar märz april mai juni juli august september oktober november dezember".split())


def fold(text: str) -> str:
    """The form used for comparing words: case-folded, ё as е."""
    return text.casefold().replace("ё", "е")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    raw: str
    folded: str


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their character offsets."""
    return [Token(m.start(), m.end(), m.group(), fold(m.group())) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class _Word:
    text: str
    mode: str  # "prefix", "case", "exact", "cyrillic", "latin"

    def matches(self, token: Token) -> bool:
        t = token.folded
        if self.mode == "prefix":
            return t.startswith(self.text)
        if self.mode == "case":
            return token.raw == self.text
        if self.mode == "exact":
            return t == self.text
        if not t.startswith(self.text):
            return False
        rest = t[len(self.text):]
        if self.mode == "cyrillic":
            return len(rest) <= 3 and all("а" <= c <= "я" for c in rest)
        return rest == "" or rest in LATIN_ENDINGS


def _word(raw: str, flexible: bool = False) -> _Word:
    """How one word of a name or cue matches words of a text (see the module docstring).

    ``flexible`` also lets a German word's own ending vary ("Zentraler Markt"
    matches "Zentralen Markt"); used for the names of places.csv only.
    """
    if raw.endswith("*"):
        return _Word(fold(raw[:-1]), "prefix")
    if raw.isupper() and len(raw) <= 5:
        return _Word(raw, "case")
    folded = fold(raw)
    if len(folded) < 4:
        return _Word(folded, "exact")
    if any("а" <= c <= "я" for c in folded):
        stem = folded
        for _ in range(2):  # -а, -ы, -ый, -ая ...: Russian endings of one or two letters
            if len(stem) > 4 and stem[-1] in _CYRILLIC_VOWELS:
                stem = stem[:-1]
        return _Word(stem, "cyrillic")
    if flexible and len(folded) >= 6:
        for ending in ("en", "er", "es", "em", "e"):
            if folded.endswith(ending):
                return _Word(folded[:-len(ending)], "latin")
    return _Word(folded, "latin")


@dataclass(frozen=True)
class Match:
    """A phrase found in the text: token range, offsets and what it stands for."""

    first: int
    last: int  # inclusive token index
    start: int
    end: int
    target: Any
    rank: int  # lower wins among overlapping matches of equal length


class Matcher:
    """Many phrases, each a sequence of words, found in a text in one pass over its words."""

    def __init__(self) -> None:
        self._index: dict[str, list[tuple[tuple[_Word, ...], Any, int, bool]]] = {}

    def add(self, phrase: str, target: Any, *, rank: int = 0, capital: bool = False,
            flexible: bool = False) -> None:
        """Add ``phrase``; ``capital`` requires its first word to start with a capital in the text."""
        words = tuple(_word(w, flexible) for w in re.findall(r"\w+\*?", phrase))
        if words:
            key = fold(words[0].text)
            self._index.setdefault(key, []).append((words, target, rank, capital))

    def find(self, text: str, toks: Sequence[Token]) -> list[Match]:
        """Every phrase occurrence; overlaps resolved in favour of longer, then lower-rank phrases."""
        found: list[Match] = []
        for i, tok in enumerate(toks):
            for size in range(len(tok.folded), 0, -1):
                for words, target, rank, capital in self._index.get(tok.folded[:size], ()):
                    if capital and not tok.raw[0].isupper():
                        continue
                    last = self._extend(text, toks, i, words)
                    if last is not None:
                        found.append(Match(i, last, tok.start, toks[last].end, target, rank))
        found.sort(key=lambda m: (m.first - m.last, m.rank, m.first))
        taken: set[int] = set()
        chosen = []
        for match in found:
            span = set(range(match.first, match.last + 1))
            if not span & taken:
                taken |= span
                chosen.append(match)
        return sorted(chosen, key=lambda m: (m.first, m.rank))

    @staticmethod
    def _extend(text: str, toks: Sequence[Token], i: int, words: tuple[_Word, ...]) -> int | None:
        for k, word in enumerate(words):
            j = i + k
            if j >= len(toks) or not word.matches(toks[j]):
                return None
            if k and not _GAP.fullmatch(text[toks[j - 1].end:toks[j].start]):
                return None
        return i + len(words) - 1


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split after . ! ? … and at blank lines, not after abbreviations or "8." in "8. Januar"."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.group().lstrip()[:1] in ".":
            before = re.search(r"(\w+)\.+$", text[start:m.start() + 1])
            after = re.match(r"\w+", text[m.end():])
            word = before.group(1) if before else ""
            if fold(word) in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            if word.isdigit() and after and (after.group()[0].islower() or fold(after.group()) in _MONTHS_DE):
                continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans
