"""``mapgen watch``: rebuild the map whenever places.csv is saved, and reload it in the browser.

:class:`LiveMap` builds the CSV into the output folder with
:func:`mapgen.pipeline.build`, serves the last good ``map.html`` on 127.0.0.1 and
watches the CSV (and ``mapgen.toml``) with ``watchfiles``. The page as served
gets a small script (``static/live.js``) that asks the server for the build
state by long polling: after a good build the page reloads (the map keeps its
view and filters, which live in the URL); after a failed build it shows the
problems as a banner, as text, over the last good map. The same problems are
printed in the terminal. The file written to the output folder never contains
that script.
"""

from __future__ import annotations

import html
import json
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from ..errors import MapgenError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STATE_PATH = "/__mapgen__/state"
POLL_WAIT_S = 20.0
ERROR_TITLE = "{name} has problems; the map shows the last good version. Fix and save to update."

Echo = Callable[[str, bool], Any]  # (message, is_error)


def _default_echo(message: str, is_error: bool = False) -> None:
    import click

    click.echo(message, err=is_error)


@lru_cache(maxsize=1)
def _live_js() -> str:
    return resources.files("mapgen").joinpath("static/live.js").read_text("utf-8")


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


def inject(page: str, map_version: int) -> str:
    """``page`` with the live-reload style and script added (only for serving)."""
    script = f'<script data-map-version="{int(map_version)}">\n{_live_js()}</script>\n'
    head_at = page.find("</head>")
    page = page[:head_at] + _STYLE + page[head_at:] if head_at != -1 else _STYLE + page
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


class LiveMap:
    """Builds ``csv_path`` into ``out_dir`` and serves the last good map with live reload.

    ``build_options`` go to :func:`mapgen.pipeline.build` (``offline``, ``lang``,
    ``geocoder``...). ``echo(message, is_error)`` prints to the terminal.
    """

    def __init__(self, csv_path: str | Path, out_dir: str | Path = "output", *, port: int = DEFAULT_PORT,
                 echo: Echo = _default_echo, **build_options: Any) -> None:
        self.csv_path = Path(csv_path)
        self.out_dir = Path(out_dir)
        self.port = port
        self.echo = echo
        self.build_options = build_options
        self.status = BuildState()
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the map is served (after :meth:`serve`)."""
        assert self._server is not None, "serve() first"
        return f"http://{HOST}:{self._server.server_address[1]}/"

    def rebuild(self) -> bool:
        """Build once; on success serve the new map, else keep the last one and report the problems."""
        from ..pipeline import build, summary_line

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
                self._changed.notify_all()
            return False
        self.echo(f"Built in {time.perf_counter() - started:.1f} s: {summary_line(result)}", False)
        with self._changed:
            self.status.state += 1
            self.status.map += 1
            self.status.page = page
            self.status.errors = []
            self._changed.notify_all()
        return True

    def serve(self) -> str:
        """Start the web server on 127.0.0.1 in a background thread; return its URL."""
        live = self

        class Handler(_Handler):
            pass

        Handler.live = live
        try:
            self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        except OSError as exc:
            raise MapgenError(f"cannot serve on {HOST}:{self.port} ({exc.strerror}); choose another port "
                              "with --port (0 picks a free one).") from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mapgen-watch-server",
                                        daemon=True)
        self._thread.start()
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

    def watch(self, stop: threading.Event | None = None) -> None:
        """Rebuild after each save until ``stop`` is set (or Ctrl-C, which is raised)."""
        import watchfiles

        names = self.watched()
        folder = self.csv_path.resolve().parent
        if not folder.is_dir():
            raise MapgenError(f"cannot watch {self.csv_path}: the folder {folder} does not exist.")
        for _changes in watchfiles.watch(
            folder, watch_filter=lambda _change, path: Path(path) in names, recursive=False,
            debounce=150, step=30, stop_event=stop, rust_timeout=500, yield_on_timeout=False,
        ):
            self.rebuild()

    def close(self) -> None:
        """Tell open pages that watching has stopped, and stop the server."""
        with self._changed:
            self.status.state += 1
            self.status.stopped = True
            self._changed.notify_all()
        if self._server is not None:
            deadline = time.monotonic() + 2.0
            while _Handler.waiting(self) and time.monotonic() < deadline:
                time.sleep(0.02)  # let pending long polls answer "stopped"
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what the handler asks --------------------------------------------------------------

    def state_after(self, since: int, timeout: float) -> dict[str, Any]:
        """The build state once it differs from ``since`` (or after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: self.status.state != since, timeout=timeout)
            s = self.status
            return {"state": s.state, "map": s.map, "errors": list(s.errors), "stopped": s.stopped,
                    "title": ERROR_TITLE.format(name=self.csv_path.name)}

    def page(self) -> str:
        """The page to serve: the last good map, or a placeholder, with the live script."""
        with self._changed:
            page, version = self.status.page, self.status.map
        if page is None:
            page = _PLACEHOLDER.format(name=html.escape(self.csv_path.name))
        return inject(page, version)


class _Handler(BaseHTTPRequestHandler):
    live: LiveMap
    _waiting: dict[int, int] = {}
    _lock = threading.Lock()

    @classmethod
    def waiting(cls, live: LiveMap) -> int:
        with cls._lock:
            return cls._waiting.get(id(live), 0)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        if parts.path in ("/", "/map.html"):
            self._send(200, "text/html; charset=utf-8", self.live.page().encode("utf-8"))
        elif parts.path == STATE_PATH:
            try:
                since = int(parse_qs(parts.query).get("since", ["-1"])[0])
            except ValueError:
                since = -1
            key = id(self.live)
            with self._lock:
                self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                state = self.live.state_after(since, POLL_WAIT_S)
            finally:
                with self._lock:
                    self._waiting[key] -= 1
            self._send(200, "application/json", json.dumps(state).encode("utf-8"))
        elif parts.path == "/places.geojson" and (self.live.out_dir / "places.geojson").is_file():
            self._send(200, "application/geo+json", (self.live.out_dir / "places.geojson").read_bytes())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, code: int, kind: str, body: bytes) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        return


def run(csv_path: str | Path = "places.csv", out_dir: str | Path = "output", *, port: int = DEFAULT_PORT,
        opener: Callable[[str], Any] | None = webbrowser.open, echo: Echo = _default_echo,
        stop: threading.Event | None = None, **build_options: Any) -> None:
    """Serve and rebuild until Ctrl-C (or ``stop``); then stop cleanly."""
    live = LiveMap(csv_path, out_dir, port=port, echo=echo, **build_options)
    try:
        live.start(opener)
        live.watch(stop)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
    echo("Stopped watching.", False)
