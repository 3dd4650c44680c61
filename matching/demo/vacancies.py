"""Demo vacancies and company places.

Ordinary vacancies and company places (virksomhedspraktik, løntilskud, voksenlærling, IGU) of
the generated employers, in Danish or English, with a status, dates relative to today and, for
company places, the facts the jobcentre approves them on (staff, subsidised places, the employee
representative's statement) and the approval itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from matching.demo import vocab
from matching.demo.common import (
    GeneratorBase,
    at_hour,
    cap_first,
    fill,
    weighted_choice,
    with_article,
)
from matching.demo.records import OrgRecord, VacancyRecord
from matching.demo.vocab import OccupationProfile
from matching.models.enums import ApprovalStatus, VacancyKind, VacancyStatus, WorkingTime

_VACANCY_KIND_WEIGHTS: tuple[tuple[VacancyKind, int], ...] = (
    (VacancyKind.ORDINARY, 70),
    (VacancyKind.VIRKSOMHEDSPRAKTIK, 12),
    (VacancyKind.LOENTILSKUD_PRIVATE, 7),
    (VacancyKind.LOENTILSKUD_PUBLIC, 4),
    (VacancyKind.VOKSENLAERLING, 4),
    (VacancyKind.IGU, 3),
)
# Occupations every kind of employer hires, whatever its industry.
_SUPPORT_ISCO = ("4110", "9112", "9333", "4226", "3313", "5153", "4222")


class VacancyMixin(GeneratorBase):
    """Vacancies and company places (:meth:`vacancy`)."""

    def vacancy_occupation(self, employer: OrgRecord, kind: VacancyKind) -> OccupationProfile:
        own = self.by_industry.get(employer.industry_key or "", [])
        if kind is VacancyKind.VOKSENLAERLING:
            pool = [o for o in own if o.skill_level == "faglært"] or self.by_level["faglært"]
        elif kind is VacancyKind.IGU:
            pool = [o for o in own if o.skill_level in ("ufaglært", "faglært")]
            pool = pool or self.by_level["ufaglært"]
        elif kind is VacancyKind.VIRKSOMHEDSPRAKTIK:
            pool = [o for o in own if o.skill_level != "akademiker"] or own
        else:
            pool = own
        if not pool or self.chance(0.12):
            pool = [self.by_isco[code] for code in _SUPPORT_ISCO]
        return self.rng.choice(pool)

    def vacancy(self, employers: list[OrgRecord], public: list[OrgRecord]) -> VacancyRecord:
        rng = self.rng
        kind = weighted_choice(rng, _VACANCY_KIND_WEIGHTS)
        if kind is VacancyKind.LOENTILSKUD_PUBLIC:
            employer = rng.choice(public)
        elif kind is VacancyKind.LOENTILSKUD_PRIVATE:
            employer = rng.choice([e for e in employers if not e.is_public])
        else:
            # The two fixed demo employers get a visible share of the vacancies.
            employer = employers[0] if self.chance(0.04) else rng.choice(employers)
            if self.chance(0.03):
                employer = employers[1]
        occ = self.vacancy_occupation(employer, kind)
        unit = rng.choice(employer.p_numbers)
        user = self.employer_user[employer.key]
        section, label = employer.industry_code or "", employer.industry or ""

        english = kind is VacancyKind.ORDINARY and (
            (occ.skill_level in ("akademiker", "kvu_mvu") and self.chance(0.3)) or self.chance(0.05)
        )
        esco_uri = None
        base_title = self.title_variant(occ, 0.3)
        variants = self.extra.esco_titles.get(occ.isco_code, ())
        variants = tuple(v for v in variants if v[2] == occ.title_da)
        if variants and self.chance(0.25):
            base_title, esco_uri, _ = rng.choice(variants)
        if english:
            base_title = occ.title_en
        prefix = {
            VacancyKind.VIRKSOMHEDSPRAKTIK: "Virksomhedspraktik som ",
            VacancyKind.LOENTILSKUD_PRIVATE: "Løntilskudsjob som ",
            VacancyKind.LOENTILSKUD_PUBLIC: "Løntilskudsjob som ",
            VacancyKind.VOKSENLAERLING: "Voksenlærling som ",
            VacancyKind.IGU: "IGU-elev som ",
        }.get(kind, "")
        title = prefix + base_title if prefix else cap_first(base_title)
        if kind is VacancyKind.ORDINARY and not english and self.chance(0.3):
            title += rng.choice(
                (
                    f" til {employer.name}",
                    f" i {unit.town}",
                    " – fast stilling",
                    " (barselsvikariat)",
                )
            )
        title = title[:100]

        if kind is VacancyKind.IGU or kind is VacancyKind.VOKSENLAERLING:
            hours = 37.0
        elif kind is VacancyKind.VIRKSOMHEDSPRAKTIK:
            hours = float(rng.choice((15, 20, 25, 30, 37)))
        else:
            hours = float(rng.choices((37, 32, 30, 25, 20), weights=(65, 10, 12, 8, 5))[0])
        if occ.industry in ("hotel_restaurant", "sundhed"):
            working = rng.choice(
                (WorkingTime.SHIFTING, WorkingTime.EVENING, WorkingTime.WEEKEND, WorkingTime.NORMAL)
            )
        elif occ.industry in ("industri", "transport_lager"):
            working = rng.choice(
                (WorkingTime.NORMAL, WorkingTime.NORMAL, WorkingTime.SHIFTING, WorkingTime.NIGHT)
            )
        else:
            working = WorkingTime.NORMAL if self.chance(0.85) else WorkingTime.MORNING

        values: dict[str, object] = {
            **self.skill_values(occ),
            "title": occ.title_da,
            "title_en": occ.title_en,
            "a_title_en": with_article(occ.title_en),
            "employer": employer.name,
            "town": unit.town,
            "staff": int(unit.staff_fte),
            "hours": f"{hours:g}",
            "industry_lower": label.lower(),
        }
        purpose = None
        if english:
            sentences = [
                rng.choice(vocab.AD_INTROS_EN),
                rng.choice(vocab.AD_TASKS_EN),
                *vocab.AD_OFFERS_EN,
            ]
            requirements = rng.sample(vocab.AD_REQUIREMENTS_EN, rng.randint(2, 3))
        else:
            sentences = [
                rng.choice(vocab.AD_INTROS_DA),
                rng.choice(vocab.AD_TASKS_DA),
                *rng.sample(vocab.AD_ABOUT_DA, rng.randint(0, 1)),
                *rng.sample(vocab.AD_OFFERS_DA, rng.randint(0, 0 if kind.is_company_place else 1)),
                rng.choice(vocab.AD_CLOSERS_DA),
            ]
            if kind.is_company_place:
                purpose = fill(rng.choice(vocab.PLACE_TEXTS_DA[kind.value]), values)
                sentences.insert(1, purpose)
            requirements = rng.sample(vocab.AD_REQUIREMENTS_DA, rng.randint(2, 4))
        description = " ".join(fill(s, values) for s in sentences)[:5000]
        requirements_text = "\n".join(fill(s, values) for s in requirements)

        jobcentre = self.jobcentre_by_muni[unit.municipality_code]
        if kind.is_company_place:
            owner = jobcentre
        elif self.chance(0.35):
            owner = (
                jobcentre if self.chance(0.6) else rng.choice(sorted(self.akasse_by_name.values()))
            )
        else:
            owner = None

        # Status and dates, all relative to today.
        today = self.today
        published: date | None = None
        closed: date | None = None
        approval = ApprovalStatus.NOT_REQUIRED
        approved_by = approved_on = note = None
        if kind.is_company_place:
            approval = rng.choices(
                (ApprovalStatus.APPROVED, ApprovalStatus.PENDING, ApprovalStatus.REJECTED),
                weights=(80, 15, 5),
            )[0]
            if approval is ApprovalStatus.APPROVED:
                status = rng.choices(
                    (VacancyStatus.OPEN, VacancyStatus.FILLED, VacancyStatus.PAUSED),
                    weights=(75, 15, 10),
                )[0]
            elif approval is ApprovalStatus.PENDING:
                status = VacancyStatus.PENDING_APPROVAL
            else:
                status = VacancyStatus.REJECTED
        else:
            status = rng.choices(
                (
                    VacancyStatus.OPEN,
                    VacancyStatus.DRAFT,
                    VacancyStatus.PAUSED,
                    VacancyStatus.FILLED,
                    VacancyStatus.CLOSED,
                ),
                weights=(75, 6, 5, 8, 6),
            )[0]
        if status in (VacancyStatus.FILLED, VacancyStatus.CLOSED):
            published = today - timedelta(days=rng.randint(35, 120))
            deadline = published + timedelta(days=rng.randint(14, 28))
            closed = min(today, deadline + timedelta(days=rng.randint(1, 14)))
        elif status in (VacancyStatus.OPEN, VacancyStatus.PAUSED):
            published = today - timedelta(days=rng.randint(0, 40))
            deadline = max(
                published + timedelta(days=rng.randint(14, 45)),
                today + timedelta(days=rng.randint(3, 30)),
            )
        else:  # draft, pending approval, rejected
            deadline = today + timedelta(days=rng.randint(14, 60))
        start_date = None if self.chance(0.1) else deadline + timedelta(days=rng.randint(7, 45))
        if approval is ApprovalStatus.APPROVED:
            approved_by = self.approvers[jobcentre]
            approved_on = (published or today) - timedelta(days=rng.randint(1, 10))
            note = "Godkendt: rimelighedskravet er opfyldt, og udtalelsen foreligger."
        elif approval is ApprovalStatus.REJECTED:
            note = rng.choice(
                (
                    "Afvist: rimelighedskravet er ikke opfyldt på P-nummeret.",
                    "Afvist: udtalelse fra medarbejderrepræsentanten mangler.",
                )
            )

        staff = subsidised = rep_ok = rep_name = duration = None
        if kind.is_company_place:
            staff = unit.staff_fte
            allowed = max(1, int(min(staff, 50) // 5)) + int(max(0.0, staff - 50) // 10)
            subsidised = (
                allowed if approval is ApprovalStatus.REJECTED else rng.randint(0, allowed - 1)
            )
            rep_ok = approval is ApprovalStatus.APPROVED or self.chance(0.6)
            rep_first, rep_last = self.person_name()
            rep_name = f"{rep_first} {rep_last}"
            duration = {
                VacancyKind.VIRKSOMHEDSPRAKTIK: lambda: rng.choices((4, 8, 13), weights=(5, 2, 3))[
                    0
                ],
                VacancyKind.LOENTILSKUD_PRIVATE: lambda: rng.choice((8, 13, 26)),
                VacancyKind.LOENTILSKUD_PUBLIC: lambda: rng.choice((8, 13, 17)),
                VacancyKind.VOKSENLAERLING: lambda: rng.choice((104, 130, 156)),
                VacancyKind.IGU: lambda: 104,
            }[kind]()

        return VacancyRecord(
            kind=kind,
            status=status,
            employer_key=employer.key,
            owner_key=owner,
            pnr=unit.pnr,
            created_by_email=user.email,
            title=title,
            language="en" if english else "da",
            esco_uri=esco_uri,
            isco_code=occ.isco_code,
            industry_code=section,
            industry=label,
            description=description,
            requirements=requirements_text,
            address=unit.address,
            postal_code=unit.postal_code,
            weekly_hours=hours,
            working_time=working,
            start_date=start_date,
            deadline=deadline,
            positions=rng.choices((1, 2, 3, 5), weights=(70, 18, 8, 4))[0]
            if kind is VacancyKind.ORDINARY
            else rng.choice((1, 1, 2)),
            contact_name=user.name,
            contact_email=user.email,
            contact_phone=employer.phone or "",
            published_at=at_hour(published) if published else None,
            closed_at=at_hour(closed, 16) if closed else None,
            ordinary_staff_fte=staff,
            current_subsidised_count=subsidised,
            employee_rep_statement=rep_ok,
            employee_rep_name=rep_name,
            duration_weeks=duration,
            purpose=purpose,
            approval_status=approval,
            approved_by_email=approved_by,
            approved_at=at_hour(approved_on, 11) if approved_on else None,
            approval_note=note,
        )
