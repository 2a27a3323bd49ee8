"""A web server for the person at this machine: on 127.0.0.1 only, with a secret per run, no other site let in.

Unpublished incident data is sensitive, so reading is guarded as writing is.
The rules follow Jupyter Server's (a token on by default, a Host allow-list,
XSRF checks on writes); Vite's CVE-2025-24010 shows what a local server
without them gives away (any web site could read its files):

* It listens on 127.0.0.1 only.
* Every request needs the run's secret (:attr:`LocalServer.token`), as a
  cookie or an ``X-Mapgen-Token`` header. ``GET /?token=SECRET`` (the URL
  ``mapgen watch`` prints and opens) sets the cookie (HttpOnly,
  SameSite=Strict: no other site's requests carry it) and redirects to the
  same URL without the token, so it does not stay in the address bar.
* A ``Host`` other than ``127.0.0.1:PORT`` or ``localhost:PORT`` is refused:
  after DNS rebinding, a page of another site reaches 127.0.0.1 under its own
  name, and its requests carry that name.
* An ``Origin`` other than this server's is refused. A write (POST) must
  carry this server's ``Origin`` and ``Content-Type: application/json``,
  which a form on another site cannot send, and a script of another site
  only after asking first (CORS), which this server never allows.
* Answers are not cached, not sniffed for another type, not shown in a frame
  and send no referrer.

A refusal is ``403`` with a short reason in plain text, never any data.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import traceback
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..errors import MapgenError

HOST = "127.0.0.1"
TOKEN_HEADER = "X-Mapgen-Token"
#: Largest request body accepted (an edit is a few hundred bytes).
MAX_BODY = 1 << 20
SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
#: Said to a browser that arrives without the secret (an old tab, a link without the token).
NO_TOKEN = ("this page needs the link that mapgen printed when it started (`mapgen watch` or `mapgen serve`; "
            "it ends in ?token=...); open that link.")


@dataclass(frozen=True)
class Request:
    """What a route is asked: the method, path, query parameters, headers and body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Message
    body: bytes = b""

    def json(self) -> Any:
        """The body as JSON; :class:`BadRequest` if it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"the body is not JSON ({exc}).") from None


@dataclass(frozen=True)
class Response:
    """What a route answers."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class BadRequest(MapgenError, ValueError):
    """A request this server does not understand (a bug of the page, not of the data)."""


Route = Callable[[Request], Response]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")


def text_response(text: str, status: int = 200) -> Response:
    return Response(status, (text + "\n").encode("utf-8"))


class LocalServer:
    """Serves ``routes`` (``(method, path)`` → function of a :class:`Request`) on 127.0.0.1, as described above.

    ``port`` 0 picks a free port. ``token`` is the secret (default: a new
    random one). :meth:`start` serves in a background thread.
    """

    def __init__(self, routes: Mapping[tuple[str, str], Route], *, port: int = 0, token: str | None = None,
                 files: Route | None = None) -> None:
        self.routes = dict(routes)
        self.files = files  # answers a GET no route names (a folder's files), if given
        self.token = token or secrets.token_urlsafe(32)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- where -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: what this server's pages send as ``Origin``."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The page's address with the secret: the link to print and open."""
        return f"{self.origin}/?{urlencode({'token': self.token})}"

    @property
    def cookie_name(self) -> str:
        # cookies are kept per host, not per port: two servers on one machine must not share one
        return f"mapgen-token-{self.port}"

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on 127.0.0.1 and answer in a background thread."""
        server = self

        class Handler(_Handler):
            local = server

        try:
            self._server = ThreadingHTTPServer((HOST, self._port), Handler)
        except OSError as exc:
            raise MapgenError(f"cannot serve on {HOST}:{self._port} ({exc.strerror}); choose another port "
                              "with --port (0 picks a free one).") from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mapgen-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- the rules -------------------------------------------------------------------------

    def refusal(self, method: str, headers: Message) -> str | None:
        """Why a request with these headers is refused (``None``: it may go on to the secret check)."""
        port = self.port
        hosts = {f"{HOST}:{port}", f"localhost:{port}"} | ({HOST, "localhost"} if port == 80 else set())
        given = headers.get_all("Host") or []
        if len(given) != 1 or given[0].strip().lower() not in hosts:
            return "refused: the Host header does not name this server (127.0.0.1 or localhost with its port)."
        origins = headers.get_all("Origin") or []
        if origins and (len(origins) != 1 or origins[0].strip().lower() not in {f"http://{h}" for h in hosts}):
            return "refused: the request comes from another site (Origin)."
        if method == "POST":
            if not origins:
                return "refused: a change must come from the map's page (no Origin header)."
            kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if kind != "application/json":
                return "refused: a change must be sent as application/json."
        return None

    def authorised(self, headers: Message) -> bool:
        """Whether the request carries the secret (cookie or header)."""
        offered = [headers.get(TOKEN_HEADER) or "", _cookies(headers).get(self.cookie_name, "")]
        return any(offer and hmac.compare_digest(offer.encode("utf-8"), self.token.encode("utf-8"))
                   for offer in offered)

    def answer(self, request: Request) -> Response:
        """The response to ``request`` once :meth:`refusal` let it through."""
        if "token" in request.query and request.method == "GET":
            if not hmac.compare_digest(request.query["token"].encode("utf-8"), self.token.encode("utf-8")):
                return text_response("refused: this link's token is not this run's; " + NO_TOKEN, 403)
            rest = urlencode([(k, v) for k, v in request.query.items() if k != "token"])
            location = "/" + request.path.lstrip("/") + (f"?{rest}" if rest else "")  # never //other.site
            cookie = f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            return Response(303, b"", headers=(("Location", location), ("Set-Cookie", cookie)))
        if not self.authorised(request.headers):
            return text_response("refused: " + NO_TOKEN, 403)
        route = self.routes.get((request.method, request.path))
        if route is None and self.files is not None and request.method == "GET":
            return self.files(request)
        if route is None:
            known = any(path == request.path for _, path in self.routes)
            return text_response("method not allowed" if known else "not found", 405 if known else 404)
        return route(request)


def _cookies(headers: Message) -> dict[str, str]:
    """The cookies sent, by name (by hand: ``http.cookies`` gives up on one malformed cookie of another app)."""
    found: dict[str, str] = {}
    for header in headers.get_all("Cookie") or []:
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                found.setdefault(name.strip(), value.strip())
    return found


class _Handler(BaseHTTPRequestHandler):
    local: LocalServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _not_allowed(self) -> None:  # a CORS preflight (OPTIONS) gets no permission either
        self._send(Response(405, b""))

    do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815

    def _handle(self, method: str) -> None:
        why = self.local.refusal(method, self.headers)
        if why is not None:
            self._send(text_response(why, 403))
            return
        parts = urlsplit(self.path)
        body = b""
        if method == "POST":
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                self._send(text_response("a length is required (Content-Length)", 411))
                return
            if not 0 <= length <= MAX_BODY:
                self._send(text_response("the request is too large", 413))
                return
            body = self.rfile.read(length)
        request = Request(method, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), self.headers,
                          body)
        try:
            response = self.local.answer(request)
        except BadRequest as exc:
            response = text_response(f"bad request: {exc}", 400)
        except Exception:  # our bug: say so, and show it in the terminal
            traceback.print_exc()
            response = text_response("internal error in mapgen (see the terminal)", 500)
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in SECURITY_HEADERS + response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        return
