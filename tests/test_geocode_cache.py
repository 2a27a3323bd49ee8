"""The geocoding cache file: readable, sorted, atomic, and surviving a killed run."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mapgen.errors import DataError
from mapgen.geocode.cache import CacheEntry, GeoCache, cache_key, normalise_query
from mapgen.geocode.command import geocode_csv
from nominatim_server import FakeTime, NominatimServer, ProgressRecorder


ROOT = Path(__file__).resolve().parents[1]
UA = "mapgen-tests/1.0 (tests@example.org)"
FIXED = datetime(2022, 1, 9, 12, 30, 5, 123456, tzinfo=timezone.utc)


def test_entries_are_saved_sorted_with_timestamp_from_the_injected_clock(tmp_path):
    cache = GeoCache(tmp_path / "geocache.csv", now=lambda: FIXED)
    cache.put(CacheEntry("Shymkent", "nominatim", "kz", "", 42.3155, 69.5869, "Шымкент, Казахстан", "kz",
                         "relation", "1957283", "boundary", "administrative", 16))
    cache.put(CacheEntry("Almaty, Kazakhstan", "nominatim", "kz"))  # nothing found
    assert (tmp_path / "geocache.csv").read_text("utf-8") == (
        "query,service,countrycodes,viewbox,lat,lon,display_name,country_code,osm_type,osm_id,class,type,"
        "place_rank,retrieved\n"
        '"Almaty, Kazakhstan",nominatim,kz,,,,,,,,,,,2022-01-09T12:30:05Z\n'
        "Shymkent,nominatim,kz,,42.3155000,69.5869000,\"Шымкент, Казахстан\",kz,relation,1957283,boundary,"
        "administrative,16,2022-01-09T12:30:05Z\n"
    )
    again = GeoCache(tmp_path / "geocache.csv")
    assert again.get(cache_key("nominatim", "  SHYMKENT ", ["KZ"])).lat == 42.3155
    assert not again.get(cache_key("nominatim", "almaty, kazakhstan", ["kz"])).found
    assert again.get(cache_key("nominatim", "Shymkent", [])) is None  # other countries, other key
    assert again.get(cache_key("photon", "Shymkent", ["kz"])) is None
    assert [p.name for p in tmp_path.iterdir()] == ["geocache.csv"]  # no temp files left


def test_normalised_query_ignores_case_and_spacing_only():
    assert normalise_query("  Republic   Square,\tALMATY ") == "republic square, almaty"
    assert normalise_query("Almaty") != normalise_query("Alma-Ata")


def test_broken_cache_rows_are_reported_with_their_lines(tmp_path):
    path = tmp_path / "geocache.csv"
    path.write_text("query,service,lat,lon\nAlmaty,nominatim,43.2,76.9\nAstana,nominatim,north,71.4\n"
                    ",nominatim,,\nShymkent,nominatim,42.3,\n", "utf-8")
    with pytest.raises(DataError) as err:
        GeoCache(path)
    assert str(err.value) == (
        "geocache.csv:3: column 'lat': 'north' is not a number.\n"
        "geocache.csv:4: column 'query': is empty.\n"
        "geocache.csv:5: column 'lon': is empty but the other coordinate is not.\n"
        "3 problems found; nothing was written.\n"
        "Fix the rows, or delete them to look those places up again."
    )


PLACES = ["Almaty", "Republic Square", "Medeu District", "Akimat Almaty", "Almaty Airport", "Bostandyk District"]


def test_killed_run_keeps_every_finished_lookup_and_the_rerun_continues(tmp_path):
    csv_path = tmp_path / "places.csv"
    csv_path.write_text("place,address,lat,lon\n" + "".join(f"{p},,,\n" for p in PLACES), "utf-8")
    (tmp_path / "mapgen.toml").write_text('countrycodes = ["kz"]\n', "utf-8")
    cache_path = tmp_path / "geocache.csv"
    with NominatimServer() as server:
        server.slow_after = 3  # the 4th answer never comes
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MAPGEN_USER_AGENT": UA}
        proc = subprocess.Popen(
            [sys.executable, "-m", "mapgen", "geocode", str(csv_path), "--nominatim-url", server.url],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while len(server.requests) < 4 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(server.requests) == 4, proc.communicate(timeout=5) if proc.poll() is not None else ""
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        with cache_path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["query"] for r in rows] == ["Almaty", "Medeu District", "Republic Square"]  # all finished, sorted
        assert all(r["lat"] and r["retrieved"] for r in rows)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["geocache.csv", "mapgen.toml", "places.csv"]

        server.slow_after = None
        fake, progress = FakeTime(), ProgressRecorder()
        server.clock = fake.clock
        run = geocode_csv(csv_path, nominatim_url=server.url, user_agent=UA, clock=fake.clock,
                          sleep=fake.sleep, progress=progress)
    assert [r.q for r in server.requests[4:]] == ["Akimat Almaty", "Almaty Airport", "Bostandyk District"]
    assert progress.totals == [3]
    assert run.report.failures == {}
    assert len(run.report.locations) == 6
    assert {loc.source for p, loc in run.report.locations.items() if p in PLACES[:3]} == {"cache"}
    assert len(GeoCache(cache_path)) == 6
