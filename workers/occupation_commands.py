"""``jobbro occupations …`` and ``jobbro eval …``: occupation normalisation from the command line.

The commands wire the domain index (:mod:`matching.ranking.occupations.normaliser`) to the app's
encoder, wrapped in the on-disk embedding cache so that taxonomy labels are encoded once per
model version.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from matching.core.settings import Settings
from matching.ranking.occupations.normaliser import (
    ABLATIONS,
    DEFAULT_TOP_K,
    FUSIONS,
    MAX_TOP_K,
    VARIANTS,
    IndexConfig,
    OccupationIndex,
    config_without,
    load_taxonomy,
    records_from_database,
)
from matching.ranking.occupations.titles import validate_title
from matching.ranking.taxonomy.parsers import OccupationRecord

CACHE_SUBDIR = "cache"  # under JOBBRO_DATA_DIR, shared with the other embedding jobs
EVAL_KEYS = ("map", "mrr", "success@1", "success@5", "success@10", "ndcg@10", "n")


def _settings() -> Settings:
    from workers.cli import _settings as cli_settings  # late: workers.cli imports this module

    return cli_settings()


def _encoder(settings: Settings) -> Any:
    """The app's encoder (JOBBRO_ENCODER) behind the embedding cache."""
    from embeddings.encoder import CachedEncoder
    from workers.runtime import load_encoder

    return CachedEncoder(load_encoder(settings), settings.data_dir / CACHE_SUBDIR)


def _database_records(settings: Settings) -> list[OccupationRecord]:
    """The taxonomy imported into the database; a clear error if there is none."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from matching.core.db import make_session_factory, session_scope
    from workers.cli import _engine

    engine = _engine(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            records = records_from_database(session)
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            "the database has no taxonomy tables; run `jobbro db upgrade` and "
            "`jobbro taxonomy import FILE`, or pass --taxonomy"
        ) from exc
    finally:
        engine.dispose()
    if not any(r.concept_type == "Occupation" for r in records):
        raise click.ClickException(
            "the database holds no occupations; run `jobbro taxonomy import FILE` "
            "(or `jobbro taxonomy builtin`), or pass --taxonomy"
        )
    return records


def _build(
    settings: Settings, records: list[OccupationRecord], variant: str, config: IndexConfig
) -> OccupationIndex:
    """An index for ``variant``: the lexical variant needs no model, so none is loaded."""
    encoder = None if variant == "lexical" else _encoder(settings)
    return OccupationIndex.build(records, encoder, config)


# --- jobbro occupations ---------------------------------------------------------------------


@click.group("occupations")
def occupations() -> None:
    """Occupation normalisation: job titles → ESCO occupations with ISCO-08 codes."""


@occupations.command("suggest")
@click.argument("title")
@click.option(
    "--top", type=click.IntRange(1, MAX_TOP_K), default=DEFAULT_TOP_K, show_default=True,
    help="Number of occupations to show.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.option(
    "--variant", type=click.Choice(VARIANTS), default="hybrid", show_default=True,
    help="Scoring: both signals fused, the embedding model only, or character n-grams only.",
)  # fmt: skip
@click.option(
    "--taxonomy", "taxonomy_path", type=click.Path(exists=True, path_type=Path), default=None,
    help="ESCO TSV file or CSV export (default: the taxonomy imported into the database).",
)  # fmt: skip
def suggest(title: str, top: int, as_json: bool, variant: str, taxonomy_path: Path | None) -> None:
    """Rank ESCO occupations for TITLE (a job title or CV line, Danish or English)."""
    title = validate_title(title)  # before loading anything
    settings = _settings()
    records = (
        load_taxonomy(taxonomy_path) if taxonomy_path is not None else _database_records(settings)
    )
    index = _build(settings, records, variant, IndexConfig())
    matches = index.suggest(title, top=top, variant=variant)
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
        return
    for match in matches:
        click.echo(
            f"{match.rank:>3}  {match.score:8.4f}  {match.isco_code or '-':<4}  "
            f"{match.label:<50}  {match.uri}"
        )


# --- jobbro eval ----------------------------------------------------------------------------


@click.group("eval")
def evaluation() -> None:
    """Evaluation commands: metrics on labelled development sets."""


@evaluation.command("occupations")
@click.option(
    "--taxonomy", "taxonomy_path", type=click.Path(exists=True, path_type=Path), required=True,
    help="ESCO TSV file or CSV export to index.",
)  # fmt: skip
@click.option(
    "--queries", "queries_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True, help="query_id<TAB>text file.",
)  # fmt: skip
@click.option(
    "--qrels", "qrels_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True, help="query_id<TAB>conceptUri file (or trec qrels).",
)  # fmt: skip
@click.option(
    "--run", "run_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None, help="Also write the ranking as a trec run file.",
)  # fmt: skip
@click.option("--variant", type=click.Choice(VARIANTS), default="hybrid", show_default=True)
@click.option(
    "--without", "without", multiple=True, type=click.Choice(sorted(ABLATIONS)),
    help="Switch a part of the method off (repeatable), to measure its contribution.",
)  # fmt: skip
@click.option(
    "--fusion", type=click.Choice(FUSIONS), default="zscore", show_default=True,
    help="How the hybrid variant combines the two signals.",
)  # fmt: skip
@click.option(
    "--isco-support", type=click.FloatRange(min=0.0), default=0.0, show_default=True,
    help="Weight of ISCO unit group support in the hybrid variant (0: off).",
)  # fmt: skip
def eval_occupations(
    taxonomy_path: Path,
    queries_path: Path,
    qrels_path: Path,
    run_path: Path | None,
    variant: str,
    without: tuple[str, ...],
    fusion: str,
    isco_support: float,
) -> None:
    """Rank the taxonomy for every query and print MAP, MRR, success@k, nDCG@10 as JSON."""
    from matching.ranking.occupations.evaluation import (
        load_eval_set,
        run_index,
        score_run,
        write_trec_run,
    )

    eval_set = load_eval_set(queries_path, qrels_path)  # fail on bad input before the model
    records = load_taxonomy(taxonomy_path)
    known = {r.uri for r in records if r.concept_type == "Occupation"}
    missing = sum(1 for uris in eval_set.qrels.values() for uri in uris if uri not in known)
    settings = _settings()
    config = config_without(without, fusion=fusion, isco_support=isco_support)
    started = time.perf_counter()
    index = _build(settings, records, variant, config)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run = run_index(index, eval_set.queries, variant=variant)
    run_seconds = time.perf_counter() - started
    metrics = score_run(run, eval_set.qrels)
    if run_path is not None:
        write_trec_run(run_path, run, tag=f"jobbro-{variant}")
    per_query_ms = 1000 * run_seconds / max(len(eval_set.queries), 1)
    refused = sum(1 for hits in run.values() if not hits)
    click.echo(
        f"index: {index.stats.summary()} (built in {build_seconds:.1f}s); "
        f"{len(eval_set.queries)} queries in {run_seconds:.1f}s ({per_query_ms:.1f} ms/query)"
        + (f"; {missing} judged concept(s) not in the taxonomy" if missing else "")
        + (f"; {refused} query(ies) refused as titles, counted as not found" if refused else ""),
        err=True,
    )
    result: dict[str, Any] = {key: metrics[key] for key in EVAL_KEYS}
    result["variant"] = variant
    click.echo(json.dumps(result))


@evaluation.command("make-dev-sets")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--shared-data", "shared_data", type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None, help="Reference data folder (default: JOBBRO_SHARED_DATA_DIR or ../shared/data).",
)  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the Danish sample.")
@click.option(
    "--size", type=click.IntRange(min=1), default=1000, show_default=True,
    help="Danish alternative labels to hold out.",
)  # fmt: skip
def make_dev_sets(outdir: Path, shared_data: Path | None, seed: int, size: int) -> None:
    """Write the English (en/) and Danish held-out (da/) development sets into OUTDIR."""
    from matching.ranking.occupations.evaluation import (
        ESCO_TSV_FILE,
        TITLES_CSV_FILE,
        make_danish_dev_set,
        make_english_dev_set,
    )

    folder = shared_data or _settings().shared_data_dir
    if folder is None:
        raise click.ClickException(
            "no reference data folder: pass --shared-data or set JOBBRO_SHARED_DATA_DIR"
        )
    taxonomy = folder / "esco" / ESCO_TSV_FILE
    titles = folder / "jobtitles_en" / TITLES_CSV_FILE
    for needed in (taxonomy, titles):
        if not needed.is_file():
            raise click.ClickException(f"{needed} is missing from the reference data folder")
    english = make_english_dev_set(titles, taxonomy, outdir / "en")
    click.echo(f"en: {english.summary()}")
    try:
        danish = make_danish_dev_set(taxonomy, outdir / "da", size=size, seed=seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--size") from exc
    click.echo(f"da: {danish.summary()}")


def register(cli: click.Group) -> None:
    """Add the ``occupations`` and ``eval`` groups to ``cli`` (merging into an existing
    ``eval`` group if the CLI already has one)."""
    cli.add_command(occupations)
    existing = cli.commands.get(evaluation.name or "eval")
    if isinstance(existing, click.Group) and existing is not evaluation:
        for command in evaluation.commands.values():
            existing.add_command(command)
    else:
        cli.add_command(evaluation)
