"""Synthetic ``places.csv`` files for the scale benchmark and the scale test.

:func:`write_places_csv` writes ``rows`` incidents in mapgen's format, the
same bytes for the same ``(rows, seed)``. The mix imitates a large export of
ACLED-like event data:

* about 7 % as many places as rows (towns are reported again and again), with
  a long tail: a few places hold many incidents, most hold one or two;
* every precision (exact, approximate, city, country), so areas of uncertainty
  are drawn; three nationwide places go to the side panel;
* one to three incident types per row from mapgen's taxonomy, a few rows with
  none ("context");
* dates over about 18 months with every date precision, a few undated rows;
* every status; 60 sources; summaries of 40–450 characters (about 200 on
  average, like ACLED's notes), some with typographic quotes and dashes; links
  on 40 % of the rows; other names (accented, or in Cyrillic) for a tenth of
  the places;
* location cells repeated on most rows of a place, as ACLED exports do.

Run ``python bench/synth.py ROWS OUT.csv [--seed N]`` to write one file.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

#: Tags of mapgen's taxonomy (``mapgen/data/taxonomy.csv``), kept here so the
#: generator has no dependency on mapgen; a test checks they are all valid.
TAGS = ("gunfire", "explosion", "casualties", "arson", "looting", "protest", "arrests",
        "deployment", "curfew", "blackout", "closure", "evacuation", "shortage", "aid", "statement")
#: Relative frequency of each tag (protests and arrests are common, aid is rare).
TAG_WEIGHTS = (8, 5, 4, 3, 3, 14, 8, 7, 2, 2, 3, 1, 2, 1, 4)
HEADER = ("place", "address", "lat", "lon", "precision", "incidents", "date", "date_precision",
          "status", "summary", "source", "url", "aliases")
PRECISIONS = (("exact", 25), ("approximate", 45), ("city", 28), ("country", 2))
DATE_PRECISIONS = (("day", 70), ("week", 10), ("month", 8), ("report", 10), ("", 2))
STATUSES = (("confirmed", 30), ("reported", 45), ("unverified", 15), ("disputed", 5), ("candidate", 5))
START = date(2023, 1, 1)
DAYS = 548

_SYLLABLES = ("al", "ma", "ty", "ka", "ra", "gan", "da", "shy", "bek", "tau", "su", "ko", "zhan",
              "ar", "ly", "ta", "las", "ke", "men", "or", "sa", "ryk", "bul", "ak", "kol", "tem")
_KINDS = ("village", "town", "district", "market", "checkpoint", "bridge", "square", "station",
          "hospital", "school", "mosque", "police station", "border post", "mine", "farm")
_REGIONS = ("North", "South", "East", "West", "Central", "Upper", "Lower", "Coastal", "Highland")
_WORDS = ("residents", "reported", "clashes", "between", "security", "forces", "and", "armed",
          "men", "near", "the", "market", "several", "people", "were", "injured", "according",
          "to", "local", "sources", "police", "detained", "protesters", "who", "gathered",
          "outside", "administration", "building", "demanding", "release", "of", "activists",
          "shots", "heard", "overnight", "an", "explosive", "device", "damaged", "vehicle",
          "road", "was", "closed", "for", "hours", "officials", "said", "situation", "under",
          "control", "witnesses", "described", "smoke", "over", "district", "shops", "looted",
          "electricity", "internet", "cut", "supplies", "running", "low", "in", "area", "aid",
          "convoy", "arrived", "curfew", "imposed", "after", "dark", "fatalities", "unknown")
_CYRILLIC = dict(zip("abdegiklmnoprstuyz", "абдегиклмнопрстуыз"))
_SOURCES = tuple(f"{a} {b}" for a in ("Daily", "Regional", "Free", "Radio", "Evening", "Morning")
                 for b in ("Herald", "News", "Voice", "Observer", "Post", "Monitor", "Times",
                       "Courier", "Gazette", "Wire"))


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.1:  # news text has typographic quotes and dashes
        words.insert(rng.randrange(len(words)), rng.choice(("–", "“said”", "—")))
    return " ".join(words).capitalize() + "."


def _cyrillic(word: str) -> str:
    return "".join(_CYRILLIC.get(c, c) for c in word.lower()).capitalize()


def _places(rng: random.Random, count: int) -> list[dict[str, str]]:
    places: list[dict[str, str]] = []
    seen: set[str] = set()
    countries = 0
    while len(places) < count:
        precision = _weighted(rng, PRECISIONS)
        if precision == "country" and countries >= 3:  # a few nationwide entries, as in real data
            continue
        countries += precision == "country"
        region = rng.choice(_REGIONS)
        if precision == "country":
            name = f"{_name(rng)}stan (nationwide)"
            lat, lon = 48.0 + rng.uniform(-1, 1), 67.0 + rng.uniform(-1, 1)
        else:
            kind = rng.choice(_KINDS)
            name = f"{_name(rng)} {kind}, {region} {_name(rng)}"
            lat, lon = rng.uniform(41.0, 55.0), rng.uniform(47.0, 87.0)
        if name in seen:
            continue
        seen.add(name)
        aliases = ""
        if rng.random() < 0.1:  # other spellings, some in Cyrillic as in Central Asian sources
            aliases = "; ".join([_name(rng) + "é", _cyrillic(name.split(" ")[0])][: rng.randint(1, 2)])
        places.append({
            "place": name,
            "address": f"{name}, {region} region" if rng.random() < 0.5 else "",
            "lat": f"{lat:.5f}",
            "lon": f"{lon:.5f}",
            "precision": precision,
            "aliases": aliases,
        })
    return places


def csv_text(rows: int, seed: int = 1) -> str:
    """The text of a synthetic places CSV with ``rows`` incidents (deterministic)."""
    rng = random.Random(seed)
    places = _places(rng, max(1, round(rows * 0.07)))
    # Zipf-like weights: a few places hold many incidents, most one or two
    weights = [1.0 / (k + 1) ** 0.8 for k in range(len(places))]
    first_seen: set[int] = set()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    order = list(range(len(places)))
    picks = order[: min(rows, len(order))] + rng.choices(order, weights=weights, k=max(0, rows - len(order)))
    rng.shuffle(picks)
    for n, p in enumerate(picks):
        place = places[p]
        first = p not in first_seen
        first_seen.add(p)
        repeat = first or rng.random() < 0.7
        k = rng.choices((0, 1, 2, 3), weights=(2, 70, 22, 6))[0]
        tags = ";".join(dict.fromkeys(rng.choices(TAGS, weights=TAG_WEIGHTS, k=k)))
        date_precision = _weighted(rng, DATE_PRECISIONS)
        day = "" if date_precision == "" else (START + timedelta(days=rng.randrange(DAYS))).isoformat()
        summary = " ".join(_sentence(rng, 6, 20) for _ in range(rng.randint(1, 3)))
        summary = f"{summary} (event {seed}-{n})"  # no two rows repeat each other
        source = rng.choice(_SOURCES)
        url = (f"https://news.example.org/{source.lower().replace(' ', '-')}/{seed}/{n}"
               if rng.random() < 0.4 else "")
        writer.writerow((
            place["place"],
            place["address"] if first else "",
            place["lat"] if repeat else "",
            place["lon"] if repeat else "",
            place["precision"] if repeat else "",
            tags, day, date_precision, _weighted(rng, STATUSES), summary, source, url,
            place["aliases"] if first else "",
        ))
    return out.getvalue()


def write_places_csv(path: str | Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic places CSV of ``rows`` incidents to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_text(rows, seed).encode("utf-8"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_places_csv(args.out, args.rows, args.seed)


if __name__ == "__main__":
    main()
