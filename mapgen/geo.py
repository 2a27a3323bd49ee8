"""Small geographic helpers: distances and which places are far from the rest."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; works element-wise on arrays."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def centre(lat, lon) -> tuple[float, float]:
    """A robust centre of points: the median latitude and longitude."""
    return float(np.median(lat)), float(np.median(lon))


def far_from_others(lat, lon, *, factor: float = 5.0, floor_km: float = 50.0) -> np.ndarray:
    """True for points much farther from the median centre than the rest.

    A point is far when its distance exceeds ``max(factor * median distance,
    floor_km)``: Moscow among Almaty's streets, but not Aktau among places all
    over Kazakhstan.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if lat.size < 3:
        return np.zeros(lat.size, dtype=bool)
    c_lat, c_lon = centre(lat, lon)
    dist = haversine_km(lat, lon, c_lat, c_lon)
    return dist > max(factor * float(np.median(dist)), floor_km)
