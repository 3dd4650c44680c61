"""Occupation normalisation: a free-text job title or CV line → ranked ESCO occupations.

The index holds every label of every ESCO occupation as its own row: the Danish and English
preferred labels, all alternative labels and (optionally) the labels of the occupation's ISCO-08
unit group. Two signals score each row:

* **dense**: cosine similarity of multilingual-e5 embeddings (query ``query: …`` against labels
  ``passage: …``), which carries meaning across languages and paraphrases;
* **lexical**: cosine similarity of character n-gram TF-IDF vectors of a normalised key
  (:func:`lexical_key`), which tolerates typos, inflection and compound spelling.

Both sides see normalised text (:func:`clean_title`, :func:`lexical_key`: abbreviations, gender
markers, gendered and compound forms). A concept scores the best of its rows — for the dense
signal a soft maximum of its three best rows, a small bonus for several matching labels — so one
precise label match is worth more than a long concept document that mentions everything. The two
concept scores are standardised per query and added, the lexical one at half weight, because the
raw scores live on incomparable scales (e5 cosines are compressed around 0.8, TF-IDF cosines
spread over 0–1). docs/matching.md gives the measured contribution of each part.

The encoder is passed in (duck-typed, see :class:`Encoder`); this module never loads a model.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.errors import ImportFormatError, ValidationError
from matching.models import Occupation
from matching.ranking.occupations.titles import clean_title, lexical_key, simple_key, validate_title
from matching.ranking.taxonomy.builtin import BUILTIN_URI_PREFIX
from matching.ranking.taxonomy.parsers import (
    OccupationRecord,
    detect_format,
    parse_esco_csv,
    parse_esco_tsv,
)

VARIANTS: tuple[str, ...] = ("hybrid", "dense", "lexical")


FUSIONS: tuple[str, ...] = ("zscore", "rrf", "sum")


DEFAULT_TOP_K = 10


MAX_TOP_K = 100


# Fusion: each signal's concept scores are standardised per query (z-scores), so the compressed
# e5 cosines (≈0.75–0.95) and the spread-out TF-IDF cosines (0–1) count on one scale. The
# lexical signal is the weaker one and an exact n-gram match gives it an outlier z-score, so
# it gets half the dense signal's weight.
LEXICAL_WEIGHT = 0.5


# Label aggregation (dense): a concept scores the soft maximum (log-sum-exp at temperature
# LABEL_TEMPERATURE, in cosine units) of its LABEL_BONUS_TOP best label scores. One matching
# label at cosine s scores s; three at s score s + 0.02 · ln 3 ≈ s + 0.022. The cap keeps a
# concept with thirty alternative labels from collecting a bonus out of near-misses.
LABEL_BONUS_TOP = 3


LABEL_TEMPERATURE = 0.02


# Reciprocal rank fusion constant (Cormack et al. 2009), for the rrf fusion.
RRF_K = 60


# ISCO group support: the share of the best group mate's positive fused score a concept
# receives. Off by default: at 0.1 it moved MRR by less than half a point either way on the
# development sets (docs/matching.md).
ISCO_SUPPORT_WEIGHT = 0.0


# Character n-gram lengths of the lexical signal (within words, padded by spaces).
NGRAM_RANGE = (2, 4)


# Queries scored per matrix product: bounds memory to QUERY_BATCH × labels × 4 bytes.
QUERY_BATCH = 256


class Encoder(Protocol):
    """What the index needs of an encoder (see ``embeddings.encoder``)."""

    model_version: str
    dimension: int

    def encode(self, texts: list[str], kind: Literal["query", "passage"]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        ...


def load_taxonomy(path: Any) -> list[OccupationRecord]:
    """ESCO concepts from an ESCO TSV file or the official ESCO CSV export (file or folder).

    Raises :class:`ImportFormatError` for any other file (a DISCO-08 file has no ESCO concepts).
    """
    fmt = detect_format(path)
    if fmt == "esco_tsv":
        return parse_esco_tsv(path)
    if fmt == "esco_csv":
        return parse_esco_csv(path)
    raise ImportFormatError(
        f"{path}: a {fmt} file holds no ESCO occupations; give the ESCO TSV or CSV export"
    )


def records_from_database(session: Session) -> list[OccupationRecord]:
    """The occupations and ISCO groups imported into the database, as taxonomy records.

    The small built-in demo taxonomy is a stand-in for machines without ESCO: once another
    taxonomy is imported its concepts are left out, so suggestions are not doubled.
    """
    rows = list(session.scalars(select(Occupation).order_by(Occupation.id)))
    if any(
        row.concept_type == "Occupation" and not row.uri.startswith(BUILTIN_URI_PREFIX)
        for row in rows
    ):
        rows = [row for row in rows if not row.uri.startswith(BUILTIN_URI_PREFIX)]
    return [
        OccupationRecord(
            uri=row.uri,
            concept_type=row.concept_type,
            isco_code=row.isco_code,
            preferred_label_en=row.preferred_label_en,
            preferred_label_da=row.preferred_label_da,
            alt_labels_en=tuple(row.alt_labels_en or ()),
            alt_labels_da=tuple(row.alt_labels_da or ()),
            description_en=row.description_en or "",
        )
        for row in rows
    ]


@dataclass(frozen=True)
class IndexConfig:
    """The parts of the method; each can be switched off to measure what it contributes."""

    normalise: bool = True  # clean_title for the dense query, lexical_key for the lexical side
    alt_labels: bool = True  # alternative labels as rows (else preferred labels only)
    label_bonus: bool = True  # dense: soft maximum of the best labels (else the plain maximum)
    isco_labels: bool = True  # ISCO unit group labels as extra rows of their occupations
    isco_support: float = ISCO_SUPPORT_WEIGHT  # 0 switches group support off
    fusion: str = "zscore"  # zscore | rrf | sum (raw score sum, for comparison)
    lexical_weight: float = LEXICAL_WEIGHT

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if self.isco_support < 0 or self.lexical_weight < 0:
            raise ValueError("isco_support and lexical_weight must not be negative")


# Parts that ``config_without`` can switch off, by the name the evaluation command uses.
ABLATIONS: dict[str, dict[str, Any]] = {
    "normalisation": {"normalise": False},
    "alt-labels": {"alt_labels": False},
    "label-bonus": {"label_bonus": False},
    "isco-labels": {"isco_labels": False},
    "fusion-weight": {"lexical_weight": 1.0},
}


def config_without(
    parts: Iterable[str], *, fusion: str = "zscore", isco_support: float = ISCO_SUPPORT_WEIGHT
) -> IndexConfig:
    """The default configuration with the named parts (keys of :data:`ABLATIONS`) switched off,
    and the given fusion and ISCO support weight."""
    changes: dict[str, Any] = {"fusion": fusion, "isco_support": isco_support}
    for part in parts:
        if part not in ABLATIONS:
            raise ValueError(f"unknown part {part!r}; expected one of {', '.join(ABLATIONS)}")
        changes.update(ABLATIONS[part])
    return IndexConfig(**changes)


@dataclass(frozen=True)
class OccupationMatch:
    """One ranked suggestion: an ESCO occupation, its ISCO-08 code and why it was chosen."""

    rank: int
    score: float
    uri: str
    isco_code: str | None
    label_da: str | None
    label_en: str
    matched_label: str

    @property
    def label(self) -> str:
        """The Danish preferred label, the English one where there is none."""
        return self.label_da or self.label_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's ``--json``)."""
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "isco_code": self.isco_code,
            "label": self.label,
            "label_da": self.label_da,
            "label_en": self.label_en,
            "uri": self.uri,
            "matched_label": self.matched_label,
        }


@dataclass(frozen=True)
class BuildStats:
    """What building an index cost: concepts, label rows and seconds per part."""

    concepts: int
    labels: int
    dense_seconds: float
    lexical_seconds: float
    model_version: str | None

    def summary(self) -> str:
        """One line for the CLI."""
        model = f", dense {self.dense_seconds:.1f}s ({self.model_version})"
        return (
            f"{self.concepts} occupations, {self.labels} labels; lexical "
            f"{self.lexical_seconds:.1f}s" + (model if self.model_version else "")
        )


@dataclass(frozen=True)
class _Concept:
    uri: str
    isco_code: str | None
    label_da: str | None
    label_en: str


@dataclass
class _Scores:
    """Concept scores of a batch of queries (rows) for the requested variant."""

    score: np.ndarray  # (queries, concepts) float32, higher is better
    dense: np.ndarray | None = None  # label-level scores, kept to name the matched label
    lexical: np.ndarray | None = None


class OccupationIndex:
    """Ranked ESCO occupations for free-text titles; build once with :meth:`build`."""

    def __init__(
        self,
        concepts: list[_Concept],
        label_texts: list[str],
        label_concept: np.ndarray,
        label_vectors: np.ndarray | None,
        vectorizer: TfidfVectorizer,
        label_tfidf: Any,
        encoder: Encoder | None,
        config: IndexConfig,
        stats: BuildStats,
    ) -> None:
        """Use :meth:`build`."""
        self._concepts = concepts
        self._label_texts = label_texts
        self._label_concept = label_concept
        # Rows are grouped by concept: concept c owns rows offsets[c]:offsets[c + 1].
        self._offsets = np.searchsorted(label_concept, np.arange(len(concepts) + 1))
        self._label_vectors = label_vectors
        self._vectorizer = vectorizer
        self._label_tfidf_t = label_tfidf.T.tocsr()  # (features, labels) for query @ labels
        self._encoder = encoder
        self.config = config
        self.stats = stats
        # ISCO unit groups: concepts sorted by group, with the group boundaries, for support.
        codes = [c.isco_code or "" for c in concepts]
        self._group_order = np.array(sorted(range(len(codes)), key=lambda i: codes[i]), np.int64)
        sorted_codes = [codes[i] for i in self._group_order]
        starts = [
            i for i in range(len(sorted_codes)) if i == 0 or sorted_codes[i - 1] != sorted_codes[i]
        ]
        self._group_starts = np.array(starts, np.int64)
        group_of_sorted = np.repeat(
            np.arange(len(starts)), np.diff(np.append(self._group_starts, len(codes)))
        )
        self._group_of = np.empty(len(codes), np.int64)
        self._group_of[self._group_order] = group_of_sorted

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        records: Iterable[OccupationRecord],
        encoder: Encoder | None,
        config: IndexConfig | None = None,
    ) -> OccupationIndex:
        """Index the occupations among ``records`` (ISCO groups only lend their labels).

        ``encoder`` may be None: the index then offers the lexical variant only. Label vectors
        are encoded as passages in one call, so a caching encoder computes each label once per
        model version.
        """
        config = config or IndexConfig()
        records = list(records)
        group_labels = {
            r.isco_code: [r.preferred_label_da or "", r.preferred_label_en]
            for r in records
            if r.concept_type == "ISCOGroup" and r.isco_code and len(r.isco_code) == 4
        }
        concepts: list[_Concept] = []
        texts: list[str] = []
        owners: list[int] = []
        for record in records:
            if record.concept_type != "Occupation":
                continue
            labels = [record.preferred_label_da or "", record.preferred_label_en]
            if config.alt_labels:
                labels += [*record.alt_labels_da, *record.alt_labels_en]
            if config.isco_labels and record.isco_code in group_labels:
                labels += group_labels[record.isco_code]
            seen: dict[str, str] = {}
            for label in labels:
                seen.setdefault(simple_key(label), label)
            seen.pop("", None)
            if not seen:  # nothing to match on (cannot come from a validated file)
                continue
            texts.extend(seen.values())
            owners.extend([len(concepts)] * len(seen))
            concepts.append(
                _Concept(
                    uri=record.uri,
                    isco_code=record.isco_code,
                    label_da=record.preferred_label_da,
                    label_en=record.preferred_label_en,
                )
            )
        if not concepts:
            raise ValidationError("Taksonomien indeholder ingen erhverv (ESCO-occupations).")

        started = time.perf_counter()
        keys = [lexical_key(t) if config.normalise else simple_key(t) for t in texts]
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAM_RANGE,
            lowercase=False,  # the keys are case-folded already
            sublinear_tf=True,
            dtype=np.float32,
        )
        label_tfidf = vectorizer.fit_transform(keys)
        lexical_seconds = time.perf_counter() - started

        started = time.perf_counter()
        vectors = None
        if encoder is not None:
            unique = list(dict.fromkeys(texts))
            position = {text: i for i, text in enumerate(unique)}
            unique_vectors = np.asarray(encoder.encode(unique, "passage"), dtype=np.float32)
            vectors = unique_vectors[[position[t] for t in texts]]
        dense_seconds = time.perf_counter() - started

        stats = BuildStats(
            concepts=len(concepts),
            labels=len(texts),
            dense_seconds=dense_seconds,
            lexical_seconds=lexical_seconds,
            model_version=encoder.model_version if encoder is not None else None,
        )
        return cls(
            concepts,
            texts,
            np.asarray(owners, dtype=np.int64),
            vectors,
            vectorizer,
            label_tfidf,
            encoder,
            config,
            stats,
        )

    # --- querying -------------------------------------------------------------------------------

    @property
    def variants(self) -> tuple[str, ...]:
        """The variants this index can answer (dense needs an encoder)."""
        return VARIANTS if self._label_vectors is not None else ("lexical",)

    def __len__(self) -> int:
        return len(self._concepts)

    def suggest(
        self, title: str, *, top: int = DEFAULT_TOP_K, variant: str = "hybrid"
    ) -> list[OccupationMatch]:
        """The ``top`` best occupations for one title (raises ValidationError for bad input)."""
        return self.search([title], top=top, variant=variant)[0]

    def search(
        self, titles: Sequence[str], *, top: int = DEFAULT_TOP_K, variant: str = "hybrid"
    ) -> list[list[OccupationMatch]]:
        """The ``top`` best occupations for each title, in input order (batched scoring)."""
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
        if variant not in self.variants:
            raise ValueError(f"the {variant} variant needs an encoder; this index has none")
        if not 1 <= top <= MAX_TOP_K:
            raise ValidationError(f"Antal forslag skal være mellem 1 og {MAX_TOP_K}.")
        titles = [validate_title(t) for t in titles]
        top = min(top, len(self._concepts))
        results: list[list[OccupationMatch]] = []
        for start in range(0, len(titles), QUERY_BATCH):
            batch = titles[start : start + QUERY_BATCH]
            scores = self._score(batch, variant)
            results.extend(self._matches(scores, row, top, variant) for row in range(len(batch)))
        return results

    def _score(self, titles: list[str], variant: str) -> _Scores:
        out = _Scores(score=np.empty(0))
        config = self.config
        if variant in ("dense", "hybrid"):
            assert self._encoder is not None and self._label_vectors is not None
            queries = [clean_title(t) if config.normalise else t for t in titles]
            q = np.asarray(self._encoder.encode(queries, "query"), dtype=np.float32)
            out.dense = q @ self._label_vectors.T
        if variant in ("lexical", "hybrid"):
            keys = [lexical_key(t) if config.normalise else simple_key(t) for t in titles]
            q = self._vectorizer.transform(keys)
            out.lexical = np.asarray((q @ self._label_tfidf_t).todense(), dtype=np.float32)
        dense = lexical = None
        if out.dense is not None:
            dense = (
                self._soft_max(out.dense) if config.label_bonus else self._concept_max(out.dense)
            )
        if out.lexical is not None:
            lexical = self._concept_max(out.lexical)
        if dense is None or lexical is None:
            out.score = dense if dense is not None else lexical
            return out
        weight = config.lexical_weight
        if config.fusion == "zscore":
            fused = _standardise(dense) + weight * _standardise(lexical)
        elif config.fusion == "rrf":
            # A concept with no shared n-gram gets nothing from the lexical side.
            fused = _rrf(dense) + weight * np.where(lexical > 0, _rrf(lexical), 0.0)
        else:
            fused = dense + weight * lexical
        if config.isco_support:
            fused = self._isco_support(fused)
        out.score = fused.astype(np.float32)
        return out

    def _concept_max(self, label_scores: np.ndarray) -> np.ndarray:
        """Each concept's best label score (rows are grouped by concept)."""
        return np.maximum.reduceat(label_scores, self._offsets[:-1], axis=1)

    def _soft_max(self, label_scores: np.ndarray) -> np.ndarray:
        """Log-sum-exp of each concept's LABEL_BONUS_TOP best label scores (see the constants)."""
        offsets, counts = self._offsets[:-1], np.diff(self._offsets)
        best = self._concept_max(label_scores)
        total = np.zeros_like(best)
        taken = np.zeros(best.shape, dtype=np.int64)
        current, remaining = best, label_scores
        # Peel off one score level per pass; labels tied at a level all count (up to the cap).
        for _ in range(LABEL_BONUS_TOP):
            at_level = (remaining >= np.repeat(current, counts, axis=1)) & np.isfinite(remaining)
            used = np.minimum(np.add.reduceat(at_level, offsets, axis=1), LABEL_BONUS_TOP - taken)
            with np.errstate(invalid="ignore"):  # exhausted concepts: current is -inf
                weight = np.nan_to_num(np.exp((current - best) / LABEL_TEMPERATURE))
            total += used * weight
            taken += used
            remaining = np.where(at_level, -np.inf, remaining)
            current = self._concept_max(remaining)
        return best + LABEL_TEMPERATURE * np.log(total)

    def _isco_support(self, scores: np.ndarray) -> np.ndarray:
        """Add a share of the best *other* concept's positive score in the same unit group.

        Occupations of one ISCO unit group are near-synonyms for many titles (a
        "lagermedarbejder" is a warehouse worker and a stock clerk); a candidate whose group
        mates also score well is more likely right than an isolated one with the same score.
        """
        ordered = scores[:, self._group_order]
        starts = self._group_starts
        group_of = self._group_of[self._group_order]
        first = np.maximum.reduceat(ordered, starts, axis=1)
        is_first = ordered >= first[:, group_of]
        second = np.maximum.reduceat(np.where(is_first, -np.inf, ordered), starts, axis=1)
        support_sorted = np.where(is_first, second[:, group_of], first[:, group_of])
        support = np.empty_like(scores)
        support[:, self._group_order] = support_sorted
        return scores + self.config.isco_support * np.maximum(support, 0.0)

    def _matches(self, scores: _Scores, row: int, top: int, variant: str) -> list[OccupationMatch]:
        values = scores.score[row]
        best = np.argpartition(-values, top - 1)[:top]
        best = best[np.lexsort((best, -values[best]))]  # score descending, ties by position
        matches = []
        for rank, concept_index in enumerate(best, start=1):
            concept = self._concepts[concept_index]
            matches.append(
                OccupationMatch(
                    rank=rank,
                    score=float(values[concept_index]),
                    uri=concept.uri,
                    isco_code=concept.isco_code,
                    label_da=concept.label_da,
                    label_en=concept.label_en,
                    matched_label=self._matched_label(scores, row, int(concept_index), variant),
                )
            )
        return matches

    def _matched_label(self, scores: _Scores, row: int, concept: int, variant: str) -> str:
        """The concept's label that scored best (dense signal first, as it reads meaning)."""
        start, end = self._offsets[concept], self._offsets[concept + 1]
        label_scores = scores.dense if scores.dense is not None else scores.lexical
        if variant == "lexical":
            label_scores = scores.lexical
        assert label_scores is not None
        return self._label_texts[start + int(np.argmax(label_scores[row, start:end]))]


def _standardise(scores: np.ndarray) -> np.ndarray:
    """Per-row z-scores; a row without spread (no concept shares an n-gram) becomes zeros."""
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.divide(scores - mean, std, out=np.zeros_like(scores), where=std > 0)


def _rrf(scores: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """1 / (k + rank) per concept, ranks counted from 1 within each row (ties by position)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)
    return 1.0 / (k + ranks)
