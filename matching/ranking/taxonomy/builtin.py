"""The small built-in taxonomy: common Danish occupations with their ISCO-08 unit groups.

It lets a fresh clone run without the official files; `jobbro taxonomy import` loads the
full ESCO and DISCO-08 files on top. The built-in occupations have their own URIs
(``urn:jobbro:occupation:<isco>:<slug>``), so they coexist with ESCO's; the ten ISCO-08 major
groups use ESCO's URIs (``http://data.europa.eu/esco/isco/C<d>``), so an ESCO import later
updates those same rows instead of duplicating them.
"""

from __future__ import annotations

from matching.demo import vocab
from matching.ranking.taxonomy.parsers import OccupationRecord

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

_SLUG_TRANSLATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "o"})


def slug(text: str) -> str:
    """ASCII slug of a Danish title for URIs: ``"Social- og sundhedshjælper"`` → ``social-og-…``."""
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower().translate(_SLUG_TRANSLATION))
    return "-".join(part for part in cleaned.split("-") if part)


def builtin_uri(isco_code: str, title_da: str) -> str:
    """The stable URI of a built-in occupation."""
    return f"{BUILTIN_URI_PREFIX}{isco_code}:{slug(title_da)}"


def builtin_records() -> list[OccupationRecord]:
    """The ten ISCO-08 major groups plus one concept per built-in occupation (stable URIs).

    Danish major-group titles come from ``matching.demo.vocab.ISCO_MAJOR_GROUPS`` when that
    exists; without it the groups carry English labels only.
    """
    major_groups_da: dict[str, str] = getattr(vocab, "ISCO_MAJOR_GROUPS", {}) or {}
    records = [
        OccupationRecord(
            uri=f"{ISCO_GROUP_URI_PREFIX}{code}",
            concept_type="ISCOGroup",
            isco_code=code,
            preferred_label_en=title_en,
            preferred_label_da=major_groups_da.get(code),
            alt_labels_en=(),
            alt_labels_da=(),
            description_en="",
        )
        for code, title_en in sorted(ISCO_MAJOR_GROUPS_EN.items())
    ]
    seen: set[str] = set()
    for profile in vocab.OCCUPATIONS:
        uri = builtin_uri(profile.isco_code, profile.title_da)
        if uri in seen:
            continue
        seen.add(uri)
        title_da = " ".join(profile.title_da.split())
        alt_da = (" ".join(t.split()) for t in profile.alt_titles_da)
        records.append(
            OccupationRecord(
                uri=uri,
                concept_type="Occupation",
                isco_code=profile.isco_code,
                preferred_label_en=" ".join(profile.title_en.split()),
                preferred_label_da=title_da,
                alt_labels_en=(),
                alt_labels_da=tuple(dict.fromkeys(t for t in alt_da if t and t != title_da)),
                description_en="",
            )
        )
    return records
