"""The ranker on hand-made features: hard filters, signals, brancheskift, explanations."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.core import geo
from matching.models.enums import EducationLevel, TargetGroup, VacancyKind
from matching.ranking import textmatch
from matching.ranking.scoring import (
    CandidateFeatures,
    Desired,
    Excluded,
    Experience,
    RankingConfig,
    ScoredMatch,
    SemanticCalibration,
    VacancyFeatures,
    rank_candidates,
    rank_vacancies,
    score_pair,
    shared_isco_digits,
)
from matching.rules.eligibility import PersonFacts

DAY = date(2026, 12, 1)
CAL = SemanticCalibration(low=0.75, high=0.90)
CONFIG = RankingConfig()

WAREHOUSE = VacancyFeatures(
    id=1,
    kind=VacancyKind.ORDINARY,
    title="Lagermedarbejder til Odense",
    postal_code="5000",
    employer_name="Fyns Logistik A/S",
    isco_code="9333",
    industry="Transport og lager",
    description="Vi søger en lagermedarbejder til ordreplukning og varemodtagelse.",
    requirements=(
        "Du har erfaring med lagerstyring.\nTruckcertifikat er et krav.\n"
        "Du taler og forstår dansk.\nADR-bevis er en fordel."
    ),
)


def person(**changes: object) -> PersonFacts:
    base = {
        "birth_date": date(1985, 5, 1),
        "target_group": TargetGroup.DAGPENGE,
        "unemployment_start": date(2026, 1, 5),
        "education_level": EducationLevel.ERHVERVSFAGLIG,
    }
    return PersonFacts(**{**base, **changes})


def candidate(cid: int = 10, **changes: object) -> CandidateFeatures:
    base = {
        "id": cid,
        "person": person(),
        "postal_code": "5000",
        "max_commute_km": 30,
        "skills": ("truckcertifikat", "lagerstyring", "kundeservice"),
        "experiences": (
            Experience(
                "Lagerarbejder",
                isco_code="9333",
                industry="Transport og lager",
                start_year=2018,
                end_year=2025,
                description="Plukkede ordrer og modtog varer.",
            ),
        ),
        "desired": (Desired("Lagermedarbejder", "9333"),),
    }
    return CandidateFeatures(**{**base, **changes})


def scored(vacancy: VacancyFeatures, cand: CandidateFeatures, cosine: float = 0.85):
    return score_pair(vacancy, cand, cosine, day=DAY, calibration=CAL, config=CONFIG)


# --- commute ----------------------------------------------------------------------------------


def test_distance_between_known_postal_codes() -> None:
    odense_aarhus = geo.distance_km("5000", "8000")
    assert odense_aarhus is not None and 70 < odense_aarhus < 90  # ~78 km as the crow flies
    assert geo.distance_km("5000", "5000") == 0.0
    assert geo.distance_km("5000", "0000") is None
    assert geo.distance_km(None, "5000") is None


def test_commute_filter_at_its_boundary() -> None:
    km = geo.distance_km("5000", "5250")
    assert km is not None and km > 1
    inside = scored(WAREHOUSE, candidate(postal_code="5250", max_commute_km=math.ceil(km)))
    outside = scored(WAREHOUSE, candidate(postal_code="5250", max_commute_km=math.floor(km)))
    assert isinstance(inside, ScoredMatch)
    assert f"{round(km)} km fra bopæl" in inside.explanation
    assert isinstance(outside, Excluded) and outside.reason == "distance"
    assert f"højst {math.floor(km)} km" in outside.messages[0]


def test_unknown_postal_code_is_not_excluded_but_said() -> None:
    match = scored(WAREHOUSE, candidate(postal_code="0000"))
    assert isinstance(match, ScoredMatch)
    assert "Afstand ukendt (postnummer mangler)" in match.explanation
    assert match.distance_km is None


def test_far_candidates_are_dropped_from_a_list() -> None:
    near, far = candidate(1), candidate(2, postal_code="9000")  # Aalborg, ~200 km
    ranked = rank_candidates(
        WAREHOUSE, [(near, 0.8), (far, 0.95)], day=DAY, calibration=CAL, config=CONFIG
    )
    assert [m.jobseeker_id for m in ranked.matches] == [1]
    assert ranked.excluded == {"distance": 1} and ranked.considered == 2


def test_inactive_or_hidden_cv_is_excluded() -> None:
    assert scored(WAREHOUSE, candidate(active=False)).reason == "inactive"
    assert scored(WAREHOUSE, candidate(searchable=False)).reason == "inactive"


# --- signals and explanations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "digits"),
    [
        ("9333", "9333", 4),
        ("9333", "9334", 3),
        ("9333", "9321", 2),
        ("9333", "8344", 0),
        ("9333", None, 0),
        ("7115", "7126", 2),
    ],
)
def test_shared_isco_digits(a: str, b: str | None, digits: int) -> None:
    assert shared_isco_digits(a, b) == digits


def test_explanation_chips_for_a_strong_match() -> None:
    match = scored(WAREHOUSE, candidate())
    assert isinstance(match, ScoredMatch)
    chips = match.explanation
    assert chips[0] == "Jobmål: Lagermedarbejder"
    assert "Under 1 km fra bopæl" in chips
    assert "Overlap: truckcertifikat, lagerstyring" in chips
    # ADR is asked for and missing; the language line is left to the counsellor.
    assert "Mangler måske: ADR-bevis" in chips
    assert not any("dansk" in c.casefold() for c in chips)
    assert match.components["signals"]["occupation"] == 1.0
    assert match.components["skills_overlap"] == ["truckcertifikat", "lagerstyring"]
    assert not match.cross_industry


def test_occupation_proximity_levels_and_chip() -> None:
    other = candidate(desired=(), experiences=(Experience("Lagerassistent", isco_code="9334"),))
    match = scored(WAREHOUSE, other)
    assert match.components["occupation"]["level"] == 3
    assert "Beslægtet faggruppe (ISCO 933)" in match.explanation
    same = scored(WAREHOUSE, candidate(desired=()))
    assert "Samme faggruppe (ISCO 9333)" in same.explanation
    assert same.score > match.score


def test_each_signal_moves_the_score_the_right_way() -> None:
    base = scored(WAREHOUSE, candidate(postal_code="5250"))
    closer = scored(WAREHOUSE, candidate())
    fewer_skills = scored(WAREHOUSE, candidate(postal_code="5250", skills=("kundeservice",)))
    busy = scored(WAREHOUSE, candidate(postal_code="5250", open_referrals=2))
    less_similar = scored(WAREHOUSE, candidate(postal_code="5250"), cosine=0.78)
    assert closer.score > base.score
    assert fewer_skills.score < base.score
    assert busy.score < base.score and "Allerede henvist til 2 andre stillinger" in busy.explanation
    assert less_similar.score < base.score
    weights = CONFIG.weights.as_dict()
    recomputed = sum(weights[k] * v for k, v in base.components["signals"].items())
    assert base.score == pytest.approx(recomputed, abs=1e-3)  # signals are rounded


def test_weights_must_sum_to_one() -> None:
    from matching.ranking.scoring import Weights

    with pytest.raises(ValueError, match="sum to 1"):
        RankingConfig(weights=Weights(semantic=0.9))
    with pytest.raises(ValueError, match="between 0 and 1"):
        RankingConfig(cross_industry_share=1.5)


# --- brancheskift -----------------------------------------------------------------------------


def retail_person(cid: int = 20, **changes: object) -> CandidateFeatures:
    return candidate(
        cid,
        desired=(),
        skills=("kundeservice", "kasseekspedition", "varemodtagelse"),
        experiences=(
            Experience(
                "Butiksassistent",
                isco_code="5223",
                industry="Handel",
                start_year=2015,
                end_year=2025,
                description="Varemodtagelse og opfyldning af hylder.",
            ),
        ),
        **changes,
    )


def test_cross_industry_is_marked_with_evidence_and_gaps() -> None:
    match = scored(WAREHOUSE, retail_person())
    assert match.cross_industry
    assert "Brancheskift: fra handel til transport og lager" in match.explanation
    assert match.components["cross_industry"]["evidence"] == ["Butiksassistent (2015–2025)"]
    assert "Overlap: varemodtagelse" in match.explanation
    assert match.components["gaps"] == ["lagerstyring", "Truckcertifikat", "ADR-bevis"]


def test_same_industry_is_not_a_switch_and_no_history_is_not_either() -> None:
    assert not scored(WAREHOUSE, candidate()).cross_industry
    assert not scored(WAREHOUSE, candidate(experiences=())).cross_industry


def test_same_trade_in_another_industry_is_not_a_switch() -> None:
    """A warehouse worker from a retailer's warehouse stays in the trade (ISCO 93)."""
    retail_warehouse = candidate(
        experiences=(Experience("Lagerarbejder", isco_code="9333", industry="Handel"),)
    )
    assert not scored(WAREHOUSE, retail_warehouse).cross_industry


def test_cross_industry_falls_back_to_isco_groups_without_industries() -> None:
    vacancy = VacancyFeatures(
        id=2, kind=VacancyKind.ORDINARY, title="Tømrer", postal_code="5000", isco_code="7115"
    )
    carpenter = candidate(experiences=(Experience("Tømrerlærling", isco_code="7115"),))
    cook = candidate(experiences=(Experience("Kok", isco_code="5120"),))
    assert not scored(vacancy, carpenter).cross_industry
    switch = scored(vacancy, cook)
    assert switch.cross_industry and "Brancheskift: til et nyt fagområde" in switch.explanation


def _list(share: float, size: int = 10, unwilling: bool = False):
    same = [(candidate(i), 0.90) for i in range(1, 21)]
    cross = [
        (retail_person(100 + i, willing_to_switch_industry=not unwilling), 0.84) for i in range(5)
    ]
    config = RankingConfig(list_size=size, cross_industry_share=share)
    return rank_candidates(WAREHOUSE, same + cross, day=DAY, calibration=CAL, config=config)


def test_brancheskift_share_reserves_places() -> None:
    ranked = _list(0.2)
    flags = [m.cross_industry for m in ranked.matches]
    assert len(flags) == 10 and sum(flags) == 2
    assert flags[4] and flags[9]  # every fifth place
    assert all(m.promoted for m in ranked.matches if m.cross_industry)
    assert not any(m.promoted for m in ranked.matches if not m.cross_industry)


def test_no_share_ranks_by_score_alone() -> None:
    ranked = _list(0.0)
    assert not any(m.cross_industry for m in ranked.matches)
    scores = [m.score for m in ranked.matches]
    assert scores == sorted(scores, reverse=True)


def test_people_not_open_to_switching_are_not_promoted() -> None:
    assert not any(m.cross_industry for m in _list(0.2, unwilling=True).matches)


def test_person_list_of_vacancies_also_gets_brancheskift() -> None:
    retail = retail_person()
    vacancies = [
        (
            VacancyFeatures(
                id=200 + i,
                kind=VacancyKind.ORDINARY,
                title="Butiksassistent",
                postal_code="5000",
                isco_code="5223",
                industry="Handel",
                description="Kundeservice og kasseekspedition.",
            ),
            0.9,
        )
        for i in range(8)
    ] + [(WAREHOUSE, 0.8)]
    config = RankingConfig(list_size=5, cross_industry_share=0.2)
    ranked = rank_vacancies(retail, vacancies, day=DAY, calibration=CAL, config=config)
    assert [m.vacancy_id for m in ranked.matches][4] == WAREHOUSE.id
    assert ranked.matches[4].cross_industry and ranked.matches[4].promoted


# --- company places: rules filter -------------------------------------------------------------


def test_ineligible_for_a_place_is_excluded_with_the_rule_reason() -> None:
    place = VacancyFeatures(
        id=3,
        kind=VacancyKind.VOKSENLAERLING,
        title="Voksenlærling som lagerassistent",
        postal_code="5000",
        employer_name="Fyns Logistik A/S",
        isco_code="4321",
        start_date=date(2027, 1, 4),
    )
    young = candidate(person=person(birth_date=date(2002, 6, 1)))
    old_enough = candidate(person=person(birth_date=date(1990, 6, 1)))
    excluded = scored(place, young)
    assert isinstance(excluded, Excluded) and excluded.reason == "eligibility"
    assert excluded.messages and all(isinstance(m, str) and m for m in excluded.messages)
    match = scored(place, old_enough)
    assert isinstance(match, ScoredMatch)
    assert any(c.startswith("Opfylder reglerne for voksenlærling") for c in match.explanation)
    assert match.components["eligibility"]["rules"]


# --- every match is explained -----------------------------------------------------------------

postal_codes = st.sampled_from(sorted(geo.postal_centroids())[:400] + ["0000"])
isco = st.sampled_from(["9333", "9334", "4321", "5223", "7115", "2512", None])
industries = st.sampled_from(["Transport og lager", "Handel", "Industri", None])


@settings(max_examples=150, deadline=None)
@given(
    pc=postal_codes,
    commute=st.integers(0, 500),
    v_isco=isco,
    c_isco=isco,
    v_industry=industries,
    c_industry=industries,
    cosine=st.floats(0.5, 1.0),
    skills=st.lists(st.sampled_from(["truckcertifikat", "kundeservice", "svejsning", "Excel"])),
    share=st.sampled_from([0.0, 0.2, 0.5]),
)
def test_every_listed_match_has_an_explanation(
    pc, commute, v_isco, c_isco, v_industry, c_industry, cosine, skills, share
) -> None:
    vacancy = VacancyFeatures(
        id=9,
        kind=VacancyKind.ORDINARY,
        title="Medarbejder",
        postal_code="5000",
        isco_code=v_isco,
        industry=v_industry,
        requirements="Du har erfaring med truckkørsel.",
    )
    cand = candidate(
        postal_code=pc,
        max_commute_km=commute,
        skills=tuple(dict.fromkeys(skills)),
        desired=(),
        experiences=(Experience("Job", isco_code=c_isco, industry=c_industry),),
    )
    config = RankingConfig(list_size=5, cross_industry_share=share)
    ranked = rank_candidates(vacancy, [(cand, cosine)], day=DAY, calibration=CAL, config=config)
    for match in ranked.matches:
        assert match.explanation and all(isinstance(c, str) and c for c in match.explanation)
        assert 0.0 <= match.score <= 1.0
        assert set(match.components["signals"]) == set(CONFIG.weights.as_dict())
    assert len(ranked.matches) + sum(ranked.excluded.values()) == 1


def test_requirement_phrases_strip_danish_lead_ins() -> None:
    phrases = textmatch.requirement_phrases(
        "Du har erfaring med lagerstyring.\nDu har kendskab til SAP eller lyst til at lære det.\n"
        "Kørekort kategori B er en fordel.\nDet er en fordel, hvis du har erfaring fra byggeri.\n"
        "Du taler og skriver engelsk.\nDu er mødestabil og struktureret.\n"
        "You are structured and take ownership.\nRelevant uddannelse som tømrer er et krav.\n"
        "Vi forventer, at du kan tage ansvar for den daglige drift af et stort og travlt lager."
    )
    assert list(phrases) == [
        "lagerstyring",
        "SAP",
        "Kørekort kategori B",
        "erfaring fra byggeri",
        "uddannelse som tømrer",
    ]
    assert textmatch.covered("uddannelse som tømrer", textmatch.stem_set(["Tømrer"]))
    assert textmatch.covered("erfaring fra byggeri", textmatch.stem_set(["Byggeri"]))
    assert textmatch.covered("Kørekort kategori B", textmatch.stem_set(["kørekort B"]))
    assert textmatch.covered("lagerstyring", textmatch.stem_set(["Lagerstyringen"]))
    assert not textmatch.covered("truckcertifikat", textmatch.stem_set(["certifikat"]))
