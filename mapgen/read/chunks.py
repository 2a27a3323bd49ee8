"""Reading a places CSV a chunk of rows at a time, each column as codes into its distinct cells.

A large export repeats its places, dates, statuses and sources on every
row, so each column of a chunk comes as :class:`Cells`: for every row the
index of its cell among the chunk's distinct cells. Checks then run once per
distinct cell, and a build keeps only numbers per row, never a Python string
per cell: memory grows with the distinct values, not with the rows.

A plain file (UTF-8, one line per record, as spreadsheets write them) is
parsed by Apache Arrow's CSV reader a block at a time, the next block on a
second thread while this one's rows are checked (Arrow lets go of Python's
lock as it parses); one block ahead at most, so memory stays small. Anything
unusual (a quoted line break, a row with more or fewer cells than the header,
blank lines, another encoding) is read whole by :mod:`.table`, which also
words every problem; both readers give the same cells and line numbers.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ..columns import columns as all_columns, names
from .layout import sniff_delimiter
from .table import RawTable, _check_header, read_table

#: Bytes of a large file per chunk (about 50,000 rows of an ACLED-like export).
CHUNK_BYTES = 16 << 20


@dataclass
class Cells:
    """One column of a chunk: ``codes[i]`` is row i's cell in ``distinct`` (cells as written)."""

    codes: np.ndarray
    distinct: np.ndarray  # object array of str

    def rows(self) -> np.ndarray:
        """Each row's cell, as written."""
        return self.distinct[self.codes]

    @classmethod
    def of(cls, values: Sequence[str] | np.ndarray) -> Cells:
        codes, distinct = pd.factorize(np.asarray(values, dtype=object), sort=False, use_na_sentinel=False)
        return cls(codes.astype(np.int64, copy=False), np.asarray(distinct, dtype=object))

    def take(self, rows: np.ndarray) -> Cells:
        return Cells(self.codes[rows], self.distinct)


@dataclass
class Chunk:
    """Consecutive rows of a places CSV: their lines and their columns (every column of the data model)."""

    path: Path
    delimiter: str
    lines: np.ndarray  # the file line each row starts on
    columns: dict[str, Cells] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)  # as written (lower case), repeats included
    repeated: dict[int, Cells] = field(default_factory=dict)  # cells of header positions that repeat a name

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def of(cls, raw: RawTable) -> Chunk:
        """All of a :class:`RawTable` as one chunk."""
        frame = raw.frame
        chunk = cls(raw.path, raw.delimiter, np.asarray(raw.lines, dtype=np.int64),
                    header=[str(c) for c in frame.columns])
        for k, name in enumerate(frame.columns):
            cells = Cells.of(frame.iloc[:, k].to_numpy(dtype=object))
            if name in chunk.columns:
                chunk.repeated[k] = cells
            else:
                chunk.columns[name] = cells
        return chunk


def read_chunks(path: str | Path, encoding: str | None = None) -> Iterator[Chunk]:
    """The rows of ``path`` in chunks; raises :class:`DataError` for a file that cannot be read.

    Raises :class:`Restart` when Arrow gives up after some chunks were given
    out (the file was not what its first blocks promised): the caller starts
    again with :func:`read_whole`.
    """
    path = Path(path)
    plain = _plain(path) if encoding is None else None
    if plain is not None:
        chunks = _arrow_chunks(path, *plain)
        first = next(chunks, None)  # Arrow balked at the first block: the careful reader takes over
        if first is not None:
            yield first
            yield from chunks
            return
    yield read_whole(path, encoding)


def read_whole(path: str | Path, encoding: str | None = None) -> Chunk:
    """All of ``path`` as one chunk, read by the careful reader."""
    return Chunk.of(read_table(path, encoding))


class Restart(Exception):
    """Arrow gave up after the first chunks: read the file again with :func:`read_whole`."""


class _NotPlain(Exception):
    """Arrow met something the careful reader must read (and word)."""


def _plain(path: Path) -> tuple[str, list[str], int, int] | None:
    """(delimiter, header, lines, BOM length) if the file may go to Arrow's reader, else ``None``.

    Plain: UTF-8 (a BOM allowed), line breaks \\n or \\r\\n only, the header on
    the first line and correct, and a last line that ends.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
            lines, cr, last = 0, 0, b""
            block = head
            while block:
                lines += block.count(b"\n")
                if b"\r" in block:  # seldom: a Windows file; a lone CR is not plain
                    cr += block.count(b"\r") - block.count(b"\r\n") - block.endswith(b"\r")
                last = block[-1:]
                block = handle.read(1 << 24)
                if last == b"\r" and block[:1] != b"\n":
                    cr += 1
    except OSError:
        return None  # the careful reader says what is wrong
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if cr or last != b"\n" or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\n" not in head:
        return None
    try:
        first = head[bom:head.index(b"\n")].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    delimiter = sniff_delimiter(first)
    header = [c.strip().lower() for c in next(csv.reader([first], delimiter=delimiter), [])]
    if not header or _check_header(header, 1, "") or len(set(header)) != len(header) or "" in header:
        return None
    return delimiter, header, lines, bom


def _arrow_chunks(path: Path, delimiter: str, header: list[str], lines: int, bom: int) -> Iterator[Chunk]:
    """The rows of a plain file from Arrow's CSV reader; the careful reader's chunk if Arrow balks."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = [n for n in names(optional=False) if n not in header]
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                               newlines_in_values=False, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in header}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)

    def parsed(block: bytes) -> object:  # one record batch of the whole block
        read = pacsv.ReadOptions(use_threads=False, block_size=len(block) + 1, column_names=header,
                                 encoding="utf-8")
        table = pacsv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse,
                               convert_options=convert)
        return table.combine_chunks().to_batches()[0] if table.num_rows else None

    line = 2
    blocks = _blocks(path, bom)
    with ThreadPoolExecutor(1, thread_name_prefix="mapgen-read") as reader:
        try:
            seen = 0
            ahead = reader.submit(parsed, next(blocks, b""))
            while True:
                batch = ahead.result()
                block = next(blocks, None)
                if block is not None:  # parsed meanwhile
                    ahead = reader.submit(parsed, block)
                if batch is not None:
                    chunk = _chunk(path, delimiter, header, batch, line, wanted)
                    line += batch.num_rows  # type: ignore[attr-defined]
                    seen += batch.num_rows  # type: ignore[attr-defined]
                    if len(chunk):
                        yield chunk
                if block is None:
                    break
            if seen != lines - 1:  # a record spread over several lines: the careful reader numbers them
                raise _NotPlain
        except (pa.ArrowException, _NotPlain, UnicodeDecodeError) as exc:
            if line > 2:  # chunks were given out already
                raise Restart from exc
            return
        finally:
            _give_back_memory(pa)


def _give_back_memory(pa: Any) -> None:
    """Return the memory the chunks took to the system once they are read.

    Arrow's allocator and glibc's keep freed memory for later; after a large
    file that is a large part of the process, which the fork writing the
    exports would then share for nothing (BENCHMARKS.md).
    """
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc; elsewhere there is nothing to trim this way
    except (OSError, AttributeError):
        pass


def _blocks(path: Path, bom: int) -> Iterator[bytes]:
    """The lines of ``path`` after the header, in blocks of about :data:`CHUNK_BYTES` of whole lines."""
    with path.open("rb") as handle:
        handle.seek(bom)
        handle.readline()  # the header
        rest = b""
        while True:
            data = handle.read(CHUNK_BYTES)
            if not data:
                if rest:
                    yield rest
                return
            data = rest + data if rest else data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut]
            rest = data[cut:]


def _chunk(path: Path, delimiter: str, header: list[str], batch: object, first_line: int,
           wanted: list[str]) -> Chunk:
    n = batch.num_rows  # type: ignore[attr-defined]
    columns: dict[str, Cells] = {}
    blank = np.ones(n, dtype=bool)
    free = {c.name for c in all_columns().values() if c.kind == "free_text"}
    for k, name in enumerate(header):
        column = batch.column(k)  # type: ignore[attr-defined]
        if name in free:  # cells that seldom repeat: one per row
            cells = Cells(np.arange(n, dtype=np.int64), column.to_numpy(zero_copy_only=False))
        else:
            encoded = column.dictionary_encode()
            cells = Cells(encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
                          encoded.dictionary.to_numpy(zero_copy_only=False))
        columns[name] = cells
    for name in sorted(header, key=lambda c: c in free):  # rows of blank cells are skipped, as the careful
        if not blank.any():                                # reader skips them (the place is seldom blank)
            break
        cells = columns[name]
        empty = np.fromiter((not c.strip() for c in cells.distinct), dtype=bool, count=len(cells.distinct))
        blank &= empty[cells.codes]
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    if blank.any():
        keep = np.flatnonzero(~blank)
        lines = lines[keep]
        columns = {name: cells.take(keep) for name, cells in columns.items()}
    for name in wanted:  # columns the file lacks: empty cells
        columns[name] = Cells(np.zeros(len(lines), dtype=np.int64), np.array([""], dtype=object))
    return Chunk(path, delimiter, lines, columns, header=list(header))


__all__ = ["CHUNK_BYTES", "Cells", "Chunk", "Restart", "read_chunks", "read_whole"]
