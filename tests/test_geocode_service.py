"""Geocoding against a local Nominatim-compatible server, with geopy's real Nominatim class.

Time is fake (``FakeTime``): the policy's waits are recorded, never slept, and
the server stamps each request with the same fake clock, so the one-request-
per-second rule is checked on the request log itself.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mapgen.errors import GeocodingError
from mapgen.geocode.cache import GeoCache
from mapgen.geocode.locate import Location, Query, locate
from mapgen.geocode.services import DEFAULT_USER_AGENT, Policy, make_geocoder, resolve_user_agent, service_label
from nominatim_server import AKTAU, MOSCOW, FakeTime, Hang, Hit, Malformed, NominatimServer, \
    ProgressRecorder, Status


UA = "mapgen-tests/1.0 (tests@example.org)"
STREET = "Bakery by the old square"  # names no city: the offline gazetteer cannot stand in for it


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(fake: FakeTime):
    with NominatimServer(clock=fake.clock) as srv:
        yield srv


@pytest.fixture
def cache(tmp_path: Path) -> GeoCache:
    return GeoCache(tmp_path / "geocache.csv")


def run(server: NominatimServer, fake: FakeTime, cache: GeoCache | None, queries: list[Query],
        timeout: float = 2, **kwargs):
    geocoder = make_geocoder(nominatim_url=server.url, user_agent=UA, timeout=timeout)
    kwargs.setdefault("countrycodes", ["kz"])
    kwargs.setdefault("progress", ProgressRecorder())
    return locate(queries, geocoder=geocoder, cache=cache, clock=fake.clock, sleep=fake.sleep, **kwargs)


def q(place: str, query: str | None = None, line: int = 2, **kw) -> Query:
    return Query(place, query or place, line, **kw)


def gaps(server: NominatimServer) -> list[float]:
    times = [r.time for r in server.requests]
    return [b - a for a, b in zip(times, times[1:])]


def test_hit_uses_real_nominatim_protocol_and_is_cached(server, fake, cache, tmp_path):
    report = run(server, fake, cache, [q("Akimat", "Akimat Almaty")])
    loc = report.locations["Akimat"]
    assert (loc.lat, loc.lon) == (43.25667, 76.92861)
    assert loc.source == "nominatim" and loc.flags == () and loc.precision is None
    assert loc.display_name.startswith("Акимат Алматы")
    assert report.failures == {}
    [request] = server.requests
    assert request.path == "/search"
    assert request.params["q"] == "Akimat Almaty"
    assert request.params["format"] == "json" and request.params["countrycodes"] == "kz"
    assert request.user_agent == UA
    text = (tmp_path / "geocache.csv").read_text("utf-8")
    assert text.splitlines()[0] == ("query,service,countrycodes,viewbox,lat,lon,display_name,country_code,"
                                    "osm_type,osm_id,class,type,place_rank,retrieved")
    row = text.splitlines()[1]
    assert row.startswith("Akimat Almaty,nominatim,kz,,43.2566700,76.9286100,")
    assert ",kz,node,3457931201,amenity,townhall,30," in row


def test_city_result_implies_city_precision(server, fake, cache):
    report = run(server, fake, cache, [q("Almaty")])
    assert report.locations["Almaty"].precision == "city"


def test_no_result_is_a_failure_and_is_cached_as_negative(server, fake, cache, tmp_path):
    report = run(server, fake, cache, [q("Nowhere", "Nowhere street 1")])
    assert report.locations == {}
    assert report.failures["Nowhere"] == (
        "nominatim found nothing for 'Nowhere street 1'. Check the spelling in the 'address' "
        "column (a shorter address such as 'district, city' often works), or type lat/lon in by hand.")
    again = run(server, fake, GeoCache(tmp_path / "geocache.csv"), [q("Nowhere", "Nowhere street 1")])
    assert len(server.requests) == 1
    assert "(asked on " in again.failures["Nowhere"]
    assert again.failures["Nowhere"].endswith("delete its row from geocache.csv to ask again.")


def test_429_waits_what_retry_after_says(server, fake, cache):
    server.enqueue(Status(429, "Too many requests", {"Retry-After": "7"}))
    report = run(server, fake, cache, [q("Almaty")])
    assert report.locations["Almaty"].lat == pytest.approx(43.2363924)
    assert max(fake.sleeps) >= 7
    assert len(server.requests) == 2 and gaps(server) == [pytest.approx(7)]


def test_503_every_time_is_reported_after_bounded_retries(server, fake, cache):
    server.enqueue(*[Status(503, "Service Unavailable")] * 4)
    report = run(server, fake, cache, [q("Residence", STREET)])
    assert report.failures["Residence"] == (
        f"'{STREET}': nominatim failed with HTTP 503 after 4 attempts; the service may be overloaded: try "
        "again later, or use --offline.")
    assert gaps(server) == [2.0, 4.0, 8.0]


def test_503_then_success_backs_off(server, fake, cache):
    server.enqueue(Status(503, "Service Unavailable"), Status(500, "oops"))
    report = run(server, fake, cache, [q("Almaty")])
    assert "Almaty" in report.locations
    assert len(server.requests) == 3
    assert gaps(server) == [2.0, 4.0]  # exponential backoff


def test_hang_past_timeout_is_retried_then_reported(server, fake, cache):
    server.enqueue(*[Hang(5)] * 3)
    report = run(server, fake, cache, [q("Residence", STREET)], timeout=0.3, policy=Policy(retries=2))
    assert report.failures["Residence"] == (
        f"'{STREET}': nominatim did not answer within the timeout after 3 attempts; the service may be "
        "overloaded: try again later, or use --offline.")
    assert len(server.requests) == 3
    assert len(cache) == 0  # a failure is not an answer: the next run asks again


def test_malformed_json_is_a_clear_failure_without_retry(server, fake, cache):
    server.enqueue(Malformed("<html><body>Bad Gateway</body>"))
    report = run(server, fake, cache, [q("Almaty")])
    assert report.failures["Almaty"] == (
        "'Almaty': nominatim sent an answer that is not valid JSON (it begins "
        "'<html><body>Bad Gateway</body>'). If you set --nominatim-url, check that it points at a "
        "Nominatim server.")
    assert len(server.requests) == 1


def test_other_4xx_is_not_retried(server, fake, cache):
    server.enqueue(Status(403, "Forbidden"))
    report = run(server, fake, cache, [q("Almaty"), q("Astana")])
    assert len(server.requests) == 1  # 403 would repeat: nothing more is sent
    assert "refused the request (HTTP 403" in report.failures["Almaty"]
    assert report.failures["Astana"].startswith("'Astana': not looked up:")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused, as with no network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_service_is_tried_once_more_and_said_at_once(fake, cache):
    port = closed_port()
    geocoder = make_geocoder(nominatim_url=f"http://127.0.0.1:{port}", user_agent=UA, timeout=2)
    notices: list[str] = []
    report = locate([q("Bakery", STREET), q("Shop", "Shop by the old square")], geocoder=geocoder, cache=cache,
                    clock=fake.clock, sleep=fake.sleep, progress=ProgressRecorder(), notify=notices.append)
    assert report.failures["Bakery"] == (
        f"'{STREET}': could not reach nominatim at http://127.0.0.1:{port}/search after "
        "2 attempts ([Errno 111] Connection refused); check the network or --nominatim-url, or use --offline.")
    # no connection at all: the other places are not tried one by one
    assert report.failures["Shop"] == (
        "'Shop by the old square': not looked up: nominatim could not be reached, so mapgen stopped asking it. "
        "Finished lookups are saved in geocache.csv; rerun when the network is back, or use --offline.")
    assert fake.sleeps == [2.0]
    assert notices == [f"nominatim unreachable at http://127.0.0.1:{port}/search ([Errno 111] Connection refused); "
                       "retrying in 2 s…"]


def test_service_unreachable_falls_back_to_the_gazetteer_for_cities(fake, cache):
    """During a shutdown the service is gone, but 'Almaty' is still known at city precision."""
    port = closed_port()
    geocoder = make_geocoder(nominatim_url=f"http://127.0.0.1:{port}", user_agent=UA, timeout=2)
    notices: list[str] = []
    report = locate([q("Almaty"), q("Bakery", STREET)], geocoder=geocoder,
                    cache=cache, countrycodes=["kz"], clock=fake.clock, sleep=fake.sleep,
                    progress=ProgressRecorder(), notify=notices.append)
    almaty = report.locations["Almaty"]
    assert (almaty.source, almaty.precision) == ("gazetteer", "city")
    assert almaty.lat == pytest.approx(43.25, abs=0.05) and almaty.lon == pytest.approx(76.93, abs=0.05)
    assert "could not reach nominatim" in report.failures["Bakery"] or "could not be reached" in report.failures["Bakery"]
    assert notices[-1] == "nominatim cannot be reached: using the offline gazetteer for 1 place (city or country level)."


def test_result_in_wrong_country_is_flagged_not_mapped(server, fake, cache):
    server.enqueue(Hit(MOSCOW))
    report = run(server, fake, cache, [q("Park", "Victory Park")])
    assert "Park" not in report.locations
    assert report.flagged["Park"].flags == ("outside-area",)
    assert report.failures["Park"] == (
        "'Victory Park' was found at 55.75045, 37.61749 (Москва, Центральный федеральный округ, Россия), "
        "but it is in RU, not in KZ. Check the address, type lat/lon in by hand, or accept it with "
        "--accept-flagged.")


def test_flagged_result_is_kept_when_accepted(server, fake, cache):
    server.enqueue(Hit(MOSCOW))
    report = run(server, fake, cache, [q("Park", "Victory Park")], accept_flagged=True)
    assert report.locations["Park"].flags == ("outside-area",)
    assert report.failures == {}


def test_far_from_others_is_flagged(server, fake, cache):
    manual = [q(f"Street {i}", lat=43.24 + i / 100, lon=76.93 + i / 100) for i in range(4)]
    server.enqueue(Hit(AKTAU))
    report = run(server, fake, cache, [*manual, q("Square", "Republic Square")])
    assert report.flagged["Square"].flags == ("far-from-others",)
    assert "km from the centre of the places (limit 50 km)" in report.failures["Square"]
    assert all(report.locations[m.place].source == "manual" for m in manual)


def test_viewbox_is_sent_and_checked(server, fake, cache):
    report = run(server, fake, cache, [q("Astana")], viewbox=(76.6, 43.0, 77.3, 43.5))
    assert server.requests[0].params["viewbox"] == "76.6,43.0,77.3,43.5"
    assert report.flagged["Astana"].flags == ("outside-area",)
    assert "outside the viewbox in mapgen.toml" in report.failures["Astana"]


def test_at_most_one_request_per_second_and_each_query_once(server, fake, cache):
    queries = [q("Almaty"), q("Astana"), q("Shymkent"), q("Aktau"), q("Alma-Ata"),
               q("City", "almaty"), q("Airport", "Almaty Airport")]
    progress = ProgressRecorder()
    report = run(server, fake, cache, queries, progress=progress)
    assert [r.q for r in server.requests] == ["Almaty", "Astana", "Shymkent", "Aktau", "Alma-Ata",
                                             "Almaty Airport"]  # 'almaty' = 'Almaty'
    assert all(gap >= 1.0 for gap in gaps(server)), gaps(server)
    assert report.locations["City"] == report.locations["Almaty"]
    assert progress.totals == [6] and progress.updates == 6 and progress.closed == 1
    assert report.requests == 6


def test_second_run_sends_nothing(server, fake, tmp_path):
    queries = [q("Almaty"), q("Astana"), q("Nowhere")]
    run(server, fake, GeoCache(tmp_path / "geocache.csv"), queries)
    assert len(server.requests) == 3
    report = run(server, fake, GeoCache(tmp_path / "geocache.csv"), queries)
    assert len(server.requests) == 3
    assert report.requests == 0
    assert {p: loc.source for p, loc in report.locations.items()} == {"Almaty": "cache", "Astana": "cache"}
    assert "Nowhere" in report.failures


def test_changed_address_or_countries_make_a_new_lookup(server, fake, tmp_path):
    path = tmp_path / "geocache.csv"
    run(server, fake, GeoCache(path), [q("Almaty")])
    run(server, fake, GeoCache(path), [q("Almaty", "  ALMATY ")])  # same query, normalised
    assert len(server.requests) == 1
    run(server, fake, GeoCache(path), [q("Almaty", "Alma-Ata")])
    run(server, fake, GeoCache(path), [q("Almaty", "Alma-Ata")], countrycodes=["kz", "kg"])
    assert [r.q for r in server.requests] == ["Almaty", "Alma-Ata", "Alma-Ata"]
    assert server.requests[-1].params["countrycodes"] == "kz,kg"


def test_manual_coordinates_win_and_send_nothing(server, fake, cache):
    report = run(server, fake, cache, [q("Almaty", lat=43.2565, lon=76.9285)])
    assert report.locations["Almaty"] == Location(43.2565, 76.9285, "manual")
    assert server.requests == []


def test_service_failing_repeatedly_stops_the_batch(server, fake, cache):
    server.enqueue(*[Status(502, "Bad Gateway")] * 20)
    report = run(server, fake, cache, [q("Almaty"), q("Astana"), q("Shymkent"), q("Aktau")],
                 policy=Policy(retries=1, breaker=2))
    assert len(server.requests) == 4  # 2 places x 2 attempts, then it stops asking
    assert "failed with HTTP 502 after 2 attempts" in report.failures["Almaty"]
    assert report.failures["Shymkent"] == (
        "'Shymkent': not looked up: nominatim failed for the 2 place(s) before, so mapgen "
        "stopped asking it. Finished lookups are saved in geocache.csv; rerun later to continue, or use "
        "--offline.")


def test_user_agent_default_env_and_empty(monkeypatch):
    assert resolve_user_agent(None, {}) == DEFAULT_USER_AGENT
    assert resolve_user_agent(None, {"MAPGEN_USER_AGENT": "dw-maps/2 (maps@dw.example)"}) == \
        "dw-maps/2 (maps@dw.example)"
    assert resolve_user_agent("x/1", {"MAPGEN_USER_AGENT": "y/2"}) == "x/1"
    with pytest.raises(GeocodingError, match=r"The User-Agent \(\$MAPGEN_USER_AGENT\) is empty"):
        resolve_user_agent(None, {"MAPGEN_USER_AGENT": " "})
    with pytest.raises(GeocodingError, match=r"The User-Agent \(--user-agent\) is empty"):
        make_geocoder(user_agent="", env={})


def test_make_geocoder_services_and_keys():
    nominatim = make_geocoder(env={})
    assert service_label(nominatim) == "nominatim" and nominatim.headers["User-Agent"] == DEFAULT_USER_AGENT
    own = make_geocoder(nominatim_url="https://geo.example.org/nominatim/", env={})
    assert (own.scheme, own.domain) == ("https", "geo.example.org/nominatim")
    assert service_label(own) == "nominatim"  # the same OSM data as the public one: one cache
    opencage = make_geocoder("opencage", env={"MAPGEN_OPENCAGE_API_KEY": "k123"})
    assert opencage.api_key == "k123" and service_label(opencage) == "opencage"
    with pytest.raises(GeocodingError, match="Set the environment variable MAPGEN_OPENCAGE_API_KEY"):
        make_geocoder("opencage", env={})
    with pytest.raises(GeocodingError, match="Unknown geocoding service 'nominatimm'. Known: arcgis"):
        make_geocoder("nominatimm", env={})
    with pytest.raises(GeocodingError, match="is not a web address"):
        make_geocoder(nominatim_url="localhost:8080", env={})


def test_pace_is_kept_across_runs_in_one_process(server, fake, tmp_path):
    run(server, fake, GeoCache(tmp_path / "a.csv"), [q("Almaty")])
    run(server, fake, GeoCache(tmp_path / "b.csv"), [q("Astana")])
    assert gaps(server) == [1.0]
