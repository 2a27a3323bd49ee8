"""Undo for edits on the map: each edit taken back, one by one, to the exact bytes before it.

:class:`EditHistory` lives in memory for one run of ``mapgen watch`` (or a
Python session). For each :class:`~.operations.Edit` it keeps what tells the
bytes before from the bytes after: where they differ and the two differing
parts, and a fingerprint of each. That is the whole file's bytes before and
after, at the cost of the cells that changed, not of two copies of a large
file per edit.

:meth:`EditHistory.undo` puts the bytes before the last edit back only if the
file still holds the bytes after it; if someone saved it since,
:class:`~.placesfile.FileChanged` is raised and nothing is written. The file
is replaced as every edit replaces it: atomically, and not while it is open
in a spreadsheet or read-only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import MapgenError
from .operations import Edit
from .placesfile import FileChanged, fingerprint, replace_user_file


class NothingToUndo(MapgenError, LookupError):
    """No edit is left to take back."""


@dataclass(frozen=True)
class _Step:
    """One edit: ``before = head + old + tail`` and ``after = head + new + tail``, with ``len(head) == at``."""

    path: Path
    at: int
    old: bytes
    new: bytes
    before: str  # fingerprints
    after: str
    line: int | None
    description: str


class EditHistory:
    """The edits made in this run, newest last, each of which :meth:`undo` takes back in turn.

    ``limit`` bounds how many are kept (the oldest are forgotten). Safe to
    share between threads.
    """

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._steps: list[_Step] = []
        self._lock = threading.Lock()

    @property
    def depth(self) -> int:
        """How many edits can be undone."""
        return len(self._steps)

    def depth_for(self, version: str) -> int:
        """How many edits can be undone while the file is ``version`` (none if it is not the last edit's)."""
        with self._lock:
            return len(self._steps) if self._steps and self._steps[-1].after == version else 0

    def record(self, edit: Edit) -> None:
        """Remember ``edit`` (an edit that changed nothing is not an edit)."""
        if not edit.changed:
            return
        at, old, new = difference(edit.before, edit.after)
        step = _Step(edit.path, at, old, new, fingerprint(edit.before), edit.version, edit.line, edit.description)
        with self._lock:
            self._steps.append(step)
            del self._steps[:-self.limit]

    def clear(self) -> None:
        with self._lock:
            self._steps.clear()

    def undo(self) -> Edit:
        """Put back the bytes before the last edit; return that change as an :class:`Edit`.

        Raises :class:`NothingToUndo`, :class:`FileChanged` (the file is not
        as the last edit left it: the history no longer applies and is
        cleared), or the refusals of replacing a places file (the step is
        kept, to try again).
        """
        with self._lock:
            if not self._steps:
                raise NothingToUndo("there is no edit to undo.")
            step = self._steps[-1]
            try:
                data = step.path.read_bytes()
            except OSError:
                data = b""
            if fingerprint(data) != step.after:
                self._steps.clear()
                raise FileChanged(f"{step.path} changed on disk after the last edit (another program or person "
                                  "saved it), so mapgen did not undo it; the edits before it cannot be undone "
                                  "either.")
            restored = data[:step.at] + step.old + data[step.at + len(step.new):]
            replace_user_file(step.path, restored)
            self._steps.pop()
        return Edit(step.path, data, restored, step.line, f"undid: {step.description}")


def difference(before: bytes, after: bytes) -> tuple[int, bytes, bytes]:
    """``(at, old, new)``: ``before`` and ``after`` are the same but for ``old`` and ``new``, at offset ``at``."""
    head = _shared(before, after, min(len(before), len(after)))
    tail = _shared(before, after, min(len(before), len(after)) - head, from_end=True)
    return head, before[head:len(before) - tail], after[head:len(after) - tail]


def _shared(a: bytes, b: bytes, limit: int, from_end: bool = False) -> int:
    """How many bytes (at most ``limit``) ``a`` and ``b`` share at their start, or at their end.

    A binary search comparing slices (one ``memcmp`` each). The slices halve
    each time, so about the file's length is compared in all, in C; a loop
    over the bytes in Python would take seconds for a large file.
    """
    low, high = 0, limit
    while low < high:  # they share `low` bytes and not more than `high`
        mid = (low + high + 1) // 2
        if from_end:
            same = a[len(a) - mid:len(a) - low] == b[len(b) - mid:len(b) - low]
        else:
            same = a[low:mid] == b[low:mid]
        if same:
            low = mid
        else:
            high = mid - 1
    return low
