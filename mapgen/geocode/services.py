"""Geocoding services through geopy, used politely and failing clearly.

:func:`make_geocoder` builds a geopy geocoder (OpenStreetMap Nominatim by
default, a self-hosted Nominatim, or any geopy service by name).
:class:`Requester` sends one query at a time under the usage policy: at most
one request per ``min_interval`` seconds, retries with exponential backoff for
timeouts, refused connections and HTTP 5xx, the server's ``Retry-After`` for
HTTP 429, and no retry for other answers. It measures time with an injected
clock and waits with an injected sleep, so tests run on fake time.

geopy's own ``RateLimiter`` is not used: it ignores ``Retry-After`` and
retries every error, including a 4xx that will never succeed.
"""

from __future__ import annotations

import inspect
import os
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

from geopy import exc as gexc
from geopy.adapters import AdapterHTTPError, RequestsAdapter
from geopy.geocoders import SERVICE_TO_GEOCODER, Nominatim, get_geocoder_for_service
from geopy.point import Point

from ..errors import GeocodingError

#: Identifies the tool; Nominatim's policy asks heavy users to add a contact (--user-agent).
DEFAULT_USER_AGENT = "mapgen/0.1 (incident-map generator; set MAPGEN_USER_AGENT to add your contact)"
USER_AGENT_ENV = "MAPGEN_USER_AGENT"


def resolve_user_agent(user_agent: str | None, env: Mapping[str, str] = os.environ) -> str:
    """The User-Agent to send: the argument, else ``$MAPGEN_USER_AGENT``, else the default.

    Raises :class:`GeocodingError` if the chosen one is empty: Nominatim's usage
    policy requires every application to identify itself.
    """
    if user_agent is None:
        user_agent = env.get(USER_AGENT_ENV)
        origin = f"${USER_AGENT_ENV}"
        if user_agent is None:
            return DEFAULT_USER_AGENT
    else:
        origin = "--user-agent"
    if not user_agent.strip():
        raise GeocodingError(
            f"The User-Agent ({origin}) is empty. Geocoding services require an application to "
            f"identify itself; give one such as 'mapgen/0.1 (newsroom@example.org)', or leave "
            f"it out to use {DEFAULT_USER_AGENT!r}."
        )
    return user_agent.strip()


def _no_retry_adapter(*, proxies: Any, ssl_context: Any) -> RequestsAdapter:
    """requests without its own silent retries: every request goes through our policy."""
    return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)


def make_geocoder(service: str = "nominatim", *, nominatim_url: str | None = None,
                  user_agent: str | None = None, timeout: float = 10,
                  env: Mapping[str, str] = os.environ, **options: Any) -> Any:
    """Build a geopy geocoder.

    ``service`` is a geopy service name (``nominatim``, ``photon``, ``opencage``,
    ``googlev3``, ...). Options the service needs, such as an API key, come from
    ``options`` or from environment variables named ``MAPGEN_<SERVICE>_<OPTION>``
    (``MAPGEN_OPENCAGE_API_KEY``, ``MAPGEN_GEONAMES_USERNAME``) - never from the data.
    ``nominatim_url`` points at a self-hosted Nominatim (``http://host:port[/path]``).
    """
    name = service.strip().lower()
    try:
        cls = get_geocoder_for_service(name)
    except gexc.GeocoderNotFound:
        raise GeocodingError(
            f"Unknown geocoding service {service!r}. Known: {', '.join(sorted(SERVICE_TO_GEOCODER))}."
        ) from None
    kwargs: dict[str, Any] = {
        "user_agent": resolve_user_agent(user_agent, env),
        "timeout": timeout,
        "adapter_factory": _no_retry_adapter,
    }
    if nominatim_url:
        if cls is not Nominatim:
            raise GeocodingError(f"--nominatim-url only works with the nominatim service, not {service!r}.")
        kwargs.update(_split_url(nominatim_url))
    params = inspect.signature(cls.__init__).parameters
    for pname, param in params.items():
        if pname in ("self", "user_agent", "timeout", "adapter_factory") or pname in options:
            continue
        if param.kind not in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
            continue
        var = f"MAPGEN_{name.upper()}_{pname.upper()}"
        if env.get(var):
            options[pname] = env[var]
        elif param.default is inspect.Parameter.empty:
            raise GeocodingError(
                f"The {name} service needs {pname!r}. Set the environment variable {var} "
                f"(keys never go in the CSV), or use another service with --geocoder."
            )
    kwargs.update(options)
    try:
        return cls(**kwargs)
    except (gexc.ConfigurationError, TypeError, ValueError) as exc:
        raise GeocodingError(f"Cannot set up the {name} service: {exc} (mapgen reads its options from "
                             f"environment variables MAPGEN_{name.upper()}_<OPTION>).") from None


def _split_url(url: str) -> dict[str, str]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GeocodingError(
            f"--nominatim-url {url!r} is not a web address; give one like http://localhost:8080 "
            "(the address of your own Nominatim, without /search)."
        )
    path = parts.path.rstrip("/")
    if path.endswith("/search"):
        path = path[: -len("/search")]
    return {"scheme": parts.scheme, "domain": parts.netloc + path}


def planned_label(service: str = "nominatim") -> str:
    """The cache label :func:`make_geocoder` would give ``service``, without building it (offline)."""
    try:
        return _class_label(get_geocoder_for_service(service.strip().lower()))
    except gexc.GeocoderNotFound:
        return service.strip().lower()


def _class_label(cls: type) -> str:
    names = sorted(name for name, known in SERVICE_TO_GEOCODER.items() if known is cls)
    return names[0] if names else cls.__name__.lower()


def service_label(geocoder: Any) -> str:
    """The name a geocoder's answers are cached under: its geopy service name.

    Every Nominatim, public or self-hosted, is ``nominatim``: they serve the same
    OpenStreetMap data, so an answer from one is not re-asked of the other (and
    ``mapgen build`` finds what ``mapgen geocode --nominatim-url`` looked up).
    A geocoder object may name itself with a ``mapgen_service`` attribute.
    """
    label = getattr(geocoder, "mapgen_service", None)
    return str(label) if label else _class_label(type(geocoder))


def bias_kwargs(geocoder: Any, countrycodes: Sequence[str], viewbox: Sequence[float] | None) -> dict[str, Any]:
    """Keyword arguments restricting ``geocoder.geocode`` to the dataset's area, as it supports them.

    ``viewbox`` is (west, south, east, north) in degrees.
    """
    try:
        params = inspect.signature(geocoder.geocode).parameters
    except (TypeError, ValueError):
        return {}
    codes = [c.lower() for c in countrycodes]
    out: dict[str, Any] = {}
    if codes and "country_codes" in params:
        out["country_codes"] = codes
    elif codes and "country" in params and type(geocoder).__name__ == "OpenCage":
        out["country"] = codes
    elif len(codes) == 1 and "region" in params:
        out["region"] = codes[0]
    if viewbox:
        west, south, east, north = viewbox
        box = [Point(south, west), Point(north, east)]
        for pname in ("viewbox", "bounds", "bbox"):
            if pname in params:
                out[pname] = box
                break
    if "addressdetails" in params:
        out["addressdetails"] = True
    return out


def describe(location: Any) -> dict[str, Any]:
    """What mapgen keeps of a geopy result: coordinates, name, country and OSM identity."""
    raw = location.raw if isinstance(getattr(location, "raw", None), dict) else {}
    props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    address = raw.get("address") if isinstance(raw.get("address"), dict) else {}
    components = raw.get("components") if isinstance(raw.get("components"), dict) else {}
    country = (address.get("country_code") or props.get("countrycode")
               or components.get("ISO_3166-1_alpha-2") or components.get("country_code") or "")
    for comp in raw.get("address_components", []) if isinstance(raw.get("address_components"), list) else []:
        if "country" in comp.get("types", []):
            country = comp.get("short_name", "")
    rank = raw.get("place_rank")
    try:
        place_rank = int(rank) if rank not in (None, "") else None
    except (TypeError, ValueError):
        place_rank = None
    lat, lon = float(location.latitude), float(location.longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates {lat}, {lon} are not on Earth")
    return {
        "lat": lat, "lon": lon,
        "display_name": str(location.address or ""),
        "country_code": str(country).lower(),
        "osm_type": str(raw.get("osm_type") or props.get("osm_type") or ""),
        "osm_id": str(raw.get("osm_id") or props.get("osm_id") or ""),
        "osm_class": str(raw.get("class") or props.get("osm_key") or ""),
        "type": str(raw.get("type") or props.get("osm_value") or ""),
        "place_rank": place_rank,
    }


@dataclass(frozen=True)
class Policy:
    """How politely and how persistently to ask a service."""

    min_interval: float = 1.0     # seconds between two requests (Nominatim: 1)
    retries: int = 3              # extra attempts after a transient failure
    backoff: float = 2.0          # first wait before a retry; doubles each time
    max_backoff: float = 60.0
    max_retry_after: float = 600.0  # a longer Retry-After means: stop, come back later
    breaker: int = 3              # consecutive service failures before the rest is skipped
    #: extra attempts when no connection can be made at all (no DNS, refused): the network is
    #: gone, as during the Almaty shutdown; one more try, then the gazetteer stands in at once
    unreachable_retries: int = 1


@dataclass(frozen=True)
class Failure:
    """Why a query got no answer. ``service_down`` failures would repeat for every query."""

    reason: str
    service_down: bool = False
    fatal: bool = False
    unreachable: bool = False  # no connection at all (network down): the gazetteer may stand in


class Throttle:
    """Keeps requests to one service at least ``interval`` seconds apart on the injected clock.

    The time of the last request is remembered per clock and service for the
    whole process, so two :func:`~mapgen.geocode.locate` calls in a row (a
    notebook, a watch loop) keep the pace too.
    """

    _last: "weakref.WeakKeyDictionary[Any, dict[str, float]]" = weakref.WeakKeyDictionary()

    def __init__(self, interval: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 service: str = "") -> None:
        self.interval, self.clock, self.sleep, self.service = interval, clock, sleep, service
        self._own: dict[str, float] = {}
        self.requests = 0

    def _memory(self) -> dict[str, float]:
        owner = getattr(self.clock, "__self__", None) or self.clock
        try:
            return self._last.setdefault(owner, {})
        except TypeError:  # a clock that cannot be weakly referenced: remember per throttle
            return self._own

    def wait(self, at_least: float = 0.0) -> None:
        """Sleep until the next request is allowed and at least ``at_least`` seconds from now."""
        now = self.clock()
        due = now + at_least
        last = self._memory().get(self.service)
        if last is not None:
            due = max(due, last + self.interval)
        if due > now:
            self.sleep(due - now)

    def mark(self) -> None:
        """Record that a request is being sent now."""
        self._memory()[self.service] = self.clock()
        self.requests += 1


class Requester:
    """Sends queries to one geocoder under a :class:`Policy`."""

    def __init__(self, geocoder: Any, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, policy: Policy = Policy(),
                 notify: Callable[[str], Any] = lambda message: None) -> None:
        self.geocoder = geocoder
        self.service = service_label(geocoder)
        self.policy = policy
        self.throttle = Throttle(policy.min_interval, clock, sleep, self.service)
        self.notify = notify  # says at once why the user is waiting (a retry, a Retry-After)

    def lookup(self, query: str, **kwargs: Any) -> Any:
        """The geopy Location for ``query``, None if nothing was found, or a :class:`Failure`."""
        policy, service = self.policy, self.service
        delay = policy.backoff
        wait = 0.0
        attempts = 0
        unreachable = False
        while True:
            limit = policy.retries  # extra attempts for this kind of failure
            self.throttle.wait(wait)
            self.throttle.mark()
            attempts += 1
            tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
            try:
                result = self.geocoder.geocode(query, exactly_one=True, **kwargs)
                if result is not None:
                    describe(result)  # validate now: a broken answer is a failure, not a crash
                return result
            except gexc.GeocoderRateLimited as exc:
                if exc.retry_after is not None and exc.retry_after > policy.max_retry_after:
                    return Failure(f"{service} asks to wait {exc.retry_after:.0f} s before the next request "
                                   "(HTTP 429, too many requests); try again later.", True, True)
                transient = (f"{service} kept answering 'too many requests' (HTTP 429) after {tries}; "
                             "try again later.")
                wait = exc.retry_after if exc.retry_after is not None else delay
                unreachable = False
                problem = f"{service} asks to slow down (HTTP 429)"
            except gexc.GeocoderParseError as exc:
                return Failure(f"{service} sent an answer that is not valid JSON ({_body_start(exc)}). "
                               "If you set --nominatim-url, check that it points at a Nominatim server.", True)
            except (gexc.GeocoderAuthenticationFailure, gexc.GeocoderInsufficientPrivileges,
                    gexc.GeocoderQuotaExceeded) as exc:
                return Failure(f"{service} refused the request ({_why(exc)}). "
                               f"Check the API key (MAPGEN_<SERVICE>_API_KEY) or the account's quota.",
                               True, True)
            except gexc.GeocoderTimedOut as exc:  # also HTTP 408, 503, 504
                if _status(exc):
                    transient = (f"{service} failed with HTTP {_status(exc)} after {tries}; the service may "
                                 "be overloaded: try again later, or use --offline.")
                else:
                    transient = (f"{service} did not answer within the timeout after {tries}; the service "
                                 "may be overloaded: try again later, or use --offline.")
                unreachable = not _status(exc)
                wait = delay
                problem = (f"{service} failed with HTTP {_status(exc)}" if _status(exc)
                           else f"{service} did not answer within {self._timeout()}")
            except gexc.GeocoderUnavailable as exc:
                api = getattr(self.geocoder, "api", "")
                at = f" at {api}" if isinstance(api, str) and api.startswith("http") else ""
                transient = (f"could not reach {service}{at} after {tries} ({_first_line(exc)}); check the "
                             "network or --nominatim-url, or use --offline.")
                unreachable = True
                limit = policy.unreachable_retries
                wait = delay
                problem = f"{service} unreachable{at} ({_first_line(exc)})"
            except gexc.GeocoderQueryError as exc:
                return Failure(f"{service} rejected the query ({_why(exc)}); "
                               "simplify the 'address' cell.")
            except gexc.GeocoderServiceError as exc:
                status = _status(exc)
                if status is None or status < 500:
                    return Failure(f"{service} answered with an error ({_why(exc)}); "
                                   "check --geocoder/--nominatim-url.", True)
                transient = (f"{service} failed with HTTP {status} after {tries}; the service may be "
                             "overloaded: try again later, or use --offline.")
                unreachable = False
                wait = delay
                problem = f"{service} failed with HTTP {status}"
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return Failure(f"{service} sent an answer mapgen cannot read ({type(exc).__name__}: {exc}).",
                               True)
            if attempts > limit:
                return Failure(transient, True, unreachable=unreachable)
            self.notify(f"{problem}; retrying in {wait:.0f} s…")
            delay = min(delay * 2, policy.max_backoff)

    def _timeout(self) -> str:
        timeout = getattr(self.geocoder, "timeout", None)
        return f"{timeout:g} s" if isinstance(timeout, (int, float)) else "the timeout"


def _status(exc: BaseException) -> int | None:
    cause = exc.__cause__
    return cause.status_code if isinstance(cause, AdapterHTTPError) else None


def _why(exc: BaseException) -> str:
    """The HTTP status of a failed request, or the error's first line."""
    status = _status(exc)
    return f"HTTP {status}" if status else _first_line(exc)


def _body_start(exc: BaseException) -> str:
    """The start of an unparsable answer, for the message."""
    _, _, body = str(exc).partition("\n")
    body = " ".join(body.split())
    if not body:
        return "an empty answer"
    return "it begins " + repr(body if len(body) <= 40 else body[:40] + "...")


def _first_line(exc: BaseException) -> str:
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
    if errno:
        return errno.group(0).strip()
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 160 else line[:157] + "..."
