"""The incidents of a checked places file, kept compactly: numbers per row, texts on disk.

A row of a large export costs a few bytes here: its place, its set of types,
status, date precision, day and source are small integers (each text once, in
a list); its free texts (summary, link, carried text columns such as
``event_id``) are kept JSON-encoded in a :class:`TextStore`, a temporary file
read back by offset. So a million incidents take tens of megabytes of memory,
and the outputs copy the texts as they are, without decoding them.

:meth:`Incidents.frame` gives the same rows as a pandas DataFrame of plain
values, for notebooks and small datasets (:attr:`mapgen.dataset.Dataset.incidents`).
"""

from __future__ import annotations

import mmap
import tempfile
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import orjson

#: Day 0 of the day numbers an incident's date is kept as.
EPOCH = np.datetime64("1970-01-01", "D")


class TextStore:
    """Texts per row and column, JSON-encoded, in a temporary file (memory stays small)."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._file = tempfile.TemporaryFile(prefix="mapgen-texts-")
        self._size = 0
        self._starts: dict[str, list[np.ndarray]] = {c: [] for c in self.columns}
        self._ends: dict[str, list[np.ndarray]] = {c: [] for c in self.columns}
        self._spans: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._map: mmap.mmap | None = None

    def add(self, column: str, values: list[str]) -> None:
        """Append the texts of further rows of ``column``."""
        self.add_encoded(column, *_encoded(values))

    def add_encoded(self, column: str, body: bytes, starts: np.ndarray, ends: np.ndarray) -> None:
        """Append texts already JSON-encoded: ``body[starts[i]:ends[i]]`` is row i's (:func:`encoded_cells`)."""
        self._file.write(body)
        self._starts[column].append(self._size + starts)
        self._ends[column].append(self._size + ends)
        self._size += len(body)
        self._spans.pop(column, None)
        self._map = None  # more to read: map the file again when asked

    def encoded(self, column: str, rows: np.ndarray | slice | None = None) -> list[bytes]:
        """The JSON-encoded texts of ``rows`` (all rows if ``None``), in that order."""
        starts, ends = self._span(column)
        picked = slice(None) if rows is None else rows
        view = self._mapped()
        return [view[a:b] for a, b in zip(starts[picked].tolist(), ends[picked].tolist())]

    def lengths(self, column: str) -> np.ndarray:
        """The length in bytes of each row's JSON-encoded text."""
        starts, ends = self._span(column)
        return ends - starts

    def _span(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._spans:
            parts = self._starts[column], self._ends[column]
            self._spans[column] = tuple(np.concatenate(p) if p else np.zeros(0, np.int64)  # type: ignore[assignment]
                                        for p in parts)
        return self._spans[column]

    def values(self, column: str, rows: np.ndarray | slice | None = None) -> list[str]:
        """The texts of ``rows``, decoded."""
        return [orjson.loads(b) for b in self.encoded(column, rows)]

    def _mapped(self) -> bytes | mmap.mmap:
        if self._size == 0:
            return b""
        if self._map is None:
            self._file.flush()
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map


def _encoded(values: list[str]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """``values`` as JSON strings in one piece, ``"a","b"``, and where each starts and ends.

    One call of orjson for them all; the commas between the strings are where
    ``","`` follows a closing quote, one not escaped by a backslash (a text may
    hold ``",`` too, but always as ``\\",``).
    """
    if not values:
        return b"", np.zeros(0, np.int64), np.zeros(0, np.int64)
    body = orjson.dumps(values)[1:-1]
    raw = np.frombuffer(body, dtype=np.uint8)
    quote = raw == ord('"')
    commas = np.flatnonzero(quote[:-2] & (raw[1:-1] == ord(",")) & quote[2:]) + 1
    maybe = commas[(commas >= 2) & (raw[np.maximum(commas - 2, 0)] == ord("\\"))].tolist()  # seldom any
    escaped = [at for at in maybe if _backslashes_before(body, at - 1) % 2]
    if escaped:  # setdiff1d sorts: only when there is something to take out
        commas = np.setdiff1d(commas, escaped)
    if len(commas) != len(values) - 1:  # cannot happen; if it did, one call per text is always right
        each = [orjson.dumps(v) for v in values]
        ends = np.cumsum(np.fromiter(map(len, each), dtype=np.int64, count=len(each)))
        return b"".join(each), ends - np.fromiter(map(len, each), dtype=np.int64, count=len(each)), ends
    starts = np.concatenate(([0], commas + 1)).astype(np.int64)
    ends = np.concatenate((commas, [len(body)])).astype(np.int64)
    return body, starts, ends


#: Characters ``str.strip`` takes off (``str.isspace``; none is above U+3000).
_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_SPACE = "[" + "".join(rf"\x{{{ord(c):x}}}" for c in _SPACES) + "]"  # one of them (RE2, for Arrow)
#: Cells that need Python: JSON escapes a quote, a backslash or a control character in them,
#: or their first or last character is a space that ``str.strip`` would take off.
_NOT_AS_WRITTEN = rf'["\\\x00-\x1f]|^{_SPACE}|{_SPACE}$'


def encoded_cells(cells: object) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The cells of an Arrow string array, each stripped and JSON-encoded, in one piece; where each starts and ends.

    The same bytes as ``_encoded([c.strip() for c in cells])``, without a
    Python string per cell: most cells of a summary column need no escape and
    no stripping, so their JSON is the cell in quotes, made by Arrow in C++
    (which lets go of Python's lock, so this runs on the reader thread). The
    others are encoded by orjson, one by one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    quoted = pc.binary_join_element_wise('"', cells, '"', "")
    if isinstance(quoted, pa.ChunkedArray):
        quoted = quoted.combine_chunks()
    n = len(quoted)
    offsets = np.frombuffer(quoted.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * quoted.offset)
    data = quoted.buffers()[2]
    first = int(offsets[0])
    lengths = np.diff(offsets).astype(np.int64)
    odd = np.flatnonzero(pc.match_substring_regex(cells, _NOT_AS_WRITTEN).to_numpy(zero_copy_only=False))
    if not len(odd):
        body = data.to_pybytes()[first:int(offsets[-1])] if n else b""
    else:
        fixed = [orjson.dumps(c.strip()) for c in pc.take(cells, pa.array(odd)).to_pylist()]
        view = memoryview(data) if data is not None else memoryview(b"")
        pieces, at = [], first
        for row, text in zip(odd.tolist(), fixed):
            pieces += (view[at:int(offsets[row])], text)
            at = int(offsets[row + 1])
        pieces.append(view[at:int(offsets[-1])])
        body = b"".join(pieces)
        lengths[odd] = [len(t) for t in fixed]
    ends = np.cumsum(lengths)
    return body, ends - lengths, ends


def _backslashes_before(body: bytes, at: int) -> int:
    """How many backslashes stand right before ``body[at]``."""
    n = 0
    while at - 1 - n >= 0 and body[at - 1 - n] == ord("\\"):
        n += 1
    return n


@dataclass
class Incidents:
    """One entry per incident (CSV row), in the file's order; see the module docstring."""

    place: np.ndarray           # int32: row of Dataset.places
    tagset: np.ndarray          # int32: index into tagsets
    tagsets: list[list[str]]    # each distinct set of types once, as written (no repeats)
    status: np.ndarray          # int8: index into mapgen.dataset.STATUSES
    date_precision: np.ndarray  # int8: index into ("",) + mapgen.dataset.DATE_PRECISIONS ("": no date)
    day: np.ndarray             # int32: days since 1970-01-01; -1: no date
    source: np.ndarray          # int32: index into sources
    sources: list[str]
    line: np.ndarray            # int64: the CSV line the row starts on
    texts: TextStore            # summary, url and the carried text columns
    counts: dict[str, np.ndarray] = field(default_factory=dict)  # carried count columns: float, NaN if empty

    def __len__(self) -> int:
        return len(self.line)

    def dates(self) -> list[str]:
        """Each row's date as ``YYYY-MM-DD``, ``""`` if none."""
        return iso_days(self.day)


def iso_days(days: np.ndarray) -> list[str]:
    """``YYYY-MM-DD`` of each day number (``""`` for -1), each distinct day computed once."""
    distinct, codes = np.unique(days, return_inverse=True)
    text = np.datetime_as_string(EPOCH + distinct.astype("timedelta64[D]"), unit="D").astype(object)
    text[distinct < 0] = ""
    return text[codes].tolist()
