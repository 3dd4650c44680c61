"""Ranking vacancies ↔ candidates: hard rules filter, soft signals score, everything explained.

The vector index proposes candidates (semantic neighbours); this module decides. For each
(vacancy, person) pair:

1. **Hard rules** exclude: an inactive person or a CV that is not searchable, a workplace
   beyond the person's own maximum commute, and — for company places — the eligibility rules
   in force on the start date (:mod:`matching.rules.eligibility`).
2. **Soft signals** score, each in [0, 1], combined with the weights in :data:`WEIGHTS`
   (the only place they live; documented in docs/matching.md):
   semantic similarity (calibrated cosine), occupation proximity (ISCO unit/minor/sub-major
   group, or the person's jobmål), skills overlap, commute distance and availability.
3. **Brancheskift**: a vacancy outside every industry the person has worked in is marked, its
   transferable evidence (overlapping skills, related experience) and gaps (requirement phrases
   the CV does not show) are listed, and lists reserve a share of their places for the best
   such suggestions (:attr:`RankingConfig.cross_industry_share`).
4. Every match carries machine-readable ``components`` and Danish ``explanation`` chips.

Protected attributes never reach the score: names, gender, age, ethnicity, languages and
union membership are not features. Age enters only where the law makes it a condition of a
company place (voksenlærling, IGU, løntilskud from day 1 at 50+), through the eligibility rules.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from matching.core.geo import distance_km
from matching.models.enums import VacancyKind
from matching.ranking import textmatch
from matching.rules import eligibility

# Bump when the scoring below changes: stored lists are then recomputed by the nightly job.
RANKING_VERSION = "rank-v1"


@dataclass(frozen=True)
class Weights:
    """Weights of the soft signals; they sum to 1 so a score is in [0, 1]."""

    semantic: float = 0.40
    occupation: float = 0.25
    skills: float = 0.20
    distance: float = 0.10
    availability: float = 0.05

    def as_dict(self) -> dict[str, float]:
        return {
            "semantic": self.semantic,
            "occupation": self.occupation,
            "skills": self.skills,
            "distance": self.distance,
            "availability": self.availability,
        }


WEIGHTS = Weights()

# Occupation proximity by the number of leading ISCO-08 digits shared (4 = same unit group).
ISCO_PROXIMITY = {4: 1.0, 3: 0.6, 2: 0.3, 1: 0.1, 0: 0.0}
SKILLS_FOR_FULL_SCORE = 3  # overlapping skills at which the skills signal is saturated
AVAILABILITY_IN_PROCESS = 0.5  # availability of a person already in an open referral
UNKNOWN_DISTANCE_SCORE = 0.5  # neither rewarded nor punished for a missing postal code
MAX_CHIP_SKILLS = 3
MAX_GAPS = 3
MAX_EVIDENCE_LINES = 2


@dataclass(frozen=True)
class RankingConfig:
    """How lists are built. ``cross_industry_share`` of every list (0–1) is kept for the best
    brancheskift suggestions of people open to changing industry, if they reach
    ``cross_industry_min_score``."""

    weights: Weights = WEIGHTS
    list_size: int = 100
    cross_industry_share: float = 0.2
    cross_industry_min_score: float = 0.25

    def __post_init__(self) -> None:
        if not 0 <= self.cross_industry_share <= 1:
            raise ValueError("cross_industry_share must be between 0 and 1")
        if self.list_size < 1:
            raise ValueError("list_size must be at least 1")
        total = sum(self.weights.as_dict().values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1, not {total}")


@dataclass(frozen=True)
class SemanticCalibration:
    """Maps a cosine to [0, 1]. e5 cosines are compressed (matches ≈ 0.80, others ≈ 0.77), so
    the scale is taken from the index itself: ``low`` is the median cosine of random pairs,
    ``high`` a high percentile of it (see workers.match_service)."""

    low: float = 0.75
    high: float = 0.90

    def score(self, cosine: float) -> float:
        if self.high <= self.low:
            return 0.0
        return min(1.0, max(0.0, (cosine - self.low) / (self.high - self.low)))


# --- features ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experience:
    title: str
    isco_code: str | None = None
    industry: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Desired:
    title: str
    isco_code: str | None = None


@dataclass(frozen=True)
class VacancyFeatures:
    """What the ranker knows about a vacancy or company place."""

    id: int
    kind: VacancyKind
    title: str
    postal_code: str | None
    employer_name: str = ""
    isco_code: str | None = None
    industry: str | None = None
    description: str = ""
    requirements: str = ""
    duration_weeks: int | None = None
    start_date: date | None = None
    weekly_hours: float | None = None
    _stems: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def stems(self) -> frozenset[str]:
        if self._stems is None:
            stems = textmatch.stem_set([self.title, self.description, self.requirements])
            object.__setattr__(self, "_stems", stems)
            return stems
        return self._stems

    def place_facts(self) -> eligibility.PlaceFacts:
        return eligibility.PlaceFacts(
            kind=self.kind,
            employer_name=self.employer_name,
            duration_weeks=self.duration_weeks,
            start_date=self.start_date,
            weekly_hours=self.weekly_hours,
        )


@dataclass(frozen=True)
class CandidateFeatures:
    """What the ranker knows about a person: job-relevant CV data, mobility, rule facts.

    ``person`` (birth date, target group, …) is read only by the eligibility rules.
    """

    id: int
    person: eligibility.PersonFacts
    postal_code: str | None
    max_commute_km: int
    active: bool = True
    searchable: bool = True
    willing_to_switch_industry: bool = True
    skills: tuple[str, ...] = ()
    experiences: tuple[Experience, ...] = ()
    desired: tuple[Desired, ...] = ()
    educations: tuple[str, ...] = ()
    driving_licences: tuple[str, ...] = ()
    open_referrals: int = 0
    _stems: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def stems(self) -> frozenset[str]:
        if self._stems is None:
            texts = [*self.skills, *self.educations, *(d.title for d in self.desired)]
            texts += [f"{e.title} {e.description} {e.industry or ''}" for e in self.experiences]
            texts += [f"kørekort {c}" for c in self.driving_licences]
            stems = textmatch.stem_set(texts)
            object.__setattr__(self, "_stems", stems)
            return stems
        return self._stems

    @property
    def industries(self) -> set[str]:
        return {e.industry for e in self.experiences if e.industry}


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredMatch:
    vacancy_id: int
    jobseeker_id: int
    score: float
    components: dict
    explanation: tuple[str, ...]
    cross_industry: bool
    distance_km: float | None
    open_to_switch: bool = True  # the person is open to changing industry
    eligible: bool = True
    promoted: bool = False  # placed by the brancheskift share, not by score alone


@dataclass(frozen=True)
class Excluded:
    vacancy_id: int
    jobseeker_id: int
    reason: str  # inactive | distance | eligibility
    messages: tuple[str, ...]


@dataclass
class RankedList:
    matches: list[ScoredMatch]
    excluded: Counter[str] = field(default_factory=Counter)
    considered: int = 0


# --- scoring ----------------------------------------------------------------------------------


def shared_isco_digits(a: str | None, b: str | None) -> int:
    """How many leading ISCO-08 digits two codes share (0–4)."""
    if not a or not b:
        return 0
    n = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        n += 1
    return n


def _occupation(
    vacancy: VacancyFeatures, cand: CandidateFeatures
) -> tuple[float, dict, str | None]:
    best = (0, "", None)  # (shared digits, via, title)
    for d in cand.desired:
        digits = shared_isco_digits(vacancy.isco_code, d.isco_code)
        if digits == 4:
            return (
                1.0,
                {"level": 4, "via": "desired", "isco": vacancy.isco_code},
                (f"Jobmål: {d.title}"),
            )
        best = max(best, (digits, "desired", d.title), key=lambda t: t[0])
    for e in cand.experiences:
        digits = shared_isco_digits(vacancy.isco_code, e.isco_code)
        if digits > best[0] or (digits == best[0] and best[1] == "desired" and digits):
            best = (digits, "experience", e.title)
    digits, via, _title = best
    component = {"level": digits, "via": via or None, "isco": vacancy.isco_code}
    code = vacancy.isco_code or ""
    chip = {
        4: f"Samme faggruppe (ISCO {code})",
        3: f"Beslægtet faggruppe (ISCO {code[:3]})",
        2: f"Samme hovedområde (ISCO {code[:2]})",
    }.get(digits)
    return ISCO_PROXIMITY[digits], component, chip


def _cross_industry(vacancy: VacancyFeatures, cand: CandidateFeatures) -> tuple[bool, str | None]:
    """Is the vacancy a brancheskift for the person: outside every industry they worked in
    *and* outside every occupation area (ISCO sub-major group) of their past jobs?

    The same occupation in another industry (a librarian moving from a company to a public
    library) is not a change of trade; a warehouse job for a shop assistant is. Where one of
    the two is unknown, the other decides. Returns the industry switched from, if known.
    """
    if not cand.experiences:
        return False, None
    industries = cand.industries
    new_industry: bool | None = None
    if vacancy.industry and industries:
        new_industry = vacancy.industry not in industries
    groups = {e.isco_code[:2] for e in cand.experiences if e.isco_code}
    new_group: bool | None = None
    if vacancy.isco_code and groups:
        new_group = vacancy.isco_code[:2] not in groups
    known = [flag for flag in (new_industry, new_group) if flag is not None]
    if not known or not all(known):
        return False, None
    latest = next((e.industry for e in cand.experiences if e.industry), None)
    return True, latest if new_industry else None


def _distance(vacancy: VacancyFeatures, cand: CandidateFeatures) -> tuple[float | None, float]:
    km = distance_km(cand.postal_code, vacancy.postal_code)
    if km is None:
        return None, UNKNOWN_DISTANCE_SCORE
    reach = max(cand.max_commute_km, 1)
    return km, max(0.0, 1.0 - km / reach)


def _km_chip(km: float | None) -> str:
    if km is None:
        return "Afstand ukendt (postnummer mangler)"
    if km < 1:
        return "Under 1 km fra bopæl"
    return f"{round(km)} km fra bopæl"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def score_pair(
    vacancy: VacancyFeatures,
    cand: CandidateFeatures,
    cosine: float,
    *,
    day: date,
    calibration: SemanticCalibration,
    config: RankingConfig,
) -> ScoredMatch | Excluded:
    """Score one pair, or say why the hard rules exclude it."""
    if not cand.active or not cand.searchable:
        return Excluded(vacancy.id, cand.id, "inactive", ("Cv'et er ikke søgbart",))
    km, distance_score = _distance(vacancy, cand)
    if km is not None and km > cand.max_commute_km:
        return Excluded(
            vacancy.id,
            cand.id,
            "distance",
            (f"{round(km)} km fra bopæl; højst {cand.max_commute_km} km",),
        )
    rules: eligibility.Eligibility | None = None
    if vacancy.kind is not VacancyKind.ORDINARY:
        rules = eligibility.evaluate(cand.person, vacancy.place_facts(), day)
        if not rules.eligible:
            return Excluded(vacancy.id, cand.id, "eligibility", rules.reasons)

    w = config.weights
    semantic = calibration.score(cosine)
    occupation, occ_component, occ_chip = _occupation(vacancy, cand)
    overlap = [s for s in cand.skills if textmatch.covered(s, vacancy.stems)]
    skills = min(1.0, len(overlap) / SKILLS_FOR_FULL_SCORE)
    availability = 1.0 if cand.open_referrals == 0 else AVAILABILITY_IN_PROCESS
    parts = {
        "semantic": semantic,
        "occupation": occupation,
        "skills": skills,
        "distance": distance_score,
        "availability": availability,
    }
    total = sum(getattr(w, name) * value for name, value in parts.items())

    cross, from_industry = _cross_industry(vacancy, cand)
    gaps = [
        p
        for p in textmatch.requirement_phrases(vacancy.requirements)
        if not textmatch.covered(p, cand.stems)
    ][:MAX_GAPS]

    chips: list[str] = []
    if occ_chip:
        chips.append(occ_chip)
    chips.append(_km_chip(km))
    if overlap:
        chips.append("Overlap: " + ", ".join(overlap[:MAX_CHIP_SKILLS]))
    if cross:
        to = _lower_first(vacancy.industry) if vacancy.industry else "et nyt fagområde"
        if from_industry:
            chips.append(f"Brancheskift: fra {_lower_first(from_industry)} til {to}")
        else:
            chips.append(f"Brancheskift: til {to}")
    chips.append(
        "Cv og stilling ligner hinanden meget"
        if semantic >= 2 / 3
        else "Cv og stilling ligner hinanden noget"
        if semantic >= 1 / 3
        else "Cv og stilling ligner hinanden lidt"
    )
    if rules is not None:
        limit = f", højst {rules.max_weeks} uger" if rules.max_weeks else ""
        chips.append(f"Opfylder reglerne for {_lower_first(vacancy.kind.label_da)}{limit}")
        chips.extend(rules.notes)
    if cand.open_referrals:
        n = cand.open_referrals
        chips.append(
            "Allerede henvist til 1 anden stilling"
            if n == 1
            else f"Allerede henvist til {n} andre stillinger"
        )
    if gaps:
        chips.append("Mangler måske: " + ", ".join(gaps))

    evidence: list[str] = []
    if cross:
        for e in cand.experiences:
            if textmatch.stem_set([e.title, e.description]) & vacancy.stems:
                years = f" ({e.start_year}–{e.end_year or 'nu'})" if e.start_year else ""
                evidence.append(f"{e.title}{years}")
            if len(evidence) >= MAX_EVIDENCE_LINES:
                break

    components = {
        "signals": {name: round(value, 4) for name, value in parts.items()},
        "weights": w.as_dict(),
        "cosine": round(cosine, 4),
        "occupation": occ_component,
        "skills_overlap": overlap,
        "gaps": gaps,
        "distance_km": None if km is None else round(km, 1),
        "max_commute_km": cand.max_commute_km,
        "cross_industry": {
            "cross": cross,
            "from": from_industry,
            "to": vacancy.industry,
            "evidence": evidence,
        },
        "eligibility": None
        if rules is None
        else {
            "rules": [o.rule_id for o in rules.outcomes],
            "max_weeks": rules.max_weeks,
            "notes": list(rules.notes),
        },
        "version": RANKING_VERSION,
    }
    return ScoredMatch(
        vacancy_id=vacancy.id,
        jobseeker_id=cand.id,
        score=round(total, 6),
        components=components,
        explanation=tuple(chips),
        cross_industry=cross,
        distance_km=None if km is None else round(km, 1),
        open_to_switch=cand.willing_to_switch_industry,
    )


def _order(scored: list[ScoredMatch], config: RankingConfig) -> list[ScoredMatch]:
    """Best first, with ``cross_industry_share`` of the places kept for brancheskift.

    Walks the positions; whenever the list holds fewer cross-industry suggestions than its
    share so far, the best remaining one of a person open to changing industry (and above
    ``cross_industry_min_score``) takes the position, marked ``promoted`` if the score alone
    would not have put it there.
    """
    scored = sorted(scored, key=lambda m: (-m.score, m.jobseeker_id, m.vacancy_id))
    promotable = [
        i
        for i, m in enumerate(scored)
        if m.cross_industry and m.open_to_switch and m.score >= config.cross_industry_min_score
    ]
    taken = [False] * len(scored)
    chosen: list[ScoredMatch] = []
    best = promo = cross_count = 0
    for position in range(min(config.list_size, len(scored))):
        while taken[best]:
            best += 1
        while promo < len(promotable) and taken[promotable[promo]]:
            promo += 1
        want_cross = cross_count < math.floor((position + 1) * config.cross_industry_share)
        if want_cross and promo < len(promotable):
            index = promotable[promo]
            pick = scored[index] if index == best else replace(scored[index], promoted=True)
        else:
            index, pick = best, scored[best]
        taken[index] = True
        cross_count += pick.cross_industry
        chosen.append(pick)
    return chosen


def _rank(
    pairs: Iterable[tuple[VacancyFeatures, CandidateFeatures, float]],
    *,
    day: date,
    calibration: SemanticCalibration,
    config: RankingConfig,
) -> RankedList:
    result = RankedList(matches=[])
    scored: list[ScoredMatch] = []
    for vacancy, cand, cosine in pairs:
        result.considered += 1
        outcome = score_pair(vacancy, cand, cosine, day=day, calibration=calibration, config=config)
        if isinstance(outcome, Excluded):
            result.excluded[outcome.reason] += 1
        else:
            scored.append(outcome)
    result.matches = _order(scored, config)
    return result


def rank_candidates(
    vacancy: VacancyFeatures,
    candidates: Iterable[tuple[CandidateFeatures, float]],
    *,
    day: date,
    calibration: SemanticCalibration,
    config: RankingConfig | None = None,
) -> RankedList:
    """The ranked candidate list for a vacancy, from (candidate, cosine) pairs."""
    pairs = ((vacancy, cand, cosine) for cand, cosine in candidates)
    return _rank(pairs, day=day, calibration=calibration, config=config or RankingConfig())


def rank_vacancies(
    cand: CandidateFeatures,
    vacancies: Iterable[tuple[VacancyFeatures, float]],
    *,
    day: date,
    calibration: SemanticCalibration,
    config: RankingConfig | None = None,
) -> RankedList:
    """The ranked list of vacancies and places for one person, from (vacancy, cosine) pairs."""
    pairs = ((vacancy, cand, cosine) for vacancy, cosine in vacancies)
    return _rank(pairs, day=day, calibration=calibration, config=config or RankingConfig())


def rules_version() -> str:
    """Version of everything that decides a list besides the model: rules and scoring."""
    return f"{eligibility.RULES_VERSION}+{RANKING_VERSION}"
