"""Optional enrichment of the demo data from the shared reference data folder.

With the folder present, CVs also get real Danish skill phrases (``kompetencer_da/*.tsv``) and
vacancies ESCO Danish titles (``esco/occupations_da_en.tsv``); without it the demo data is built
from :mod:`matching.demo.vocab` alone. Everything read is sorted, so the same files always give
the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matching.demo.vocab import OCCUPATIONS, OccupationProfile


@dataclass(frozen=True)
class Enrichment:
    """What the shared data adds; empty without the folder."""

    skill_phrases: tuple[str, ...] = ()
    # isco code -> sorted (Danish label, ESCO concept URI, the profile title it matched)
    esco_titles: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)


def load_enrichment(shared_data_dir: Path | None) -> Enrichment:
    """Skill phrases and ESCO titles of the generator's occupations, from ``shared_data_dir``."""
    if shared_data_dir is None:
        return Enrichment()
    phrases: set[str] = set()
    for path in sorted((shared_data_dir / "kompetencer_da").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            span, _, label = line.partition("\t")
            span = " ".join(span.split())
            words = span.split()
            if (
                label[:1] == "S"
                and len(words) >= 2
                and 10 <= len(span) <= 45
                and span[:1].islower()
                and not any(ch.isdigit() for ch in span)
            ):
                phrases.add(span)

    esco: dict[str, set[tuple[str, str, str]]] = {}
    esco_path = shared_data_dir / "esco" / "occupations_da_en.tsv"
    if esco_path.is_file():
        wanted: dict[str, list[OccupationProfile]] = {}
        for profile in OCCUPATIONS:
            wanted.setdefault(profile.isco_code, []).append(profile)
        lines = esco_path.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            cols = line.split("\t")
            if len(cols) < 7 or cols[1] != "Occupation" or cols[2] not in wanted:
                continue
            labels = [cols[5], *(a.strip() for a in cols[6].split("|"))]
            labels = [lab for lab in labels if 3 <= len(lab) <= 60]
            for profile in wanted[cols[2]]:
                # Only concepts that really are the same job: a label shares the title's stem.
                stems = {profile.title_da.lower(), *(a.lower() for a in profile.alt_titles_da)}
                if any(s in lab.lower() or lab.lower() in s for s in stems for lab in labels):
                    for lab in labels:
                        esco.setdefault(cols[2], set()).add((lab, cols[0], profile.title_da))
    return Enrichment(
        skill_phrases=tuple(sorted(phrases)),
        esco_titles={k: tuple(sorted(v)) for k, v in sorted(esco.items())},
    )
