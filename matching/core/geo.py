"""Distances between Danish postal codes, for commute filtering and the "km fra bopæl" chip.

Centroids come from the ``countrystatecity-postal-codes`` package (1,089 Danish codes with
latitude/longitude, ODbL-1.0), loaded once per process. Distance is the great-circle distance
between the two centroids: a cheap, explainable stand-in for travel distance. Copenhagen's
street-level codes (1050–1799) each have their own centroid, so they work as any other code.

The 98 municipalities (kommunekoder) are listed here too, so a job fair's area can be typed by
name or code and shown by name.
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


# --- municipalities -------------------------------------------------------------------------

# The 98 Danish municipalities (kommuner) by kommunekode, with the short names Danmarks
# Statistik uses. Fixed since the 2007 reform; Christiansø (411) is not a municipality.
MUNICIPALITIES: dict[int, str] = {
    101: "København",
    147: "Frederiksberg",
    151: "Ballerup",
    153: "Brøndby",
    155: "Dragør",
    157: "Gentofte",
    159: "Gladsaxe",
    161: "Glostrup",
    163: "Herlev",
    165: "Albertslund",
    167: "Hvidovre",
    169: "Høje-Taastrup",
    173: "Lyngby-Taarbæk",
    175: "Rødovre",
    183: "Ishøj",
    185: "Tårnby",
    187: "Vallensbæk",
    190: "Furesø",
    201: "Allerød",
    210: "Fredensborg",
    217: "Helsingør",
    219: "Hillerød",
    223: "Hørsholm",
    230: "Rudersdal",
    240: "Egedal",
    250: "Frederikssund",
    253: "Greve",
    259: "Køge",
    260: "Halsnæs",
    265: "Roskilde",
    269: "Solrød",
    270: "Gribskov",
    306: "Odsherred",
    316: "Holbæk",
    320: "Faxe",
    326: "Kalundborg",
    329: "Ringsted",
    330: "Slagelse",
    336: "Stevns",
    340: "Sorø",
    350: "Lejre",
    360: "Lolland",
    370: "Næstved",
    376: "Guldborgsund",
    390: "Vordingborg",
    400: "Bornholm",
    410: "Middelfart",
    420: "Assens",
    430: "Faaborg-Midtfyn",
    440: "Kerteminde",
    450: "Nyborg",
    461: "Odense",
    479: "Svendborg",
    480: "Nordfyns",
    482: "Langeland",
    492: "Ærø",
    510: "Haderslev",
    530: "Billund",
    540: "Sønderborg",
    550: "Tønder",
    561: "Esbjerg",
    563: "Fanø",
    573: "Varde",
    575: "Vejen",
    580: "Aabenraa",
    607: "Fredericia",
    615: "Horsens",
    621: "Kolding",
    630: "Vejle",
    657: "Herning",
    661: "Holstebro",
    665: "Lemvig",
    671: "Struer",
    706: "Syddjurs",
    707: "Norddjurs",
    710: "Favrskov",
    727: "Odder",
    730: "Randers",
    740: "Silkeborg",
    741: "Samsø",
    746: "Skanderborg",
    751: "Aarhus",
    756: "Ikast-Brande",
    760: "Ringkøbing-Skjern",
    766: "Hedensted",
    773: "Morsø",
    779: "Skive",
    787: "Thisted",
    791: "Viborg",
    810: "Brønderslev",
    813: "Frederikshavn",
    820: "Vesthimmerlands",
    825: "Læsø",
    840: "Rebild",
    846: "Mariagerfjord",
    849: "Jammerbugt",
    851: "Aalborg",
    860: "Hjørring",
}


# Older spellings people still type.
MUNICIPALITY_ALIASES: dict[str, int] = {"århus": 751, "ålborg": 851, "åbenrå": 580}


# Postal districts known to lie inside one municipality (a district may cross a border, so
# there is no complete mapping): the big towns' districts. Others: the municipality is chosen.
POSTAL_MUNICIPALITIES: dict[str, int] = {
    **{str(code): 101 for code in range(1050, 1800)},
    **{str(code): 147 for code in range(1800, 2001)},
    **dict.fromkeys(("2100", "2150", "2200", "2300", "2400", "2450", "2500", "2700"), 101),
    "2720": 101,
    **dict.fromkeys(("5000", "5200", "5210", "5220", "5230", "5240", "5250", "5260"), 461),
    **dict.fromkeys(("5270", "5320"), 461),
    **dict.fromkeys(("6700", "6705", "6710", "6715"), 561),
    **dict.fromkeys(("8000", "8200", "8210", "8220", "8230", "8240", "8260", "8270"), 751),
    **dict.fromkeys(("8310", "8381"), 751),
    **dict.fromkeys(("9000", "9200", "9210", "9220", "9230", "9400", "9430"), 851),
}


def municipality_for_postal_code(postal_code: str | None) -> int | None:
    """The kommunekode of a postal district that lies inside one municipality, else None."""
    return POSTAL_MUNICIPALITIES.get((postal_code or "").strip())


def is_postal_code(postal_code: str | None) -> bool:
    """Whether ``postal_code`` is a Danish postal code Jobbro knows (one with a centroid)."""
    return bool(postal_code) and postal_code in postal_centroids()


def municipality_name(code: int) -> str:
    """The municipality's short name ("Odense"), or the bare code when it is not one."""
    return MUNICIPALITIES.get(code, str(code))


@cache
def _municipality_codes_by_name() -> dict[str, int]:
    names = {name.casefold(): code for code, name in MUNICIPALITIES.items()}
    names |= MUNICIPALITY_ALIASES
    # "Københavns Kommune", "Nordfyn": the genitive and the bare name both name the same one.
    for name, code in list(names.items()):
        names.setdefault(name[:-1] if name.endswith("s") else name + "s", code)
    return names


def municipality_code(text: str) -> int | None:
    """The kommunekode for a typed code ("461") or name ("Odense", "odense kommune")."""
    needle = " ".join(text.split()).casefold()
    if needle.isdigit():
        code = int(needle)
        return code if code in MUNICIPALITIES else None
    needle = needle.removesuffix(" kommune").removesuffix(" kommunes")
    return _municipality_codes_by_name().get(needle)
