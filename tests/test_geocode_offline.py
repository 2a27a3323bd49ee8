"""Offline: manual coordinates, the cache and the GeoNames gazetteer; never the network."""

from __future__ import annotations

import pytest

from mapgen.geocode.cache import CacheEntry, GeoCache
from mapgen.geocode.locate import Query, locate
from mapgen.geocode.gazetteer import default_gazetteer


@pytest.fixture(scope="module")
def gazetteer():
    return default_gazetteer()


@pytest.mark.parametrize("name", ["Almaty", "Alma-Ata", "Алматы", "alma ata", "Алма-Ата"])
def test_city_names_in_any_spelling(gazetteer, name):
    match = gazetteer.lookup(name, countrycodes=["kz"])
    assert (match.name, match.precision, match.country_code) == ("Almaty", "city", "kz")
    assert (match.lat, match.lon) == pytest.approx((43.25249, 76.9115))


def test_country(gazetteer):
    match = gazetteer.lookup("Kazakhstan")
    assert (match.name, match.precision, match.country_code) == ("Kazakhstan", "country", "kz")
    assert 40.5 < match.lat < 55.5 and 46.5 < match.lon < 87.3  # a point inside Kazakhstan


def test_dataset_countries_preferred_then_population(gazetteer):
    assert gazetteer.lookup("Paris").country_code == "fr"
    assert gazetteer.lookup("Paris", countrycodes=["us"]).country_code == "us"
    assert gazetteer.lookup("Republic Square, Almaty").name == "Almaty"
    assert gazetteer.lookup("Nazarbayev Avenue 205") is None


def test_offline_locate_never_builds_a_geocoder(gazetteer, tmp_path, monkeypatch):
    # an empty User-Agent makes building any network geocoder fail loudly
    monkeypatch.setenv("MAPGEN_USER_AGENT", "")
    cache = GeoCache(tmp_path / "geocache.csv")
    cache.put(CacheEntry("Republic Square, Almaty", "nominatim", "kz", "", 43.2383101, 76.945187,
                         "Площадь Республики, Алматы, Казахстан", "kz", place_rank=25))
    queries = [
        Query("Almaty", "Almaty", 2),
        Query("Old capital", "Alma-Ata", 3),
        Query("Алматы", "Алматы", 4),
        Query("Kazakhstan (nationwide)", "Kazakhstan", 5),
        Query("Square", "Republic Square, Almaty", 6),
        Query("Residence", "Nazarbayev Avenue 205", 7, lat=43.2347, lon=76.9478),
        Query("Bakery", "Bakery near the residence", 8),
        Query("Southern capital", "Southern capital", 9, aliases=("Алма-Ата",)),
    ]
    report = locate(queries, offline=True, cache=cache, countrycodes=["kz"], gazetteer=gazetteer,
                    sleep=pytest.fail)
    got = {p: (loc.source, loc.precision) for p, loc in report.locations.items()}
    assert got == {
        "Almaty": ("gazetteer", "city"), "Old capital": ("gazetteer", "city"), "Алматы": ("gazetteer", "city"),
        "Kazakhstan (nationwide)": ("gazetteer", "country"), "Square": ("cache", None),
        "Residence": ("manual", None), "Southern capital": ("gazetteer", "city"),
    }
    assert report.failures == {"Bakery": (
        "'Bakery near the residence': offline, and neither geocache.csv nor the gazetteer knows it (the "
        "gazetteer has only city and country names). Type lat/lon in by hand, or run without --offline.")}
    assert report.requests == 0
