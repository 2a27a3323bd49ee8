"""A Nominatim-compatible HTTP server on 127.0.0.1 for tests, with scripted faults.

It answers ``GET /search?q=...&format=json`` like Nominatim does (the same
JSON fields, ``lat``/``lon`` as strings, ``countrycodes``, ``limit`` and
``addressdetails`` honoured) from a small table of Kazakh places. Tests queue
scripted answers (:class:`Status`, :class:`Hang`, :class:`Malformed`,
:class:`Hit`) that are used, in order, before the normal search, and every
request is logged with the time of the injected clock.

Run it by hand with ``python tests/nominatim_server.py [port]``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"


def _place(place_id: int, osm_type: str, osm_id: int, lat: str, lon: str, cls: str, typ: str,
           rank: int, name: str, display: str, country_code: str, names: tuple[str, ...] = ()) -> dict:
    lat_f, lon_f = float(lat), float(lon)
    return {
        "place_id": place_id, "licence": LICENCE, "osm_type": osm_type, "osm_id": osm_id,
        "lat": lat, "lon": lon, "class": cls, "type": typ, "place_rank": rank,
        "importance": round(0.8 - rank / 60, 5), "addresstype": typ if cls == "place" else "city",
        "name": name, "display_name": display,
        "boundingbox": [f"{lat_f - 0.1:.7f}", f"{lat_f + 0.1:.7f}", f"{lon_f - 0.1:.7f}", f"{lon_f + 0.1:.7f}"],
        "address": {"city": name, "country": display.rsplit(", ", 1)[-1], "country_code": country_code},
        "_names": (name, *names),
    }


PLACES: list[dict] = [
    _place(1001, "relation", 2741, "43.2363924", "76.9457275", "boundary", "administrative", 16,
           "Алматы", "Алматы, Казахстан", "kz", ("Almaty", "Alma-Ata")),
    _place(1002, "way", 27563581, "43.2383101", "76.9451870", "place", "square", 25,
           "Площадь Республики", "Площадь Республики, Медеуский район, Алматы, 050000, Казахстан", "kz",
           ("Republic Square", "Republic Square, Almaty")),
    _place(1003, "node", 3457931201, "43.2566700", "76.9286100", "amenity", "townhall", 30,
           "Акимат Алматы", "Акимат Алматы, проспект Абая, Алмалинский район, Алматы, Казахстан", "kz",
           ("Akimat Almaty", "Almaty city hall")),
    _place(1004, "node", 21190863, "43.2220146", "76.8512485", "aeroway", "aerodrome", 30,
           "Аэропорт Алматы", "Международный аэропорт Алматы, Турксибский район, Алматы, Казахстан", "kz",
           ("Almaty Airport", "Almaty International Airport")),
    _place(1005, "relation", 3246197, "51.1282205", "71.4306682", "boundary", "administrative", 16,
           "Астана", "Астана, Казахстан", "kz", ("Astana", "Nur-Sultan")),
    _place(1006, "relation", 1957283, "42.3155000", "69.5869000", "boundary", "administrative", 16,
           "Шымкент", "Шымкент, Казахстан", "kz", ("Shymkent",)),
    _place(1007, "relation", 214665, "48.1164260", "67.3008930", "boundary", "administrative", 4,
           "Қазақстан", "Қазақстан", "kz", ("Kazakhstan",)),
    _place(1008, "node", 61735601, "43.6410000", "51.1980000", "place", "city", 16,
           "Актау", "Актау, Мангистауская область, Казахстан", "kz", ("Aktau",)),
    _place(1009, "node", 1234501, "43.2650000", "76.9570000", "place", "suburb", 20,
           "Медеуский район", "Медеуский район, Алматы, Казахстан", "kz", ("Medeu District",)),
    _place(1010, "node", 1234502, "43.2120000", "76.8990000", "place", "suburb", 20,
           "Бостандыкский район", "Бостандыкский район, Алматы, Казахстан", "kz", ("Bostandyk District",)),
    _place(2001, "relation", 2555133, "55.7504461", "37.6174943", "boundary", "administrative", 16,
           "Москва", "Москва, Центральный федеральный округ, Россия", "ru", ("Moscow",)),
]
MOSCOW = PLACES[-1]
AKTAU = PLACES[7]


@dataclass(frozen=True)
class Status:
    """Answer with an HTTP status (and optional headers/body)."""

    code: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Wait ``seconds`` (cut short when the server stops), then answer normally."""

    seconds: float


@dataclass(frozen=True)
class Malformed:
    """Answer 200 with a body that is not JSON."""

    body: str = "<html><body>Bad Gateway</body>"


@dataclass(frozen=True)
class Hit:
    """Answer with this record whatever was asked (e.g. a result in the wrong country)."""

    record: dict


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    time: float
    path: str
    params: dict[str, str]
    user_agent: str

    @property
    def q(self) -> str:
        return self.params.get("q", "")


def only_localhost(monkeypatch: Any) -> list[Any]:
    """Refuse connections to any address but 127.0.0.1; return the list of refused addresses.

    A safety net: libraries may swallow the error, so callers assert the list is empty.
    """
    real = socket.socket.connect
    refused: list[Any] = []

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            refused.append(address)
            raise ConnectionRefusedError(f"tests may only connect to 127.0.0.1, not {address!r}")
        return real(sock, address)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "::1", "localhost", None):
            refused.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"tests may only use 127.0.0.1, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return refused


class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called: tests never wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds


class ProgressRecorder:
    """Stands in for tqdm: records the total, the updates and whether it was closed."""

    def __init__(self) -> None:
        self.totals: list[int] = []
        self.updates = 0
        self.closed = 0

    def __call__(self, total: int) -> "ProgressRecorder":
        self.totals.append(total)
        return self

    def update(self, n: int = 1) -> None:
        self.updates += n

    def close(self) -> None:
        self.closed += 1


class NominatimServer:
    """The server; use as a context manager. ``clock`` stamps the request log."""

    def __init__(self, places: list[dict] | None = None, clock: Callable[[], float] = time.monotonic,
                 port: int = 0) -> None:
        self.places = PLACES if places is None else places
        self.clock = clock
        self.requests: list[Request] = []
        self.script: deque[Any] = deque()
        self.slow_after: int | None = None   # after this many requests, every answer hangs
        self.slow_seconds = 60.0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "NominatimServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def enqueue(self, *answers: Any) -> None:
        """Queue scripted answers, used one per request before normal searching."""
        self.script.extend(answers)

    def search(self, params: dict[str, str]) -> list[dict]:
        """Nominatim-like search: every name of a place, case-insensitively."""
        q = " ".join(params.get("q", "").casefold().split())
        codes = [c for c in params.get("countrycodes", "").lower().split(",") if c]
        found = [p for p in self.places
                 if q and any(q == n.casefold() for n in p["_names"])
                 and (not codes or p["address"]["country_code"] in codes)]
        limit = int(params.get("limit", "10") or 10)
        return [self.render(p, params) for p in found[:limit]]

    @staticmethod
    def render(place: dict, params: dict[str, str]) -> dict:
        out = {k: v for k, v in place.items() if not k.startswith("_")}
        if params.get("addressdetails") not in ("1", "true", "True"):
            out.pop("address", None)
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with server.lock:
                    server.requests.append(Request(server.clock(), parts.path, params,
                                                   self.headers.get("User-Agent", "")))
                    count = len(server.requests)
                    answer = server.script.popleft() if server.script else None
                try:
                    self.respond(parts.path, params, answer, count)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or was killed

            def respond(self, path: str, params: dict[str, str], answer: Any, count: int) -> None:
                if server.slow_after is not None and count > server.slow_after:
                    server.stopping.wait(server.slow_seconds)
                if isinstance(answer, Hang):
                    server.stopping.wait(answer.seconds)
                    answer = None
                if isinstance(answer, Status):
                    return self.send(answer.code, answer.body, "text/html; charset=utf-8", answer.headers)
                if isinstance(answer, Malformed):
                    return self.send(200, answer.body, "application/json; charset=utf-8")
                if path != "/search":
                    return self.send(404, "<html>Not found</html>", "text/html; charset=utf-8")
                if params.get("format") not in ("json", "jsonv2"):
                    return self.send(400, '{"error": "format must be json"}', "application/json")
                results = [server.render(answer.record, params)] if isinstance(answer, Hit) \
                    else server.search(params)
                self.send(200, json.dumps(results, ensure_ascii=False), "application/json; charset=utf-8")

            def send(self, code: int, body: str, ctype: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    with NominatimServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0) as srv:
        print(f"Nominatim test server on {srv.url}; Ctrl-C to stop")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
