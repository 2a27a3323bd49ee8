"""Geocoding: putting places without coordinates on the map.

* :mod:`.locate`: the order (typed-in coordinates, the cache, a service, the
  gazetteer) and the checks of every result;
* :mod:`.services`: where a geocoding service is called, politely (geopy);
* :mod:`.cache`: ``geocache.csv``, every answer kept;
* :mod:`.gazetteer`: city and country names offline (GeoNames);
* :mod:`.command`: ``mapgen geocode`` (lookups, review table, ``--write``).
"""

from .cache import CACHE_NAME, CacheEntry, GeoCache
from .command import GeocodeRun, geocode_csv, review_table
from .locate import Location, LocateReport, Query, locate, locate_for_dataset
from .services import Policy, make_geocoder

__all__ = ["CACHE_NAME", "CacheEntry", "GeoCache", "GeocodeRun", "Location", "LocateReport", "Policy", "Query",
           "geocode_csv", "locate", "locate_for_dataset", "make_geocoder", "review_table"]
