"""``mapgen serve``: a folder of files (a site from ``mapgen build --site``) on 127.0.0.1, for this machine only.

A site needs a web server: from ``file://`` a browser refuses to fetch its
data. This one keeps the rules of :mod:`.server` (127.0.0.1, the run's
secret, no other site let in): a site not yet published is as sensitive as
the data it holds. Any static web host serves the same folder to the public.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any, Callable

from ..errors import MapgenError
from .server import LocalServer, Request, Response, text_response

#: Types of the files a site has (the system's table may lack some).
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json", ".geojson": "application/geo+json",
         ".woff2": "font/woff2", ".png": "image/png", ".svg": "image/svg+xml", ".kml": "application/vnd.google-earth.kml+xml",
         ".csv": "text/csv; charset=utf-8"}


def file_route(folder: Path) -> Callable[[Request], Response]:
    """Answers ``GET /path`` with the file at ``folder/path`` (``index.html`` for a folder), never outside it."""
    root = folder.resolve()

    def route(request: Request) -> Response:
        wanted = (root / request.path.lstrip("/")).resolve()
        if wanted.is_dir():
            wanted = wanted / "index.html"
        if not wanted.is_relative_to(root) or not wanted.is_file():
            return text_response("not found", 404)
        kind = TYPES.get(wanted.suffix.lower()) or mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
        return Response(200, wanted.read_bytes(), kind)

    return route


def start(folder: str | Path, port: int = 0) -> LocalServer:
    """Serve ``folder`` in a background thread; the server's ``url`` is the link to open."""
    folder = Path(folder)
    if not (folder / "index.html").is_file() and not (folder / "map.html").is_file():
        raise MapgenError(f"{folder} has no index.html or map.html; build a site first: "
                          f"`mapgen build places.csv -o {folder} --site`.")
    server = LocalServer({}, port=port, files=file_route(folder))
    server.start()
    return server


def serve(folder: str | Path, *, port: int = 0, opener: Callable[[str], Any] | None = None,
          echo: Callable[[str], Any] = print, stop: threading.Event | None = None) -> None:
    """Serve ``folder`` until Ctrl-C (or ``stop``)."""
    server = start(folder, port)
    page = "" if (Path(folder) / "index.html").is_file() else "map.html"
    url = server.url.replace("/?", f"/{page}?")
    echo(f"Serving {folder} at {url} (this machine only); press Ctrl-C to stop.")
    if opener is not None:
        opener(url)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    echo("Stopped serving.")
