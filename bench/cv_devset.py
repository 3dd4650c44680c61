"""Write the labelled CV parsing development set: documents and their gold JSON.

    python bench/cv_devset.py [OUTDIR] [--seed 7] [--people 300] [--documents 60]

Everything is synthetic and ours: the CV records come from the demo generator
(:func:`matching.demo.generator.generate`, without the reference data folder, fixed seed and
date), written out as DOCX (python-docx, five layouts) and PDF (reportlab, one and two
columns) in Danish and English with varied heading words and date styles, plus hand-written
edge cases (no dates, odd headings, no sections, Windows-1252 text, ODT). Each document
``NAME.EXT`` has ``NAME.gold.json`` with the fields the document states (the ParsedCV JSON
form; an experience written as ongoing has ``end_year`` null). ``--long`` documents (three
pages) for the speed measurement go to ``OUTDIR/long``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cv_devset_edge import write_blind_cases, write_edge_cases  # noqa: E402
from cv_devset_render import render_docx, render_pdf  # noqa: E402

from matching.demo.generator import generate  # noqa: E402
from matching.demo.records import JobseekerRecord  # noqa: E402

TODAY = date(2025, 6, 1)
DEFAULT_OUT = ROOT / "var" / "cv-devset"
DOCX_LAYOUTS = ("plain", "date_first", "table_headings", "two_column", "bullets", "date_table")
PDF_LAYOUTS = ("pdf_plain", "pdf_two_column")
DATE_STYLES = ("year", "month_abbr", "month_long", "numeric", "current")


@dataclass
class Doc:
    """What a renderer writes: the person's CV as the document states it."""

    name: str
    lang: str  # da | en
    contact: list[str]
    headline: str
    summary: str
    experiences: list[dict[str, Any]]
    educations: list[dict[str, Any]]
    skills: list[str]
    languages: list[dict[str, str]]
    licences: list[str]
    desired: list[str]
    date_style: str
    layout: str
    headings: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def gold(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "summary": self.summary,
            "experiences": self.experiences,
            "educations": self.educations,
            "skills": self.skills,
            "languages": self.languages,
            "driving_licences": self.licences,
            "desired_occupations": [{"title": t} for t in self.desired],
            "written_in": self.lang,
            "layout": self.layout,
            "date_style": self.date_style,
        }


HEADINGS = {
    "da": {
        "profile": ("Profil", "Om mig", "PERSONLIG PROFIL", "Resumé"),
        "experience": ("Erhvervserfaring", "Erfaring", "ARBEJDSERFARING", "Erhvervserfaring:"),
        "education": ("Uddannelse", "Uddannelser og kurser", "UDDANNELSE:"),
        "skills": ("Kompetencer", "Færdigheder", "Faglige kompetencer"),
        "languages": ("Sprog", "Sprogkundskaber"),
        "licences": ("Kørekort", "KØREKORT"),
        "desired": ("Jobønsker", "Ønsket job", "Jobmål"),
    },
    "en": {
        "profile": ("Profile", "Summary", "About me"),
        "experience": ("Work experience", "Experience", "EMPLOYMENT HISTORY"),
        "education": ("Education", "Education and training"),
        "skills": ("Skills", "Key skills"),
        "languages": ("Languages",),
        "licences": ("Driving licence", "Driving license"),
        "desired": ("Desired position", "Job goals"),
    },
}


def person_doc(person: JobseekerRecord, rng: random.Random, layout: str, long: bool) -> Doc:
    cv = person.cv
    lang = cv.language
    experiences = [
        {
            "title": e.title,
            "employer": e.employer_name,
            "start_year": e.start_year,
            "end_year": e.end_year,
            "description": e.description,
        }
        for e in cv.experiences
    ]
    if experiences and rng.random() < 0.4:
        experiences[0]["end_year"] = None  # written as ongoing: "– nu", "– present"
    educations = [
        {"title": e.title, "institution": e.institution, "completed_year": e.completed_year}
        for e in cv.educations
    ]
    if long:  # three pages: more jobs, longer descriptions
        extra = []
        oldest = min(e["start_year"] for e in experiences)
        for i, e in enumerate(experiences * 12):
            end = oldest - 2 * i
            extra.append({**e, "start_year": end - 2, "end_year": end,
                          "description": " ".join([e["description"]] * 5)})  # fmt: skip
        experiences = experiences + extra[:12]
    contact = [
        f"{person.first_name} {person.last_name}",
        rng.choice(
            (
                f"Tlf. {person.phone} · {person.email}",
                f"{person.email} | +45 {person.phone}",
                f"Telefon: {person.phone}",
            )
        ),
    ]
    if rng.random() < 0.5:
        contact.append(f"Vestergade {rng.randint(1, 90)}, {person.postal_code} Byen")
    if rng.random() < 0.2:
        contact.append(f"CPR: {person.cpr[:6]}-{person.cpr[6:]}")
    headings = {k: rng.choice(v) for k, v in HEADINGS[lang].items()}
    summary = " ".join([cv.summary] * 3) if long else cv.summary
    return Doc(
        name="",
        lang=lang,
        contact=contact,
        headline=cv.headline,
        summary=summary,
        experiences=experiences,
        educations=educations,
        skills=list(cv.skills),
        languages=[{"language": x.language, "level": x.level} for x in cv.languages],
        licences=list(cv.driving_licences),
        desired=[d.title for d in cv.desired_occupations],
        date_style=rng.choice(DATE_STYLES),
        layout=layout,
        headings=headings,
    )


def write_doc(doc: Doc, folder: Path, rng: random.Random) -> Path:
    if doc.layout.startswith("pdf"):
        path = folder / f"{doc.name}.pdf"
        render_pdf(doc, path, rng)
    else:
        path = folder / f"{doc.name}.docx"
        render_docx(doc, path, rng)
    gold = doc.gold()
    (folder / f"{doc.name}.gold.json").write_text(
        json.dumps(gold, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return path


def build(out: Path, *, seed: int, people: int, documents: int) -> dict[str, int]:
    data = generate(seed, people, today=TODAY, shared_data_dir=None)
    rng = random.Random(seed)
    english = [p for p in data.jobseekers if p.cv.language == "en"]
    danish = [p for p in data.jobseekers if p.cv.language == "da"]
    n_en = min(len(english), documents // 3)
    chosen = english[:n_en] + danish[: documents - n_en]
    rng.shuffle(chosen)
    out.mkdir(parents=True, exist_ok=True)
    layouts = [*DOCX_LAYOUTS, *PDF_LAYOUTS]
    counts: dict[str, int] = {}
    for i, person in enumerate(chosen):
        layout = layouts[i % len(layouts)]
        doc = person_doc(person, rng, layout, long=False)
        doc.name = f"{i:03d}-{doc.lang}-{layout}"
        write_doc(doc, out, rng)
        counts[layout] = counts.get(layout, 0) + 1
    counts["edge"] = write_edge_cases(out)
    counts["blind"] = write_blind_cases(out / "blind")
    long_dir = out / "long"
    long_dir.mkdir(exist_ok=True)
    for i, person in enumerate(chosen[:40]):
        layout = ("plain", "pdf_plain", "two_column", "pdf_two_column")[i % 4]
        doc = person_doc(person, rng, layout, long=True)
        doc.name = f"long-{i:03d}-{layout}"
        write_doc(doc, long_dir, rng)
    counts["long"] = 40
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--documents", type=int, default=60)
    args = parser.parse_args(argv)
    counts = build(args.outdir, seed=args.seed, people=args.people, documents=args.documents)
    print(json.dumps({"outdir": str(args.outdir), **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
