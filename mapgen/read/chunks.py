"""Reading a places CSV a chunk of rows at a time, each column as codes into its distinct cells.

A large export repeats its places, dates, statuses and sources on every
row, so each column of a chunk comes as :class:`Cells`: for every row the
index of its cell among the chunk's distinct cells. Checks then run once per
distinct cell, and a build keeps only numbers per row, never a Python string
per cell: memory grows with the distinct values, not with the rows.

A plain file (UTF-8, one line per record, as spreadsheets write them) is
parsed by Apache Arrow's CSV reader a block at a time, the next block on a
second thread while this one's rows are checked (Arrow lets go of Python's
lock as it parses); one block ahead at most, so memory stays small. That
thread also gathers each column's distinct cells and, for the free text
that seldom repeats (the summary), makes the JSON the outputs copy, so no
Python string is made per summary (:class:`Texts`). Anything
unusual (a quoted line break, a row with more or fewer cells than the header,
blank lines, another encoding) is read whole by :mod:`.table`, which also
words every problem; both readers give the same cells and line numbers.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ..columns import columns as all_columns, names
from ..incidents import encoded_cells
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


class Texts:
    """A column of free text (the summary): a cell per row that seldom repeats, kept by Arrow.

    No Python string is made per cell: the cells go to the build's text store
    as :meth:`encoded` gives them, stripped and JSON-encoded
    (:func:`mapgen.incidents.encoded_cells`). ``codes`` and ``distinct`` give
    them as :class:`Cells` do, for the rare code that wants them one by one.
    """

    def __init__(self, written: Any) -> None:
        self.written = written  # a pyarrow string array, cells as written
        self.encoded = encoded_cells(written)

    @classmethod
    def of(cls, values: Sequence[str] | np.ndarray) -> Texts:
        import pyarrow as pa

        return cls(pa.array(np.asarray(values, dtype=object), type=pa.string()))

    def __len__(self) -> int:
        return len(self.written)

    @property
    def codes(self) -> np.ndarray:
        return np.arange(len(self), dtype=np.int64)

    @property
    def distinct(self) -> np.ndarray:
        return self.written.to_numpy(zero_copy_only=False)

    def blank(self) -> np.ndarray:
        """Rows whose cell is empty or spaces only (encoded as ``""``)."""
        _, starts, ends = self.encoded
        return ends - starts == 2

    def take(self, rows: np.ndarray) -> Texts:
        import pyarrow as pa

        return Texts(self.written.take(pa.array(rows)))


@dataclass
class Chunk:
    """Consecutive rows of a places CSV: their lines and their columns (every column of the data model)."""

    path: Path
    delimiter: str
    lines: np.ndarray  # the file line each row starts on
    columns: dict[str, Cells | Texts] = field(default_factory=dict)  # Texts: the free-text columns
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
        free = _free_text()
        for k, name in enumerate(frame.columns):
            values = frame.iloc[:, k].to_numpy(dtype=object)
            cells = Texts.of(values) if name in free and name not in chunk.columns else Cells.of(values)
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


def _plain(path: Path) -> tuple[str, list[str], int] | None:
    """(delimiter, header, BOM length) if the file may go to Arrow's reader, else ``None``.

    Plain: UTF-8 (a BOM allowed), line breaks \\n or \\r\\n only, the header on
    the first line and correct, and a last line that ends. Only the file's first
    and last bytes are read here; the line breaks of the rest are counted as its
    blocks are read (:class:`_Blocks`).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
            handle.seek(-1, 2)
            last = handle.read(1)
    except OSError:
        return None  # the careful reader says what is wrong (or the file is empty)
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if last != b"\n" or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\n" not in head:
        return None
    line = head[bom:head.index(b"\n") + 1]
    if _lone_crs(line):
        return None
    try:
        first = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    delimiter = sniff_delimiter(first)
    header = [c.strip().lower() for c in next(csv.reader([first], delimiter=delimiter), [])]
    if not header or _check_header(header, 1, "") or len(set(header)) != len(header) or "" in header:
        return None
    return delimiter, header, bom


def _lone_crs(block: bytes | bytearray, size: int | None = None) -> int:
    """How many CRs of ``block[:size]`` (whole lines) are not followed by LF: Arrow would take each for a line break."""
    size = len(block) if size is None else size
    if block.find(b"\r", 0, size) < 0:  # seldom any: a Windows file has CR LF
        return 0
    return block.count(b"\r", 0, size) - block.count(b"\r\n", 0, size)


def _arrow_chunks(path: Path, delimiter: str, header: list[str], bom: int) -> Iterator[Chunk]:
    """The rows of a plain file from Arrow's CSV reader; the careful reader's chunk if Arrow balks."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = [n for n in names(optional=False) if n not in header]
    free = _free_text()
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                               newlines_in_values=False, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in header}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    blocks = _Blocks(path, bom)
    each = iter(blocks)

    def parsed() -> tuple[Any, list[Any]] | None:
        """The next block, read and parsed, its repeating columns dictionary-encoded; ``None`` at the end.

        Runs on the reader thread: Arrow lets go of Python's lock while it parses and encodes.
        """
        block = next(each, None)
        if block is None:
            return None
        read = pacsv.ReadOptions(use_threads=False, block_size=len(block) + 1, column_names=header,
                                 encoding="utf-8")
        table = pacsv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse,
                               convert_options=convert)
        if not table.num_rows:
            return None, []
        batch = table.combine_chunks().to_batches()[0]
        return batch, [Texts(batch.column(k)) if name in free else batch.column(k).dictionary_encode()
                       for k, name in enumerate(header)]

    line = 2
    with ThreadPoolExecutor(1, thread_name_prefix="mapgen-read") as reader:
        try:
            ahead = reader.submit(parsed)
            while True:
                got = ahead.result()
                if got is None:
                    break
                ahead = reader.submit(parsed)  # parsed while this block is checked
                batch, encoded = got
                if batch is not None:
                    chunk = _chunk(path, delimiter, header, batch, encoded, line, wanted)
                    line += batch.num_rows
                    if len(chunk):
                        yield chunk
            # a record spread over several lines, or a CR alone: the careful reader numbers the lines
            if blocks.lone_crs or line - 2 != blocks.lines:
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


class _Blocks:
    """The lines of a file after the header, in blocks of about :data:`CHUNK_BYTES` of whole lines.

    Each block is read, on the reader thread, into a buffer of its own, and is
    counted as it passes: its line breaks, and the CRs that are not followed by LF.
    """

    def __init__(self, path: Path, bom: int) -> None:
        self.path, self.bom = path, bom
        self.lines = 0      # line breaks after the header
        self.lone_crs = 0

    def __iter__(self) -> Iterator[memoryview]:
        with self.path.open("rb") as handle:
            handle.seek(self.bom)
            handle.readline()  # the header
            end = os.fstat(handle.fileno()).st_size
            rest = b""
            while True:
                # no bigger than what is left: a small file's block would be mostly zeros to allocate and fill
                buffer = bytearray(len(rest) + min(CHUNK_BYTES, max(1 << 16, end - handle.tell())))
                buffer[:len(rest)] = rest
                size = len(rest) + handle.readinto(memoryview(buffer)[len(rest):])
                if size == len(rest):
                    if rest:  # cannot happen: the file ends with a line break (_plain)
                        yield self._counted(buffer, size)
                    return
                cut = buffer.rfind(b"\n", 0, size) + 1
                rest = bytes(buffer[cut:size])
                if cut:
                    yield self._counted(buffer, cut)

    def _counted(self, buffer: bytearray, size: int) -> memoryview:
        self.lines += buffer.count(b"\n", 0, size)
        self.lone_crs += _lone_crs(buffer, size)  # counted in place, without a copy of the block
        return memoryview(buffer)[:size]


def _free_text() -> set[str]:
    """Columns whose cells seldom repeat (the summary): one cell per row, not gathered."""
    return {c.name for c in all_columns().values() if c.kind == "free_text"}


def _chunk(path: Path, delimiter: str, header: list[str], batch: Any, encoded: list[Any], first_line: int,
           wanted: list[str]) -> Chunk:
    n = batch.num_rows
    columns: dict[str, Cells | Texts] = {}
    for name, column in zip(header, encoded):
        if isinstance(column, Texts):  # cells that seldom repeat: one per row
            columns[name] = column
        else:
            columns[name] = Cells(column.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
                                  column.dictionary.to_numpy(zero_copy_only=False))
    blank = np.ones(n, dtype=bool)
    for name in sorted(header, key=lambda c: isinstance(columns[c], Texts)):  # rows of blank cells are skipped,
        if not blank.any():                      # as the careful reader skips them (the place is seldom blank)
            break
        cells = columns[name]
        if isinstance(cells, Texts):
            blank &= cells.blank()
        else:
            empty = np.fromiter((not c.strip() for c in cells.distinct), dtype=bool, count=len(cells.distinct))
            blank &= empty[cells.codes]
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    if blank.any():
        keep = np.flatnonzero(~blank)
        lines = lines[keep]
        columns = {name: cells.take(keep) for name, cells in columns.items()}
    free = _free_text()
    for name in wanted:  # columns the file lacks: empty cells
        columns[name] = (Texts.of([""] * len(lines)) if name in free
                         else Cells(np.zeros(len(lines), dtype=np.int64), np.array([""], dtype=object)))
    return Chunk(path, delimiter, lines, columns, header=list(header))


__all__ = ["CHUNK_BYTES", "Cells", "Chunk", "Texts", "Restart", "read_chunks", "read_whole"]
