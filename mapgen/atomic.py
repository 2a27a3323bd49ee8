"""Files replaced whole: a reader, or a crash, sees the old file or the new one, never half.

Every file mapgen writes goes through here: the map and its exports, the
geocode cache, ``places.csv`` when rows or coordinates are added, cached
assets. The bytes go to a temporary file in the same folder, are flushed to
disk, and the temporary file is renamed over the old one.

:class:`OutputSet` writes several files as one: all of them to temporary files
first, renamed only when every one is complete. A large file may be made and
written aside, by a forked copy of the process on the machine's other core,
while the caller goes on with the next (:meth:`OutputSet.write_aside`); a file
in parts of known sizes is made by the fork and the caller together, each part
written at its place (:meth:`OutputSet.write_shared`).
"""

from __future__ import annotations

import itertools
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Callable, Iterator, Protocol, Sequence, Union

from .errors import OutputError

#: What a file is made of: text (written as UTF-8), bytes, or pieces of bytes
#: in order, a list or made as they are written (no copy of the whole file is
#: made in memory).
Data = Union[str, bytes, Sequence[bytes], Iterator[bytes]]

_CHUNK = 1 << 20  # characters encoded at a time: a large page is not held twice
_JOIN = 512  # pieces joined per write


def write_atomic(path: str | Path, data: Data, *, user_file: bool = False) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8), atomically.

    A symbolic link is followed: the file it points to is replaced, the link
    stays. A read-only file is not replaced. With ``user_file`` (a file people
    edit, such as ``places.csv``), a file open in a spreadsheet is not replaced
    either: the spreadsheet would later save its old copy over the change.
    """
    path = _destination(Path(path))
    if user_file:
        _refuse_if_open(path)
    tmp = _reserve(path)
    try:
        _fill(tmp, data, path)
        _commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class OutputSet:
    """Files written together; use as a context manager.

    Leaving the ``with`` block normally renames every file into place; leaving
    it with an error removes every temporary file and leaves the old files.
    """

    def __init__(self) -> None:
        self._temps: dict[Path, Path] = {}
        self._aside: list[_Aside] = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def write(self, path: Path, data: Data) -> None:
        """Write ``data`` for ``path`` now; it replaces ``path`` at the commit."""
        path = _destination(Path(path))
        self._temps[path] = tmp = _reserve(path)
        _fill(tmp, data, path)

    def write_aside(self, path: Path, make: Callable[[], Data]) -> None:
        """Write ``make()`` for ``path`` in a forked process while the caller goes on.

        The fork shares the caller's memory (the checked data) without copying
        it, so making the GeoJSON of a million incidents takes the other core
        while this one makes the page. Where there is no ``fork`` (Windows) the
        file is written now. An error in the fork is raised here at the commit.
        """
        path = _destination(Path(path))
        self._temps[path] = tmp = _reserve(path)
        if not hasattr(os, "fork"):
            _fill(tmp, make(), path)
            return
        self._fork(path, lambda: _fill(tmp, make(), path))

    def write_shared(self, path: Path, make: Callable[[], Parts]) -> None:
        """Write the parts of ``make()`` for ``path``: a forked process and this one make and write them together.

        The fork starts at once; this process joins in at the commit, when it
        has written its other files, so whichever core is free makes the next
        part. The size of each part is known before it is made, so each is
        written straight to its place in the file. Without ``fork`` (Windows)
        the file is written now.
        """
        path = _destination(Path(path))
        self._temps[path] = tmp = _reserve(path)
        parts = make()
        if not hasattr(os, "fork") or len(parts) > _MAX_SHARED:
            _fill(tmp, iter(parts), path)
            return
        shared = _Shared(tmp, path, parts)

        def job() -> None:
            shared.work()
            shared.sync()

        self._fork(path, job, shared)

    def _fork(self, path: Path, job: Callable[[], None], shared: _Shared | None = None) -> None:
        """Run ``job`` in a fork; its error, if any, is raised at the commit."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the fork: do the job, say how it went, and leave without running the caller's exits
            status = 0
            try:
                os.close(read)
                job()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                status = 1
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(_pickled(exc))
            os._exit(status)
        os.close(write)
        self._aside.append(_Aside(pid, read, path, shared))

    def commit(self) -> None:
        """Wait for the files written aside, then rename every file into place."""
        try:
            self._wait(raise_error=True)
            for path, tmp in list(self._temps.items()):
                _commit(tmp, path)
                del self._temps[path]
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove every temporary file; the old files stay."""
        self._wait(raise_error=False)
        for tmp in self._temps.values():
            tmp.unlink(missing_ok=True)
        self._temps.clear()

    def _wait(self, raise_error: bool) -> None:
        """Wait for every fork; with ``raise_error``, raise the first error one of them met."""
        error: BaseException | None = None
        while self._aside:
            aside = self._aside.pop(0)
            if aside.shared is not None:  # make parts too, or, after an error, leave the fork none to make
                try:
                    aside.shared.work() if raise_error else aside.shared.drop()
                except BaseException as exc:  # noqa: BLE001 - raised once the fork has stopped
                    error = error or exc
            with os.fdopen(aside.pipe, "rb") as pipe:
                told = pipe.read()
            _, status = os.waitpid(aside.pid, 0)
            if error is None and (told or status):
                error = _unpickled(told) if told else OutputError(f"cannot write {aside.path}: the process "
                                                                  f"writing it stopped ({status}).")
            if aside.shared is not None:
                try:
                    aside.shared.sync() if error is None and raise_error else aside.shared.close()
                except BaseException as exc:  # noqa: BLE001
                    error = error or exc
        if error is not None and raise_error:
            raise error


class Parts(Protocol):
    """A file in parts whose sizes are known before they are made (:meth:`OutputSet.write_shared`)."""

    def __len__(self) -> int: ...

    def __getitem__(self, k: int) -> bytes: ...

    def __iter__(self) -> Iterator[bytes]: ...

    def sizes(self) -> list[int]: ...


#: Parts a shared file may have: the numbers of those not yet taken wait in a pipe, 4 bytes each,
#: written before the fork, and a pipe holds 64 KiB (a GeoJSON part is 20,000 incidents).
_MAX_SHARED = 16_000


class _Shared:
    """A file whose parts two processes make: each takes the next part's number from a pipe.

    A pipe hands each 4-byte number to one reader only, so no part is made
    twice, and it is empty once every part has been taken.
    """

    def __init__(self, tmp: Path, path: Path, parts: Parts) -> None:
        self.tmp, self.path, self.parts = tmp, path, parts
        self.fd: int | None = None
        # known before the fork, which then shares them (and what the parts share) with this process
        self.sizes = parts.sizes()
        self.offsets = [0, *itertools.accumulate(self.sizes)][:-1]  # where each part goes in the file
        self.queue, fill = os.pipe()
        os.write(fill, b"".join(k.to_bytes(4, "little") for k in range(len(parts))))
        os.close(fill)

    def _next(self) -> int | None:
        taken = os.read(self.queue, 4)
        return int.from_bytes(taken, "little") if taken else None

    def work(self) -> None:
        """Make and write parts until none is left."""
        try:
            k = self._next()
            if k is None:
                return
            if self.fd is None:
                self.fd = os.open(self.tmp, os.O_WRONLY)
            while k is not None:
                data = self.parts[k]
                if len(data) != self.sizes[k]:  # a writer whose sizes are wrong: never leave a garbled file
                    raise OutputError(f"cannot write {self.path}: part {k} came out {len(data)} bytes long, "
                                      f"not {self.sizes[k]}; this is a bug in mapgen, please report it.")
                view, at = memoryview(data), self.offsets[k]
                while view:
                    done = os.pwrite(self.fd, view, at)
                    view, at = view[done:], at + done
                k = self._next()
        except OutputError:  # an OSError too, and already worded
            raise
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}.") from None

    def drop(self) -> None:
        """Take every part left, and make none: the file will not be kept."""
        while self._next() is not None:
            pass

    def sync(self) -> None:
        """Flush the file to disk (once every part is written) and close it."""
        try:
            if self.fd is None:
                self.fd = os.open(self.tmp, os.O_WRONLY)
            os.fsync(self.fd)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror}.") from None
        finally:
            self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.queue >= 0:
            os.close(self.queue)
            self.queue = -1


@dataclass
class _Aside:
    """A file being written by a fork: its process, the pipe it reports an error on."""

    pid: int
    pipe: int
    path: Path
    shared: _Shared | None = None  # a file the fork and this process write together


def _pickled(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # an exception that cannot be pickled: its words at least
        return pickle.dumps(OutputError(f"{type(exc).__name__}: {exc}"))


def _unpickled(data: bytes) -> BaseException:
    try:
        exc = pickle.loads(data)
    except Exception:  # noqa: BLE001
        return OutputError("a file written aside failed and its error could not be read.")
    return exc if isinstance(exc, BaseException) else OutputError(str(exc))


def _destination(path: Path) -> Path:
    """The file that writing ``path`` replaces: the target of a link; refused if read-only."""
    if path.is_symlink():
        path = path.resolve()
    try:
        mode = path.stat().st_mode
    except OSError:
        return path
    if not mode & 0o222:
        raise OutputError(f"{path} is read-only, so mapgen does not replace it. Make it writable "
                          f"(chmod u+w {path.name}) or choose another file.")
    return path


#: Lock files spreadsheets keep beside a file they have open: LibreOffice, Excel.
_LOCK_NAMES = (".~lock.{name}#", "~${name}")


def _refuse_if_open(path: Path) -> None:
    for pattern in _LOCK_NAMES:
        lock = path.with_name(pattern.format(name=path.name))
        if lock.exists():
            raise OutputError(f"{path} is open in a spreadsheet ({lock.name} exists). Close it there "
                              "first, or the spreadsheet would later save its old copy over this change; "
                              "then run the command again.")


def _reserve(path: Path) -> Path:
    """Create an empty temporary file beside ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {path.parent}: {exc.strerror}. "
                          "Check the folder and its permissions.") from None
    os.close(fd)
    return Path(tmp)


def _fill(tmp: Path, data: Data, path: Path) -> None:
    """Write ``data`` to the temporary file of ``path`` and flush it to disk."""
    try:
        with open(tmp, "wb") as handle:
            if isinstance(data, str):
                for start in range(0, len(data), _CHUNK):
                    handle.write(data[start:start + _CHUNK].encode("utf-8"))
            elif isinstance(data, bytes):
                handle.write(data)
            elif isinstance(data, (list, tuple)):
                _write_pieces(handle, data)
            else:  # made while written
                for piece in data:
                    handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}.") from None


def _write_pieces(handle: BinaryIO, pieces: Sequence[bytes]) -> None:
    """Write ``pieces`` in order, joined a few hundred at a time.

    Small joins reuse the same memory, where one join of a large file would
    first have to map (and the kernel zero) as much new memory as the file.
    """
    for start in range(0, len(pieces), _JOIN):
        handle.write(b"".join(pieces[start:start + _JOIN]))


def _commit(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` over ``path``, keeping the permissions of the file it replaces."""
    try:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}.") from None
