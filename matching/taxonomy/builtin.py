"""The small built-in taxonomy: common Danish occupations with their ISCO-08 unit groups.

It lets a fresh clone run without the official files; `jobbro taxonomy import` loads the
full ESCO and DISCO-08 files on top (different URIs, so both can coexist).
"""

from __future__ import annotations

from matching.demo.vocab import ISCO_MAJOR_GROUPS, OCCUPATIONS
from matching.taxonomy.parsers import OccupationRecord

BUILTIN_URI_PREFIX = "urn:jobbro:occupation:"
ISCO_GROUP_URI_PREFIX = "http://data.europa.eu/esco/isco/C"  # as ESCO names ISCO groups

ISCO_MAJOR_GROUPS_EN: dict[str, str] = {
    "0": "Armed forces occupations",
    "1": "Managers",
    "2": "Professionals",
    "3": "Technicians and associate professionals",
    "4": "Clerical support workers",
    "5": "Service and sales workers",
    "6": "Skilled agricultural, forestry and fishery workers",
    "7": "Craft and related trades workers",
    "8": "Plant and machine operators, and assemblers",
    "9": "Elementary occupations",
}


def slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "o"})
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower().translate(table))
    return "-".join(part for part in cleaned.split("-") if part)


def builtin_records() -> list[OccupationRecord]:
    """ISCO major groups plus one concept per built-in occupation (URIs are stable)."""
    records = [
        OccupationRecord(
            uri=f"{ISCO_GROUP_URI_PREFIX}{code}",
            concept_type="ISCOGroup",
            isco_code=code,
            preferred_label_en=ISCO_MAJOR_GROUPS_EN[code],
            preferred_label_da=ISCO_MAJOR_GROUPS[code],
            alt_labels_en=(),
            alt_labels_da=(),
            description_en="",
        )
        for code in sorted(ISCO_MAJOR_GROUPS_EN)
    ]
    seen: set[str] = set()
    for profile in OCCUPATIONS:
        uri = f"{BUILTIN_URI_PREFIX}{profile.isco_code}:{slug(profile.title_da)}"
        if uri in seen:
            continue
        seen.add(uri)
        records.append(
            OccupationRecord(
                uri=uri,
                concept_type="Occupation",
                isco_code=profile.isco_code,
                preferred_label_en=profile.title_en,
                preferred_label_da=profile.title_da,
                alt_labels_en=(),
                alt_labels_da=tuple(dict.fromkeys(profile.alt_titles_da)),
                description_en="",
            )
        )
    return records
