"""``mapgen watch``: rebuild the map whenever places.csv is saved, and reload it in the browser.

:class:`LiveMap` builds the CSV into the output folder with
:func:`mapgen.pipeline.build` (places that cannot be located are listed, not
an error), serves the last good ``map.html`` through
:class:`.server.LocalServer` (127.0.0.1 only, a secret per run, no other
site let in) and watches the CSV (and ``mapgen.toml``) with ``watchfiles``.
The page as served gets a small script (``static/live.js``) that asks the
server for the build state by long polling: after a good build the page
reloads (the map keeps its view and filters, which live in the URL); after a
failed build it shows the problems as a banner, as text, over the last good
map. The same problems are printed in the terminal. The served page also
learns the run's secret and the version of the file it shows (``<meta>``
tags), for the edit endpoints of :mod:`.edit`. The file written to the
output folder never contains any of that.
"""

from __future__ import annotations

import html
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from ..edit.placesfile import fingerprint
from ..errors import MapgenError
from .server import HOST, LocalServer, Request, Response, Route, json_response, text_response

DEFAULT_PORT = 8765
STATE_PATH = "/__mapgen__/state"
POLL_WAIT_S = 20.0
ERROR_TITLE = "{name} has problems; the map shows the last good version. Fix and save to update."

__all__ = ["DEFAULT_PORT", "HOST", "LiveMap", "STATE_PATH", "inject", "run"]

Echo = Callable[[str, bool], Any]  # (message, is_error)


def _default_echo(message: str, is_error: bool = False) -> None:
    import click

    click.echo(message, err=is_error)


@lru_cache(maxsize=None)
def _static(name: str) -> str:
    return resources.files("mapgen").joinpath(f"static/{name}").read_text("utf-8")


def _live_js() -> str:
    return _static("live.js")


#: What the served page gets beside the map: live reload (live.js) and editing on the map (edit.js).
_STYLE = """<link rel="icon" href="data:,">
<style>
.mapgen-live-banner{position:fixed;top:0;left:0;right:0;z-index:10000;max-height:45vh;overflow:auto;
 margin:0;padding:10px 14px;background:#8b0000;color:#fff;font:14px/1.4 system-ui,sans-serif;
 box-shadow:0 2px 8px rgba(0,0,0,.4)}
.mapgen-live-banner[data-kind=stopped],.mapgen-live-banner[data-kind=lost]{background:#444}
.mapgen-live-banner pre{margin:6px 0 0;white-space:pre-wrap;font:13px/1.4 ui-monospace,monospace}
</style>
"""

_PLACEHOLDER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mapgen watch: {name}</title></head>
<body style="font:16px system-ui,sans-serif;padding:4em 2em">
<p>No map yet: {name} could not be built. Fix the problems shown above and save the file.</p>
</body></html>
"""


def inject(page: str, map_version: int, token: str = "", version: str = "") -> str:
    """``page`` with the live-reload style and script, the run's secret and the file's version (only for serving)."""
    meta = (f'<meta name="mapgen-token" content="{html.escape(token)}">\n'
            f'<meta name="mapgen-version" content="{html.escape(version)}">\n')
    script = f'<script data-map-version="{int(map_version)}">\n{_live_js()}</script>\n'
    if "mapgen.start(" in page:  # a map (not the placeholder): it can be edited, once the map's scripts ran
        at = page.rfind("</html>")
        page = page[:at] + f'<script>\n{_static("edit.js")}</script>\n' + page[at:]
    style = _STYLE + f"<style>\n{_static('edit.css')}</style>\n"
    head_at = page.find("</head>")
    page = page[:head_at] + meta + style + page[head_at:] if head_at != -1 else meta + style + page
    body_at = page.rfind("</body>")
    return page[:body_at] + script + page[body_at:] if body_at != -1 else page + script


@dataclass
class BuildState:
    """What the server tells the page: the build state, the map shown, and the problems."""

    state: int = 0          # changes with every build, good or bad
    map: int = 0            # changes with every good build
    page: str | None = None  # the last good map.html, as built
    errors: list[str] = field(default_factory=list)
    stopped: bool = False
    version: str = ""       # fingerprint of the CSV bytes the last good map was built from
    tried: str | None = None  # ... and of the last build, good or bad
    lang: str = "en"        # the map's language
    lines: list[int] = field(default_factory=list)  # the CSV line of each incident, in the page's order
    unlocated: list[dict[str, Any]] = field(default_factory=list)  # places without coordinates: place, line


class LiveMap:
    """Builds ``csv_path`` into ``out_dir`` and serves the last good map with live reload and editing.

    ``build_options`` go to :func:`mapgen.pipeline.build` (``offline``, ``lang``,
    ``geocoder``, ``encoding``...; ``keep_unlocated`` is on). ``echo(message,
    is_error)`` prints to the terminal. ``token`` is the run's secret (default:
    a new random one).
    """

    def __init__(self, csv_path: str | Path, out_dir: str | Path = "output", *, port: int = DEFAULT_PORT,
                 echo: Echo = _default_echo, token: str | None = None, **build_options: Any) -> None:
        from .edit import MapEditor

        self.csv_path = Path(csv_path)
        self.out_dir = Path(out_dir)
        self.port = port
        self.echo = echo
        self.build_options = {"keep_unlocated": True, **build_options}
        self.status = BuildState()
        self.editor = MapEditor(self)
        self._changed = threading.Condition()
        self._building = threading.RLock()
        self._polls = 0  # long polls waiting for an answer
        self._server = LocalServer(self.routes(), port=port, token=token)
        self._started = False

    @property
    def token(self) -> str:
        """The run's secret."""
        return self._server.token

    @property
    def encoding(self) -> str | None:
        return self.build_options.get("encoding")

    @property
    def url(self) -> str:
        """The page's address with the run's secret (after :meth:`serve`): the link to print and open."""
        assert self._started, "serve() first"
        return self._server.url

    def rebuild(self, *, if_changed: bool = False) -> bool:
        """Build once; on success serve the new map, else keep the last one and report the problems.

        With ``if_changed``, a CSV whose bytes were built last time is not
        built again (an edit on the map builds it, and the file watcher then
        sees the same save). Returns whether the map shown is up to date.
        """
        from ..pipeline import build, summary_line

        with self._building:
            try:
                version = fingerprint(self.csv_path.read_bytes())
            except OSError:
                version = ""
            if if_changed and version == self.status.tried:
                return not self.status.errors
            started = time.perf_counter()
            try:
                result = build(self.csv_path, self.out_dir, **self.build_options)
                page = (self.out_dir / "map.html").read_text("utf-8")
            except MapgenError as exc:
                errors = str(exc).splitlines()
                self.echo("\n".join(errors), True)
                with self._changed:
                    self.status.state += 1
                    self.status.errors = errors
                    self.status.tried = version
                    self._changed.notify_all()
                return False
            self.echo(f"Built in {time.perf_counter() - started:.1f} s: {summary_line(result)}", False)
            places = result.dataset.places
            unlocated = [{"place": str(name), "line": int(line)} for name, line in
                         zip(places["place"][places["lat"].isna()], places["line"][places["lat"].isna()])]
            with self._changed:
                s = self.status
                s.state += 1
                s.map += 1
                s.page, s.errors, s.version, s.tried = page, [], version, version
                s.lang, s.lines, s.unlocated = result.lang, _page_lines(result.dataset), unlocated
                self._changed.notify_all()
            return True

    def routes(self) -> dict[tuple[str, str], Route]:
        """What the server answers: the page, its data, the build state, and the edit endpoints."""
        return {("GET", "/"): self._page, ("GET", "/map.html"): self._page, ("GET", STATE_PATH): self._state,
                ("GET", "/places.geojson"): self._geojson, **self.editor.routes()}

    def serve(self) -> str:
        """Start the web server on 127.0.0.1 in a background thread; return the page's URL (with the secret)."""
        self._server.start()
        self._started = True
        return self.url

    def start(self, opener: Callable[[str], Any] | None = None) -> str:
        """Build, serve, and open the page with ``opener(url)`` if given; return the URL."""
        # loaded before "Serving" is printed: a Ctrl-C that lands inside an import is
        # swallowed by Python's import machinery, and watching would go on
        import watchfiles  # noqa: F401

        self.rebuild()
        url = self.serve()
        self.echo(f"Serving the map at {url} - watching {self.csv_path}; press Ctrl-C to stop.", False)
        if opener is not None:
            opener(url)
        return url

    def watched(self) -> set[Path]:
        """The files whose changes trigger a rebuild."""
        from ..config import CONFIG_NAME

        csv_path = self.csv_path.resolve()
        return {csv_path, csv_path.with_name(CONFIG_NAME)}

    def watch(self, stop: threading.Event | None = None, watching: threading.Event | None = None) -> None:
        """Rebuild after each save until ``stop`` is set (or Ctrl-C, which is raised).

        ``watching`` is set once the file watcher runs: a save from then on is seen.
        """
        import watchfiles

        names = self.watched()
        csv_path = self.csv_path.resolve()
        folder = csv_path.parent
        if not folder.is_dir():
            raise MapgenError(f"cannot watch {self.csv_path}: the folder {folder} does not exist.")
        for changes in watchfiles.watch(
            folder, watch_filter=lambda _change, path: Path(path) in names, recursive=False,
            debounce=150, step=30, stop_event=stop, rust_timeout=200, yield_on_timeout=True,
        ):
            if not changes:  # a quiet interval: the watcher is running
                if watching is not None:
                    watching.set()
                continue
            self.rebuild(if_changed={Path(path) for _, path in changes} == {csv_path})

    def close(self) -> None:
        """Tell open pages that watching has stopped, and stop the server."""
        with self._changed:
            self.status.state += 1
            self.status.stopped = True
            self._changed.notify_all()
        if self._started:
            deadline = time.monotonic() + 2.0
            while self._polls and time.monotonic() < deadline:
                time.sleep(0.02)  # let pending long polls answer "stopped"
            self._server.close()
            self._started = False

    # -- what the page asks --------------------------------------------------------------------

    def state_after(self, since: int, timeout: float) -> dict[str, Any]:
        """The build state once it differs from ``since`` (or after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: self.status.state != since, timeout=timeout)
            s = self.status
            return {"state": s.state, "map": s.map, "version": s.version, "errors": list(s.errors),
                    "stopped": s.stopped, "title": ERROR_TITLE.format(name=self.csv_path.name)}

    def page(self) -> str:
        """The page to serve: the last good map, or a placeholder, with the live script, secret and version."""
        with self._changed:
            page, map_version, version = self.status.page, self.status.map, self.status.version
        if page is None:
            page = _PLACEHOLDER.format(name=html.escape(self.csv_path.name))
        return inject(page, map_version, self.token, version)

    def _page(self, request: Request) -> Response:
        return Response(200, self.page().encode("utf-8"), "text/html; charset=utf-8")

    def _state(self, request: Request) -> Response:
        try:
            since = int(request.query.get("since", "-1"))
        except ValueError:
            since = -1
        with self._changed:
            self._polls += 1
        try:
            return json_response(self.state_after(since, POLL_WAIT_S))
        finally:
            with self._changed:
                self._polls -= 1

    def _geojson(self, request: Request) -> Response:
        path = self.out_dir / "places.geojson"
        if not path.is_file():
            return text_response("not found", 404)
        return Response(200, path.read_bytes(), "application/geo+json")


def run(csv_path: str | Path = "places.csv", out_dir: str | Path = "output", *, port: int = DEFAULT_PORT,
        opener: Callable[[str], Any] | None = webbrowser.open, echo: Echo = _default_echo,
        stop: threading.Event | None = None, token: str | None = None, **build_options: Any) -> None:
    """Serve and rebuild until Ctrl-C (or ``stop``); then stop cleanly."""
    live = LiveMap(csv_path, out_dir, port=port, echo=echo, token=token, **build_options)
    try:
        live.start(opener)
        live.watch(stop)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
    echo("Stopped watching.", False)


def _page_lines(ds: Any) -> list[int]:
    """The CSV line of each incident, in the order of the page's data."""
    from ..page.data import incident_order

    return ds.rows.line[incident_order(ds)].tolist()
