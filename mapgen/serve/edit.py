"""The edit endpoints of ``mapgen watch``: the page changes places.csv through :mod:`mapgen.edit`.

Every request has passed the checks of :mod:`.server` (the run's secret; this
server's ``Host``; for a POST this server's ``Origin`` and a JSON body).

``GET /__mapgen__/edit/info``
    What an editing page needs: the file's version, the columns with their
    labels in the map's language, the incident types, the choices of the
    choice columns, the places without coordinates, the line of each
    incident (in the order of the page's data) and the undo depth.
``GET /__mapgen__/edit/row?line=N[&version=V]``
    The cells of the row on line ``N`` as written in the file.
``POST /__mapgen__/edit``
    ``{"op": "set_location" | "add_incident" | "update_incident" | "delete_incident",
    "version": V, ...}``: the arguments of the function of :mod:`mapgen.edit`
    of that name. ``version`` (required) is the file's version the page was built from.
``POST /__mapgen__/undo``
    ``{}``: takes back the last edit of this run.

An edit answers ``{"ok": true, "version", "undo", "line", "map", "built"}``
once the map is rebuilt, or ``{"ok": false, "reason", "error", "detail",
"problems", "version"}``: ``reason`` is ``invalid``, ``confirm``,
``changed``, ``locked``, ``read-only``, ``nothing`` (to undo),
``unavailable`` (the file has problems), ``failed`` or ``bad-request``;
``error`` is said in the map's language, ``detail`` as the terminal says it;
each problem has the ``field`` (column) it is about, its ``line`` and its
``message``, the same as ``mapgen validate``'s. Edits run one at a time.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..columns import columns
from ..dataset import DATE_PRECISIONS, DEFAULT_RADIUS_M, PRECISIONS, STATUSES
from ..edit import (
    Edit,
    EditHistory,
    FileChanged,
    FileLocked,
    FileReadOnly,
    NeedsConfirmation,
    NothingToUndo,
    PlacesFile,
    add_incident,
    delete_incident,
    set_location,
    update_incident,
)
from ..edit.operations import COORDINATE_DECIMALS
from ..errors import DataError, MapgenError, Problem
from .server import BadRequest, Request, Response, Route, json_response

if TYPE_CHECKING:
    from .watch import LiveMap

INFO_PATH = "/__mapgen__/edit/info"
ROW_PATH = "/__mapgen__/edit/row"
EDIT_PATH = "/__mapgen__/edit"
UNDO_PATH = "/__mapgen__/undo"

class Unavailable(MapgenError):
    """The file has problems, so the page's map is not the file: no edit until they are fixed."""


#: Each refusal: its reason for the page, HTTP status, and message (a key of data/i18n.json).
_REFUSALS: tuple[tuple[type[MapgenError], str, int, str], ...] = (
    (NeedsConfirmation, "confirm", 409, "edit_confirm_exact"),
    (DataError, "invalid", 422, "edit_invalid"),
    (FileChanged, "changed", 409, "edit_changed"),
    (FileLocked, "locked", 423, "edit_locked"),
    (FileReadOnly, "read-only", 409, "edit_read_only"),
    (NothingToUndo, "nothing", 409, "edit_nothing_to_undo"),
    (BadRequest, "bad-request", 400, "edit_bad_request"),
    (Unavailable, "unavailable", 409, "edit_unavailable"),
    (MapgenError, "failed", 409, "edit_failed"),
)


class MapEditor:
    """The edit endpoints for the map that ``live`` serves; ``history`` keeps this run's edits for undo."""

    def __init__(self, live: LiveMap, history: EditHistory | None = None) -> None:
        self.live = live
        self.history = history if history is not None else EditHistory()
        self._lock = threading.Lock()  # one edit (and its rebuild) at a time
        self._header: tuple[str, list[str]] = ("", [])

    def routes(self) -> dict[tuple[str, str], Route]:
        return {("GET", INFO_PATH): self.info, ("GET", ROW_PATH): self.row,
                ("POST", EDIT_PATH): self.edit, ("POST", UNDO_PATH): self.undo}

    # -- reading -------------------------------------------------------------------------------

    def info(self, request: Request) -> Response:
        status = self.live.status
        if status.page is None or status.errors:
            return self._refused(Unavailable(f"{self.live.csv_path.name} has problems; fix them first."))
        strings = _strings(status.lang)
        lang = status.lang
        header = self._header_of(status.version)
        return json_response({
            "ok": True,
            "version": status.version,
            "file": self.live.csv_path.name,
            "lang": lang,
            "columns": [{"name": c.name, "label": c.label(lang), "level": c.level, "kind": c.kind,
                         "choices": list(c.choices), "default": c.default, "example": c.example,
                         "required": c.name == "place", "in_file": c.name in header}
                        for c in columns().values()],
            "taxonomy": [{"id": t.tag, "label": t.label(lang), "definition": t.definition(lang)}
                         for t in _taxonomy().values()],
            "choices": {
                "precision": [{"id": p, "label": strings[f"edit_precision_{p}"]} for p in PRECISIONS],
                "status": [{"id": s, "label": strings[f"status_{s}"]} for s in STATUSES],
                "date_precision": [{"id": d, "label": strings[f"edit_dp_{d}"]} for d in DATE_PRECISIONS],
            },
            "radius_defaults": DEFAULT_RADIUS_M,
            "coordinate_decimals": COORDINATE_DECIMALS,
            "unlocated": status.unlocated,
            "lines": status.lines,
            "undo": self.history.depth_for(status.version),
            "strings": {key: text for key, text in strings.items() if key.startswith("edit_")},
        })

    def row(self, request: Request) -> Response:
        try:
            line = int(request.query.get("line", ""))
        except ValueError:
            return self._refused(BadRequest("give the row's line: ?line=N"))
        try:
            places = PlacesFile.read(self.live.csv_path, self.live.encoding)
            if request.query.get("version", places.version) != places.version:
                raise FileChanged(f"{places.path} changed on disk after the map was loaded.")
            record = places.at_line(line)
        except MapgenError as exc:
            return self._refused(exc)
        return json_response({"ok": True, "version": places.version, "line": line,
                              "cells": {c: places.cell(record, c) for c in places.header if c}})

    # -- writing -------------------------------------------------------------------------------

    def edit(self, request: Request) -> Response:
        try:
            body = _object(request.json())
            operation = _OPERATIONS.get(_get(body, "op", str))
            if operation is None:
                raise BadRequest(f"'op' must be one of {', '.join(_OPERATIONS)}.")
            version = _get(body, "version", str)
        except BadRequest as exc:
            return self._refused(exc)
        return self._change(lambda: operation(self.live.csv_path, body, version=version,
                                              encoding=self.live.encoding, history=self.history))

    def undo(self, request: Request) -> Response:
        try:
            _object(request.json())
        except BadRequest as exc:
            return self._refused(exc)
        return self._change(self.history.undo, check_file=False)

    def _change(self, change: Callable[[], Edit], check_file: bool = True) -> Response:
        """Make ``change``, rebuild the map, and say how it went."""
        with self._lock:
            try:
                if check_file and (self.live.status.page is None or self.live.status.errors):
                    raise Unavailable(f"{self.live.csv_path.name} has problems; fix them first.")
                edit = change()
            except MapgenError as exc:
                if isinstance(exc, FileChanged):
                    self.live.rebuild(if_changed=True)  # so the page reloads with what is in the file now
                return self._refused(exc)
            built = self.live.rebuild(if_changed=True)
            return json_response({"ok": True, "version": edit.version, "undo": self.history.depth,
                                  "line": edit.line, "map": self.live.status.map, "built": built})

    def _refused(self, exc: MapgenError) -> Response:
        """The answer to a refused request: why, in the map's language and as the terminal says it."""
        status = self.live.status
        strings = _strings(status.lang)
        reason, code, key = next((r, c, k) for cls, r, c, k in _REFUSALS if isinstance(exc, cls))
        words = {"file": self.live.csv_path.name, "detail": str(exc),
                 "place": getattr(exc, "place", ""), "precision": strings.get(
                     f"edit_precision_{getattr(exc, 'known', '')}", getattr(exc, "known", ""))}
        problems = exc.problems if isinstance(exc, DataError) else []
        return json_response({
            "ok": False, "reason": reason, "error": strings[key].format(**words), "detail": str(exc),
            "problems": [{"field": p.column, "line": p.line, "message": _said(p), "text": str(p)} for p in problems],
            "version": status.version, "undo": self.history.depth_for(status.version),
        }, code)

    def _header_of(self, version: str) -> list[str]:
        """The columns of the file's header (read once per version)."""
        if self._header[0] != version:
            try:
                header = PlacesFile.read(self.live.csv_path, self.live.encoding).header
            except MapgenError:
                header = []
            self._header = (version, header)
        return self._header[1]


# -- the operations, from JSON ---------------------------------------------------------------

def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object.")
    return value


def _get(body: Mapping[str, Any], name: str, kinds: type | tuple[type, ...], required: bool = True) -> Any:
    """``body[name]`` if it is of ``kinds`` (``None`` when absent and not ``required``)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise BadRequest(f"{name!r} is missing or not a {' or '.join(k.__name__ for k in _tuple(kinds))}.")
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _cells(body: Mapping[str, Any]) -> dict[str, Any]:
    cells = _get(body, "cells", dict)
    for name, value in cells.items():
        if not (value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool)
                or isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise BadRequest(f"the cell {name!r} must be text, a number, a list of texts or null.")
    return cells


_NUMBER = (int, float, str)
_OPERATIONS: dict[str, Callable[..., Edit]] = {
    "set_location": lambda path, body, **kw: set_location(
        path, _get(body, "place", str), _get(body, "lat", _NUMBER), _get(body, "lon", _NUMBER),
        precision=_get(body, "precision", str, required=False),
        radius_m=_get(body, "radius_m", _NUMBER, required=False),
        confirm_exact=bool(_get(body, "confirm_exact", bool, required=False)), **kw),
    "add_incident": lambda path, body, **kw: add_incident(path, _cells(body), **kw),
    "update_incident": lambda path, body, **kw: update_incident(path, _get(body, "line", int), _cells(body), **kw),
    "delete_incident": lambda path, body, **kw: delete_incident(path, _get(body, "line", int), **kw),
}


def _said(problem: Problem) -> str:
    """A problem as said at its field: the value and what is wrong with it."""
    if problem.value is None:
        return problem.message
    value = problem.value if len(problem.value) <= 60 else problem.value[:57] + "..."
    return f"'{value}' {problem.message}"


@lru_cache(maxsize=None)
def _strings(lang: str) -> dict[str, str]:
    """The map's interface text and editing's words and messages (``edit`` in data/i18n.json) in ``lang``.

    The server's messages are a section of their own, which the map does not
    read: a built map.html carries every string of its interface, and these
    belong only to the map that ``mapgen watch`` serves.
    """
    from ..page.data import interface_strings

    table = json.loads(resources.files("mapgen").joinpath("data/i18n.json").read_text("utf-8"))["edit"]
    return {**interface_strings(lang), **table["en"], **table.get(lang, {})}


def _taxonomy() -> Any:
    from ..taxonomy import load_taxonomy

    return load_taxonomy()
