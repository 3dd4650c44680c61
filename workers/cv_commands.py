"""``jobbro cv …``: CV documents from the command line.

``jobbro cv parse FILE`` reads a CV file (DOCX, PDF with text, ODT, TXT) into a draft CV with
:func:`matching.people.documents.parse_document` and, unless ``--no-normalise``, gives every job
title and job goal the best occupation of the occupation index, as ``jobbro occupations
suggest`` ranks them (the top suggestion when its score reaches :data:`MIN_SCORES`, else none).
The file is checked and read before any model is loaded. A refused file exits with code 2 and
the Danish message on stderr. The JSON fields are described in docs/cv-parsing.md.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from matching.people.documents import (
    MAX_BYTES,
    DocumentRefused,
    ParsedDocument,
    TitleMatch,
    apply_normalisation,
    parse_document,
)

EXIT_REFUSED = 2
# The least score of a top suggestion that is kept, per variant: lexical is the TF-IDF cosine
# of character n-grams, dense the e5 cosine, hybrid the fused z-score (docs/cv-parsing.md).
MIN_SCORES = {"lexical": 0.6, "dense": 0.85, "hybrid": 4.0}


class Refused(click.ClickException):
    """A refused CV file: the Danish message, exit code 2."""

    exit_code = EXIT_REFUSED


def title_normaliser(index: Any, variant: str, min_score: float) -> Any:
    """A ``normalise`` function for :func:`parse_document` over an ``OccupationIndex``:
    one batched search, the top suggestion at or above ``min_score``, else None."""
    from matching.core.errors import ValidationError
    from matching.ranking.occupations.titles import validate_title

    def normalise(titles: list[str]) -> list[TitleMatch | None]:
        usable: list[int] = []
        for i, title in enumerate(titles):
            try:
                validate_title(title)
            except ValidationError:
                continue
            usable.append(i)
        found: list[TitleMatch | None] = [None] * len(titles)
        if not usable:
            return found
        ranked = index.search([titles[i] for i in usable], top=1, variant=variant)
        for i, matches in zip(usable, ranked, strict=True):
            if matches and matches[0].score >= min_score:
                best = matches[0]
                found[i] = TitleMatch(best.label, best.isco_code, best.uri)
        return found

    return normalise


def _print_draft(document: ParsedDocument) -> None:
    cv = document.cv
    click.echo(f"type:      {document.media_type}")
    click.echo(f"headline:  {cv.headline}")
    if cv.summary:
        click.echo(f"summary:   {cv.summary[:200]}{'…' if len(cv.summary) > 200 else ''}")
    click.echo("experience:")
    for e in cv.experiences:
        years = f"{e.start_year or '?'}–{e.end_year or 'nu'}"
        occupation = f"  [{e.isco_code or '-'} {e.occupation_label}]" if e.occupation_label else ""
        click.echo(
            f"  {years:<10} {e.title}" + (f", {e.employer}" if e.employer else "") + occupation
        )
    click.echo("education:")
    for ed in cv.educations:
        place = f", {ed.institution}" if ed.institution else ""
        click.echo(f"  {ed.completed_year or '':<10} {ed.title}{place}")
    click.echo(f"skills:    {', '.join(cv.skills)}")
    languages = ", ".join(f"{x.language} ({x.level or '?'})" for x in cv.languages)
    click.echo(f"languages: {languages}")
    click.echo(f"licences:  {', '.join(cv.driving_licences)}")
    goals = ", ".join(
        d.title + (f" [{d.isco_code or '-'} {d.occupation_label}]" if d.occupation_label else "")
        for d in cv.desired_occupations
    )
    click.echo(f"job goals: {goals}")
    for warning in document.warnings:
        click.echo(f"warning:   {warning}")


@click.group("cv")
def cv() -> None:
    """CV documents: read a CV file into a draft CV."""


@cv.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the draft as JSON.")
@click.option(
    "--no-normalise", "no_normalise", is_flag=True,
    help="Do not look up occupations (no database, no model).",
)  # fmt: skip
@click.option(
    "--variant", type=click.Choice(("hybrid", "dense", "lexical")), default="hybrid",
    show_default=True, help="Occupation scoring, as for `jobbro occupations suggest`.",
)  # fmt: skip
@click.option(
    "--taxonomy", "taxonomy_path", type=click.Path(exists=True, path_type=Path), default=None,
    help="ESCO TSV file or CSV export (default: the taxonomy imported into the database).",
)  # fmt: skip
def parse(
    file: Path, as_json: bool, no_normalise: bool, variant: str, taxonomy_path: Path | None
) -> None:
    """Read the CV in FILE (DOCX, PDF with text, ODT or TXT) and print the draft."""
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # repairs of damaged PDFs: noise
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)  # a larger file is refused without reading it all
    try:
        document = parse_document(data, file.name)
    except DocumentRefused as exc:
        raise Refused(exc.message_da) from None
    if not no_normalise:
        from matching.ranking.occupations.normaliser import IndexConfig, load_taxonomy
        from workers.occupation_commands import _build, _database_records, _settings

        settings = _settings()
        records = (
            load_taxonomy(taxonomy_path)
            if taxonomy_path is not None
            else _database_records(settings)
        )
        index = _build(settings, records, variant, IndexConfig())
        apply_normalisation(document.cv, title_normaliser(index, variant, MIN_SCORES[variant]))
    if as_json:
        click.echo(json.dumps(document.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_draft(document)


def register(cli: click.Group) -> None:
    """Add the ``cv`` group to ``cli``."""
    cli.add_command(cv)
