"""Checking a places file: every cell by its column's kind, then rows grouped into places.

The file is checked a chunk of rows at a time (:mod:`mapgen.read.chunks`), so
memory grows with the places and the distinct values, not with the rows: each
row is kept as a few numbers, its texts in a temporary file
(:class:`mapgen.incidents.Incidents`). All problems are collected and raised at
once as one :class:`DataError`, each naming the file, line, column and value,
and saying what to write instead. The columns and their kinds are data
(:mod:`mapgen.columns`); the checks of each kind are in :mod:`.cells`, those
across rows in :mod:`.places`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..columns import Column, columns
from ..config import Config, load_config
from ..dataset import DATE_PRECISIONS, DEFAULT_RADIUS_M, STATUSES, Dataset
from ..errors import DataError, Problem
from ..incidents import Incidents, TextStore
from ..read import RawTable, gc_paused
from ..read.chunks import Chunk, Restart, Texts, read_chunks, read_whole
from .cells import CHECKS, Checker, Coded
from .places import PlaceBook, Repeats

__all__ = ["load", "validate"]

#: Incident columns kept as texts (the others become codes or numbers).
TEXT_KINDS = ("free_text", "text", "url", "name", "list")


def load(path: str | Path, encoding: str | None = None, config: Config | None = None) -> Dataset:
    """Read and check a places CSV; raise :class:`DataError` listing every problem."""
    config = config if config is not None else load_config(path)
    try:
        return _checked(read_chunks(path, encoding), config)
    except Restart:  # the file was not as plain as its first blocks: read it again, carefully
        return _checked([read_whole(path, encoding)], config)


def validate(raw: RawTable, config: Config | None = None) -> Dataset:
    """Check every cell of ``raw`` and group rows into places."""
    return _checked([Chunk.of(raw)], config)


def _checked(chunks: Iterable[Chunk], config: Config | None) -> Dataset:
    with gc_paused():  # many small objects are made and most of them are kept
        build = _Build()
        for chunk in chunks:
            build.add(chunk)
        return build.dataset(config or Config())


class _Build:
    """What the chunks of one file add up to."""

    def __init__(self) -> None:
        self.book: PlaceBook | None = None
        self.repeats: Repeats | None = None
        self.problems: list[Problem] = []
        self.path: Path | None = None
        self.table: list[Column] = []
        self.tagsets: dict[tuple[str, ...], int] = {}
        self.sources: dict[str, int] = {}
        self.parts: dict[str, list[np.ndarray]] = {}
        self.texts: TextStore | None = None

    def start(self, chunk: Chunk) -> None:
        self.path = chunk.path
        self.table = [c for c in columns().values() if c.name in chunk.columns]
        single = tuple(c.name for c in self.table if c.level == "place" and c.name not in ("place", "aliases"))
        self.book = PlaceBook(str(chunk.path), single)
        self.repeats = Repeats(str(chunk.path))
        self.texts = TextStore(self.text_columns())

    def text_columns(self) -> list[str]:
        """The incident columns whose texts are kept per row."""
        return [c.name for c in self.table if c.level == "incident" and c.kind in TEXT_KINDS and c.name != "source"]

    def add(self, chunk: Chunk) -> None:
        if self.book is None:
            self.start(chunk)
        check = Checker(chunk, free_text=frozenset(c.name for c in self.table if c.kind == "free_text"))
        values = {c.name: CHECKS[c.kind](check, c) for c in self.table}
        lat_given, lon_given = check.given("lat"), check.given("lon")
        check.flag(lat_given & ~lon_given, "lon", "is empty but 'lat' is given; give both coordinates or neither.")
        check.flag(lon_given & ~lat_given, "lat", "is empty but 'lon' is given; give both coordinates or neither.")
        located = lat_given & lon_given
        for name in ("lat", "lon"):  # a place's coordinates come from rows that give both
            values[name] = np.where(located, values[name], np.nan)
        places = self._place_values(values)
        named = check.given("place")
        place = self.book.add(check, values["place"], named, places)
        tagset = self._tagsets(values["incidents"])
        self.repeats.add(check, tagset)
        self._rows(check, values, place, tagset)
        self.problems.extend(check.problems)

    def _place_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The place columns as the book takes them: a choice as its text ("" if none)."""
        out = dict(values)
        for c in self.table:
            if c.level == "place" and c.kind == "choice":
                out[c.name] = Coded(values[c.name] + 1, np.array(("",) + c.choices, dtype=object))
        return out

    def _tagsets(self, coded: Coded) -> np.ndarray:
        """Each row's set of types as a code among the file's distinct sets (first seen first)."""
        local = np.array([self.tagsets.setdefault(tuple(t), len(self.tagsets)) for t in coded.values],
                         dtype=np.int32)
        return local[coded.codes] if len(local) else np.zeros(len(coded.codes), dtype=np.int32)

    def _rows(self, check: Checker, values: dict[str, Any], place: np.ndarray, tagset: np.ndarray) -> None:
        status = values["status"]
        day = values["date"]
        dp = values["date_precision"]
        source = values["source"]
        codes = np.array([self.sources.setdefault(s, len(self.sources)) for s in source.values], dtype=np.int32)
        parts = {
            "place": place.astype(np.int32),
            "tagset": tagset,
            "status": np.where(status < 0, STATUSES.index(columns()["status"].default), status).astype(np.int8),
            # "" (0) where there is no date; else the date precision, by default "day"
            "date_precision": np.where(day < 0, 0, np.where(dp < 0, 1 + DATE_PRECISIONS.index(
                columns()["date_precision"].default), dp + 1)).astype(np.int8),
            "day": day.astype(np.int32),
            "source": codes[source.codes] if len(codes) else np.zeros(len(place), dtype=np.int32),
            "line": check.lines,
        }
        for c in self.table:
            if c.level == "incident" and c.kind == "count":
                parts[f"count:{c.name}"] = values[c.name]
        for name, part in parts.items():
            self.parts.setdefault(name, []).append(part)
        for name in self.texts.columns:
            if isinstance(values[name], Texts):  # encoded as read
                self.texts.add_encoded(name, *values[name].encoded)
            else:
                self.texts.add(name, values[name].rows().tolist())

    def dataset(self, config: Config) -> Dataset:
        if self.book is None:  # a file with a header only
            self.start(Chunk(self.path or Path(), ",", np.zeros(0, dtype=np.int64)))
        free = [c.name for c in self.table if c.kind == "free_text"]
        texts = self.texts

        def free_texts(rows: np.ndarray) -> list[tuple[bytes, ...]]:
            columns = [texts.encoded(name, rows) for name in free]
            return list(zip(*columns)) if columns else [()] * len(rows)

        problems = self.problems + self.book.problems + self.repeats.problems(free_texts)
        if problems:
            raise DataError(problems, hint=f"Fix these in {Path(self.path).name} and run again.")
        places = self.book.frame()
        places["precision"] = places["precision"].replace("", columns()["precision"].default).astype(object)
        if "radius_m" not in places:
            places["radius_m"] = np.nan
        places["radius_m"] = places["radius_m"].fillna(places["precision"].map(DEFAULT_RADIUS_M).astype(float))
        places["loc_source"] = pd.Series(np.where(places["lat"].notna(), "manual", ""), dtype=object)
        empty = {"place": np.int32, "tagset": np.int32, "status": np.int8, "date_precision": np.int8,
                 "day": np.int32, "source": np.int32, "line": np.int64}
        joined = {name: np.zeros(0, dtype=kind) for name, kind in empty.items()}
        joined.update({name: np.concatenate(part) for name, part in self.parts.items()})
        rows = Incidents(
            place=joined["place"], tagset=joined["tagset"], tagsets=[list(t) for t in self.tagsets],
            status=joined["status"], date_precision=joined["date_precision"], day=joined["day"],
            source=joined["source"], sources=list(self.sources), line=joined["line"], texts=self.texts,
            counts={name.split(":", 1)[1]: part for name, part in joined.items() if name.startswith("count:")},
        )
        return Dataset(path=Path(self.path), places=places, rows=rows, config=config)
