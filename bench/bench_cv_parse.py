"""Quality and speed of CV document parsing on the synthetic development set.

    python bench/bench_cv_parse.py [DEVSET] [--runs 5] [--json] [--by-layout]

DEVSET defaults to var/cv-devset and is written by bench/cv_devset.py first when missing.
Quality: field-level precision and recall, micro-averaged over the documents, of experience
titles, employers, experience years (start, end), education titles, institutions and years,
skills, languages with levels, driving licences and job goals (case, spacing and end
punctuation ignored; multisets per document), headline accuracy, and a check that no contact
detail of the document (e-mail, phone, CPR) reaches the draft. Speed: parse time (file bytes
to draft, no normalisation) of the three-page documents in DEVSET/long, p50 and p95 per type.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from matching.people.documents import DocumentRefused, parse_document  # noqa: E402

DEFAULT_DEVSET = ROOT / "var" / "cv-devset"
FIELDS = (
    "experience_titles",
    "employers",
    "experience_years",
    "education_titles",
    "institutions",
    "education_years",
    "skills",
    "languages",
    "licences",
    "desired",
)


def norm(text: Any) -> str:
    text = str(text or "").casefold()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .,;:–-")


def items(cv: dict[str, Any]) -> dict[str, list[Any]]:
    exps, edus = cv.get("experiences", []), cv.get("educations", [])
    return {
        "experience_titles": [norm(e["title"]) for e in exps],
        "employers": [norm(e["employer"]) for e in exps if e.get("employer")],
        "experience_years": [(e["start_year"], e["end_year"]) for e in exps],
        "education_titles": [norm(e["title"]) for e in edus],
        "institutions": [norm(e["institution"]) for e in edus if e.get("institution")],
        "education_years": [e["completed_year"] for e in edus if e.get("completed_year")],
        "skills": [norm(s) for s in cv.get("skills", [])],
        "languages": [(norm(x["language"]), norm(x["level"])) for x in cv.get("languages", [])],
        "licences": [norm(x) for x in cv.get("driving_licences", [])],
        "desired": [norm(d["title"]) for d in cv.get("desired_occupations", [])],
    }


def contact_details(path: Path) -> list[str]:
    """E-mails, phone numbers and CPR numbers written in the document (from its text)."""
    from matching.people.documents.files import extract_text

    text = "\n".join(extract_text(path.read_bytes(), path.name).lines)
    found = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    found += [e.split("@")[0][:8] for e in found if "." in e.split("@")[0][:8]]  # cut off
    found += re.findall(r"\b\d{6}-\d{4}\b", text)
    found += [re.sub(r"\D", "", m) for m in re.findall(r"(?<!\d)(?:\d{2} ?){3}\d{2}(?!\d)", text)]
    return [f for f in found if len(f) >= 8]


def quality(devset: Path, by_layout: bool) -> dict[str, Any]:
    counts = {f: Counter() for f in FIELDS}
    per_layout: dict[str, dict[str, Counter]] = {}
    headlines = Counter()
    leaks: list[str] = []
    refused: list[str] = []
    docs = sorted(p for p in devset.iterdir() if p.suffix in (".docx", ".pdf", ".odt", ".txt"))
    for path in docs:
        gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        try:
            parsed = parse_document(path.read_bytes(), path.name)
        except DocumentRefused as exc:
            refused.append(f"{path.name}: {exc.code}")
            continue
        got = parsed.cv.to_dict()
        layout = gold.get("layout", "?")
        layout_counts = per_layout.setdefault(layout, {f: Counter() for f in FIELDS})
        want_items, got_items = items(gold), items(got)
        for f in FIELDS:
            match = sum((Counter(want_items[f]) & Counter(got_items[f])).values())
            for target in (counts[f], layout_counts[f]):
                target["tp"] += match
                target["pred"] += len(got_items[f])
                target["gold"] += len(want_items[f])
        headlines["n"] += 1
        headlines["ok"] += norm(got["headline"]) == norm(gold["headline"])
        dumped = json.dumps(got, ensure_ascii=False)
        digits = re.sub(r"\D", "", dumped)
        for detail in contact_details(path):
            if detail.casefold() in dumped.casefold() or (detail.isdigit() and detail in digits):
                leaks.append(f"{path.name}: {detail}")

    def pr(c: Counter) -> dict[str, float]:
        return {
            "precision": round(c["tp"] / c["pred"], 3) if c["pred"] else 1.0,
            "recall": round(c["tp"] / c["gold"], 3) if c["gold"] else 1.0,
            "gold": c["gold"],
        }

    result: dict[str, Any] = {
        "documents": len(docs),
        "refused": refused,
        "fields": {f: pr(counts[f]) for f in FIELDS},
        "headline_accuracy": round(headlines["ok"] / max(headlines["n"], 1), 3),
        "contact_leaks": leaks,
    }
    if by_layout:
        result["by_layout"] = {
            layout: {f: pr(c[f]) for f in FIELDS} for layout, c in sorted(per_layout.items())
        }
    return result


def speed(folder: Path, runs: int) -> dict[str, Any]:
    from pypdf import PdfReader

    times: dict[str, list[float]] = {}
    pages: list[int] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".docx", ".pdf")):
        data = path.read_bytes()
        if path.suffix == ".pdf":
            pages.append(len(PdfReader(path).pages))
        parse_document(data, path.name)  # warm-up (imports)
        for _ in range(runs):
            started = time.perf_counter()
            parse_document(data, path.name)
            times.setdefault(path.suffix[1:], []).append(1000 * (time.perf_counter() - started))
    out: dict[str, Any] = {"pdf_pages": dict(sorted(Counter(pages).items()))}
    for kind, values in sorted(times.items()):
        values.sort()
        out[kind] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[max(0, int(0.95 * len(values)) - 1)], 1),
            "max_ms": round(values[-1], 1),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--by-layout", action="store_true")
    args = parser.parse_args(argv)
    if not args.devset.is_dir():
        from cv_devset import build

        build(args.devset, seed=7, people=300, documents=60)
    result: dict[str, Any] = {"quality": quality(args.devset, args.by_layout)}
    if (args.devset / "blind").is_dir():
        result["blind"] = quality(args.devset / "blind", False)
    if (args.devset / "long").is_dir():
        result["speed"] = speed(args.devset / "long", args.runs)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for part in ("quality", "blind"):
        q = result.get(part)
        if q is None:
            continue
        print(f"[{part}] {q['documents']} documents, {len(q['refused'])} refused")
        print(f"{'field':<20} {'precision':>9} {'recall':>7} {'gold':>5}")
        for name, v in q["fields"].items():
            print(f"{name:<20} {v['precision']:>9.3f} {v['recall']:>7.3f} {v['gold']:>5}")
        leaks = len(q["contact_leaks"])
        print(f"headline accuracy {q['headline_accuracy']:.3f}; contact leaks {leaks}")
    for kind in ("docx", "pdf"):
        s = result.get("speed", {}).get(kind)
        if s:
            print(f"{kind}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms (n={s['n']})")
    if "speed" in result:
        print(f"pdf pages: {result['speed']['pdf_pages']}")
    if args.by_layout:
        print(json.dumps(result["quality"]["by_layout"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
