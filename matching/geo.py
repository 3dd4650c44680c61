"""Distances between Danish postal codes, for commute filtering and the "km fra bopæl" chip.

Centroids come from the ``countrystatecity-postal-codes`` package (1,089 Danish codes with
latitude/longitude, ODbL-1.0), loaded once per process. Distance is the great-circle distance
between the two centroids: a cheap, explainable stand-in for travel distance. Copenhagen's
street-level codes (1050–1799) each have their own centroid, so they work as any other code.
"""

from __future__ import annotations

import math
from functools import cache

EARTH_RADIUS_KM = 6371.0088
COUNTRY = "DK"


@cache
def postal_centroids() -> dict[str, tuple[float, float]]:
    """``{postal code: (latitude, longitude)}`` for every Danish postal code the package knows."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    centroids: dict[str, tuple[float, float]] = {}
    for row in get_postcodes_of_country(COUNTRY):
        if row.latitude is None or row.longitude is None:
            continue
        centroids[str(row.code)] = (float(row.latitude), float(row.longitude))
    return centroids


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_km(postal_a: str | None, postal_b: str | None) -> float | None:
    """Distance in km between two postal codes' centroids; None if either code is unknown."""
    if not postal_a or not postal_b:
        return None
    if postal_a == postal_b:
        return 0.0
    centroids = postal_centroids()
    a, b = centroids.get(postal_a), centroids.get(postal_b)
    if a is None or b is None:
        return None
    return haversine_km(a, b)


def codes_within(postal_code: str, radius_km: float) -> set[str]:
    """Postal codes whose centroid lies within ``radius_km`` of ``postal_code``'s (incl. itself)."""
    centroids = postal_centroids()
    origin = centroids.get(postal_code)
    if origin is None:
        return {postal_code}
    return {code for code, point in centroids.items() if haversine_km(origin, point) <= radius_km}
