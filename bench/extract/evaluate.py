"""Precision and recall of `mapgen extract` on the benchmark corpus, per language and overall.

Run as ``python bench/extract/evaluate.py [--verbose]``; see README.md beside it.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
EXPECTED = HERE / "expected.csv"


@dataclass
class Counts:
    """True positives, predictions and expectations, for places and for (place, type) pairs."""

    place_hits: int = 0
    place_found: int = 0
    place_expected: int = 0
    type_hits: int = 0
    type_found: int = 0
    type_expected: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in ("place_hits", "place_found", "place_expected", "type_hits", "type_found", "type_expected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes

    @staticmethod
    def _ratio(hits: int, total: int) -> float:
        return hits / total if total else 1.0

    @property
    def place_precision(self) -> float:
        return self._ratio(self.place_hits, self.place_found)

    @property
    def place_recall(self) -> float:
        return self._ratio(self.place_hits, self.place_expected)

    @property
    def type_precision(self) -> float:
        return self._ratio(self.type_hits, self.type_found)

    @property
    def type_recall(self) -> float:
        return self._ratio(self.type_hits, self.type_expected)


def expected() -> dict[str, dict[str, set[str]]]:
    """Report file name → place → expected types."""
    table: dict[str, dict[str, set[str]]] = {}
    with EXPECTED.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            types = {t for t in row["types"].split(";") if t}
            table.setdefault(row["report"], {})[row["place"]] = types
    return table


def score_report(path: Path, want: dict[str, set[str]]) -> Counts:
    from mapgen.extract import extract

    result = extract(path.read_text("utf-8"))
    got = {c.place.name: set(c.tags) for c in result.candidates}
    pairs_got = {(p, t) for p, ts in got.items() for t in ts}
    pairs_want = {(p, t) for p, ts in want.items() for t in ts}
    counts = Counts(len(got.keys() & want.keys()), len(got), len(want),
                    len(pairs_got & pairs_want), len(pairs_got), len(pairs_want))
    if result.lang != path.name[:2]:
        counts.notes.append(f"{path.name}: language detected as {result.lang}")
    for place in sorted(want.keys() - got.keys()):
        counts.notes.append(f"{path.name}: missed place {place}")
    for place in sorted(got.keys() - want.keys()):
        counts.notes.append(f"{path.name}: extra place {place} {sorted(got[place])}")
    for place, tag in sorted(pairs_want - pairs_got):
        counts.notes.append(f"{path.name}: missed type {tag} at {place}")
    for place, tag in sorted(pairs_got - pairs_want):
        counts.notes.append(f"{path.name}: extra type {tag} at {place}")
    return counts


def evaluate(holdout_only: bool = False) -> dict[str, Counts]:
    """Counts per language ("de", "en", "ru") and overall ("all"), over every report or
    only the held-out ones (``*_holdout_*``: written after the extractor was tuned on the others)."""
    table = expected()
    by_lang: dict[str, Counts] = {}
    total = Counts()
    for path in sorted(CORPUS.glob("*.txt")):
        if holdout_only and "_holdout_" not in path.name:
            continue
        counts = score_report(path, table.get(path.name, {}))
        by_lang.setdefault(path.name[:2], Counts()).add(counts)
        total.add(counts)
    by_lang["all"] = total
    return by_lang


def _table(title: str, results: dict[str, Counts]) -> None:
    print(title)
    print(f"{'lang':<5} {'place P':>8} {'place R':>8} {'type P':>8} {'type R':>8}   places")
    for lang, c in results.items():
        print(f"{lang:<5} {c.place_precision:8.2f} {c.place_recall:8.2f} {c.type_precision:8.2f} "
              f"{c.type_recall:8.2f}   {c.place_hits} right of {c.place_found} found, {c.place_expected} expected")


def main(argv: list[str]) -> None:
    results = evaluate()
    _table("All reports", results)
    print()
    _table("Held-out reports only (written after tuning)", evaluate(holdout_only=True))
    if "--verbose" in argv:
        print()
        print("\n".join(results["all"].notes))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
    main(sys.argv[1:])
