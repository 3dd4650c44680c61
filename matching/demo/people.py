"""Demo jobseekers with their dated histories and CVs.

Each jobseeker gets an occupation, a skill level and a background, educations that fit them, a
target group with its history, who is responsible for them over time (the a-kasse for the first
three months of dagpenge, then the jobcentre), consents, and a CV whose work
history, skills, languages, driving licences and job goals follow from the same choices.
"""

from __future__ import annotations

from datetime import date, timedelta

from matching.core.dates import add_months, age_on
from matching.demo import vocab
from matching.demo.common import (
    GeneratorBase,
    at_hour,
    cap_first,
    fill,
    slugify,
    town_name,
    weighted_choice,
    with_article,
)
from matching.demo.records import (
    CVRecord,
    DesiredOccupationRecord,
    EducationRecord,
    ExperienceRecord,
    JobseekerRecord,
    LanguageRecord,
    ResponsibilityRecord,
    TargetGroupRecord,
)
from matching.demo.vocab import Municipality, OccupationProfile
from matching.models.enums import EducationLevel, TargetGroup

_TARGET_GROUP_WEIGHTS: tuple[tuple[TargetGroup, int], ...] = (
    (TargetGroup.DAGPENGE, 64),
    (TargetGroup.KONTANTHJAELP_JOBPARAT, 11),
    (TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT, 7),
    (TargetGroup.SYGEDAGPENGE, 9),
    (TargetGroup.LEDIGHEDSYDELSE, 2),
    (TargetGroup.JOBAFKLARING, 1),
    (TargetGroup.SELVFORSOERGENDE, 1),
)
_SKILL_LEVEL_WEIGHTS = {"ufaglært": 38, "faglært": 36, "kvu_mvu": 15, "akademiker": 11}
_MIN_AGE_FOR_LEVEL = {"ufaglært": 18, "faglært": 20, "kvu_mvu": 23, "akademiker": 25}
# Where people in some occupations have worked, whatever the municipality.
_FIXED_EMPLOYERS = {
    "0310": "Forsvaret",
    "5412": "Rigspolitiet",
    "5413": "Kriminalforsorgen",
    "8311": "DSB",
}


class PeopleMixin(GeneratorBase):
    """Jobseekers and their CVs (:meth:`jobseeker`)."""

    def cpr_for(self, birth: date) -> str:
        year = birth.year
        if year < 2000:
            firsts = "0123" + ("49" if year >= 1937 else "")
        else:
            firsts = "5678" + ("49" if year <= 2036 else "")
        while True:
            serial = self.rng.choice(firsts) + f"{self.rng.randint(0, 999):03d}"
            cpr = birth.strftime("%d%m%y") + serial
            if cpr not in self.used_cpr:
                self.used_cpr.add(cpr)
                return cpr

    def birth_date(self, min_age: int) -> date:
        ages = list(range(max(18, min_age), 68))
        weights = [3 if a < 25 else 5 if a < 60 else 3 for a in ages]
        age = self.rng.choices(ages, weights=weights)[0]
        latest = add_months(self.today, -12 * age)  # turns `age` today
        earliest = add_months(self.today, -12 * (age + 1)) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def pick_akasse(self, occ: OccupationProfile) -> str:
        preferred = vocab.A_KASSE_BY_INDUSTRY.get(occ.industry)
        if occ.skill_level == "akademiker":
            preferred = "Ingeniørernes A-kasse" if occ.industry in ("it", "energi") else None
            preferred = preferred or "Akademikernes A-kasse"
        if preferred and self.chance(0.65):
            return self.akasse_by_name[preferred]
        fitting = [name for name, _, levels in vocab.A_KASSER if occ.skill_level in levels]
        return self.akasse_by_name[self.rng.choice(fitting)]

    def educations(
        self, occ: OccupationProfile, birth: date, muni: Municipality, refugee: bool
    ) -> tuple[list[EducationRecord], EducationLevel, int]:
        """Educations newest first, the highest level, and the year the career started."""
        gym, eud, sosu, academy, university = vocab.INSTITUTIONS[muni.code]
        this_year = self.today.year
        items: list[EducationRecord] = []
        if refugee:
            items.append(EducationRecord("Grundskole i hjemlandet", None, None, None))
        else:
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_BASIC),
                    f"{self.rng.choice(vocab.NAME_WORDS)}skolen",
                    EducationLevel.GRUNDSKOLE,
                    birth.year + 16,
                )
            )
        level = EducationLevel.GRUNDSKOLE
        career_start = birth.year + self.rng.randint(16, 19)
        gymnasial = occ.skill_level in ("kvu_mvu", "akademiker") or self.chance(0.2)
        if gymnasial and not refugee:
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_UPPER_SECONDARY),
                    gym,
                    EducationLevel.GYMNASIAL,
                    min(birth.year + 19, this_year),
                )
            )
            level = EducationLevel.GYMNASIAL
            career_start = birth.year + 19
        named = vocab.EDUCATION_BY_ISCO.get(occ.isco_code)
        if occ.skill_level == "faglært":
            done = min(birth.year + self.rng.randint(20, 27), this_year)
            school = sosu if occ.isco_code in ("5321", "5322", "5311") else eud
            if refugee and self.chance(0.5):
                school = "Uddannet i hjemlandet"
            title = named or f"Erhvervsuddannelse som {occ.title_da}"
            items.append(EducationRecord(title, school, EducationLevel.ERHVERVSFAGLIG, done))
            level, career_start = EducationLevel.ERHVERVSFAGLIG, done
        elif occ.skill_level == "kvu_mvu":
            done = min(birth.year + self.rng.randint(22, 28), this_year)
            title = named or f"Professionsbachelor ({occ.title_da})"
            level = EducationLevel.KVU if "erhvervsakademi" in title.lower() else EducationLevel.MVU
            items.append(EducationRecord(title, academy, level, done))
            career_start = done
        elif occ.skill_level == "akademiker":
            done = min(birth.year + self.rng.randint(24, 30), this_year)
            title = named or f"Kandidatuddannelse ({occ.title_en})"
            place = "Universitet i hjemlandet (vurderet i Danmark)" if refugee else university
            items.append(EducationRecord(title, place, EducationLevel.LVU, done))
            level, career_start = EducationLevel.LVU, done
        if refugee:
            items.append(
                EducationRecord(
                    self.rng.choice(("Danskuddannelse 2, modul 4", "Danskuddannelse 3, modul 6")),
                    f"Sprogcenter {muni.name}",
                    None,
                    this_year - self.rng.randint(0, 3),
                )
            )
        if occ.skill_level == "ufaglært" and self.chance(0.4):
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_SHORT_COURSES),
                    "AMU-center" if self.chance(0.5) else eud,
                    None,
                    this_year - self.rng.randint(0, 6),
                )
            )
        items.sort(key=lambda e: e.completed_year or 0, reverse=True)
        return items, level, min(career_start, this_year)

    def target_group(self, age: int, background: str, occ: OccupationProfile) -> TargetGroup:
        if background in vocab.REFUGEE_BACKGROUNDS and age <= 50 and self.chance(0.45):
            return TargetGroup.INTEGRATION
        group = weighted_choice(self.rng, _TARGET_GROUP_WEIGHTS)
        young_unskilled = age < 30 and occ.skill_level == "ufaglært"
        if young_unskilled and group in (
            TargetGroup.KONTANTHJAELP_JOBPARAT,
            TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
        ):
            return (
                TargetGroup.UDDANNELSESHJAELP_UDDANNELSESPARAT
                if group is TargetGroup.KONTANTHJAELP_JOBPARAT
                else TargetGroup.UDDANNELSESHJAELP_AKTIVITETSPARAT
            )
        return group

    def jobseeker(self, index: int) -> JobseekerRecord:
        rng = self.rng
        bg_names = sorted(vocab.BACKGROUNDS)
        background = rng.choices(bg_names, weights=[vocab.BACKGROUNDS[b][0] for b in bg_names])[0]
        refugee = background in vocab.REFUGEE_BACKGROUNDS
        female = self.chance(0.5)
        first, last = self.person_name(background, female)

        levels = sorted(_SKILL_LEVEL_WEIGHTS)
        level_weights = dict(_SKILL_LEVEL_WEIGHTS)
        if background == "international":
            level_weights.update(akademiker=45, kvu_mvu=25)
        skill_level = rng.choices(levels, weights=[level_weights[lv] for lv in levels])[0]
        occ = rng.choice(self.by_level[skill_level])
        birth = self.birth_date(_MIN_AGE_FOR_LEVEL[skill_level])
        age = age_on(birth, self.today)
        muni = self.municipality()
        postal, postal_town = rng.choice(muni.postal_codes)
        town = town_name(postal_town)

        educations, edu_level, career_start = self.educations(occ, birth, muni, refugee)
        group = self.target_group(age, background, occ)
        days = min(728, max(7, int(rng.triangular(7, 729, 40))))
        start = self.today - timedelta(days=days)

        residence_years = None
        if background != "dansk":
            top = 9 if group is TargetGroup.INTEGRATION else 25
            residence_years = rng.randint(1, max(1, min(top, age - 16)))

        insured = {
            TargetGroup.DAGPENGE: 1.0,
            TargetGroup.SYGEDAGPENGE: 0.5,
            TargetGroup.LEDIGHEDSYDELSE: 0.6,
            TargetGroup.JOBAFKLARING: 0.4,
        }.get(group, 0.0)
        a_kasse = self.pick_akasse(occ) if self.chance(insured) else None
        chose_jobcentre = group is TargetGroup.DAGPENGE and self.chance(0.04)

        # Target group history: a share changed group during the unemployment spell.
        periods: list[TargetGroupRecord] = []
        previous = {
            TargetGroup.DAGPENGE: TargetGroup.SYGEDAGPENGE,
            TargetGroup.KONTANTHJAELP_JOBPARAT: TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
            TargetGroup.JOBAFKLARING: TargetGroup.SYGEDAGPENGE,
        }.get(group)
        if previous is not None and days >= 60 and self.chance(0.15):
            switch = start + timedelta(days=rng.randint(21, days - 14))
            periods.append(TargetGroupRecord(previous, start, switch))
            periods.append(TargetGroupRecord(group, switch, None))
        else:
            periods.append(TargetGroupRecord(group, start, None))

        jobcentre = self.jobcentre_by_muni[muni.code]

        def counsellor(org_key: str) -> str | None:
            return rng.choice(self.counsellors[org_key]) if self.chance(0.7) else None

        responsibilities: list[ResponsibilityRecord] = []
        if group is TargetGroup.DAGPENGE and a_kasse and not chose_jobcentre:
            # 1/1/2024 rule (domain.md §1): the a-kasse owns months 1-3, then the jobcentre.
            handover = add_months(start, 3)
            reason = "Dagpenge, måned 1-3: a-kassen har kontaktforløbet (LAB fra 1/1/2024)"
            if handover > self.today:
                responsibilities.append(
                    ResponsibilityRecord(a_kasse, start, None, reason, counsellor(a_kasse))
                )
            else:
                responsibilities.append(
                    ResponsibilityRecord(a_kasse, start, handover, reason, counsellor(a_kasse))
                )
                responsibilities.append(
                    ResponsibilityRecord(
                        jobcentre,
                        handover,
                        None,
                        "Overdraget til jobcenteret efter 3 måneders ledighed",
                        counsellor(jobcentre),
                    )
                )
        else:
            reason = (
                "Personen har valgt jobcenteret frem for a-kassen"
                if chose_jobcentre
                else f"{group.label_da}: bopælskommunens jobcenter"
            )
            responsibilities.append(
                ResponsibilityRecord(jobcentre, start, None, reason, counsellor(jobcentre))
            )

        english = (
            (background == "international" and self.chance(0.9))
            or (skill_level == "akademiker" and self.chance(0.4))
            or (occ.industry == "it" and self.chance(0.3))
            or (skill_level == "kvu_mvu" and self.chance(0.06))
        )
        cv = self.cv(
            occ=occ,
            background=background,
            birth=birth,
            start=start,
            career_start=career_start,
            educations=educations,
            town=town,
            english=english,
            residence_years=residence_years,
            searchable=group is not TargetGroup.SYGEDAGPENGE and self.chance(0.95),
        )

        consents = (self.chance(0.6), self.chance(0.75), self.chance(0.5))
        consent_at = (
            at_hour(min(self.today, start + timedelta(days=rng.randint(0, 14))), 10)
            if any(consents)
            else None
        )
        local = slugify(f"{first} {last}").replace("-", ".")
        email = self.unique_email(local, self.rng.choice(("example.dk", "example.com")))
        pseudonym = f"L-{self.seed % 100:02d}{index + 1:06d}"
        return JobseekerRecord(
            pseudonym=pseudonym,
            first_name=first,
            last_name=last,
            background=background,
            cpr=self.cpr_for(birth),
            birth_date=birth,
            email=email,
            phone=self.phone(),
            postal_code=postal,
            municipality_code=muni.code,
            a_kasse_key=a_kasse,
            unemployment_start=start,
            education_level=edu_level,
            skill_level=skill_level,
            main_isco_code=occ.isco_code,
            residence_years=residence_years,
            single_provider=self.chance(0.08),
            max_commute_km=rng.choice((10, 15, 20, 25, 30, 30, 40, 50, 60)),
            willing_to_switch_industry=self.chance(0.8),
            consent_share_with_employers=consents[0],
            consent_contact_by_email=consents[1],
            consent_joint_recruitment=consents[2] and a_kasse is not None,
            consent_updated_at=consent_at,
            chose_jobcentre=chose_jobcentre,
            target_groups=tuple(periods),
            responsibilities=tuple(responsibilities),
            cv=cv,
        )

    def cv(
        self,
        *,
        occ: OccupationProfile,
        background: str,
        birth: date,
        start: date,
        career_start: int,
        educations: list[EducationRecord],
        town: str,
        english: bool,
        residence_years: int | None,
        searchable: bool,
    ) -> CVRecord:
        rng = self.rng
        end_year = start.year
        career_start = min(career_start, end_year)
        # Work history, newest first.
        experiences: list[ExperienceRecord] = []
        used_occs: list[OccupationProfile] = [occ]
        cursor = end_year
        n_exp = rng.randint(1, 4)
        for i in range(n_exp):
            if i == 0 or self.chance(0.55):
                job = occ
            elif self.chance(0.6):
                job = rng.choice(self.by_industry[occ.industry])
            else:
                job = rng.choice(self.by_level["ufaglært"])
            used_occs.append(job)
            length = rng.randint(1, 7)
            first_year = max(career_start, cursor - length)
            industry_label = vocab.INDUSTRIES[job.industry][1]
            muni = self.municipality()
            employer = self.employer_name(job.industry, muni, town_name(muni.postal_codes[0][1]))
            self.used_org_names.discard(employer)  # CV employers need not be unique
            employer = _FIXED_EMPLOYERS.get(job.isco_code, employer)
            values = {**self.skill_values(job)}
            if english:
                title = job.title_en
                description = fill(rng.choice(vocab.EXPERIENCE_DESCRIPTIONS_EN), values)
            else:
                title = self.title_variant(job)
                description = fill(rng.choice(vocab.EXPERIENCE_DESCRIPTIONS_DA), values)
            experiences.append(
                ExperienceRecord(
                    title=cap_first(title),
                    employer_name=employer,
                    start_year=first_year,
                    end_year=cursor,
                    description=description,
                    isco_code=job.isco_code,
                    industry=industry_label,
                )
            )
            if first_year <= career_start:
                break
            cursor = first_year - (1 if self.chance(0.3) and first_year - 1 > career_start else 0)
        years = max(1, end_year - experiences[-1].start_year)

        # Skills: the occupation's own phrases first, then related and soft skills.
        wanted = rng.randint(4, 10)
        pool = list(occ.skills)
        rng.shuffle(pool)
        chosen: list[str] = pool[: min(len(pool), wanted - 1)]
        others = [s for o in used_occs[1:] for s in o.skills]
        if self.extra.skill_phrases and self.chance(0.7):
            others.extend(rng.sample(self.extra.skill_phrases, 2))
        others.extend(rng.sample(vocab.SOFT_SKILLS_DA, 2))
        rng.shuffle(others)
        seen = {s.lower() for s in chosen}
        for skill in others:
            if len(chosen) >= wanted:
                break
            if skill.lower() not in seen:
                seen.add(skill.lower())
                chosen.append(skill)

        # Languages.
        mother = vocab.BACKGROUNDS[background][1]
        languages = [LanguageRecord(mother, "Modersmål")]
        if mother != "Dansk":
            if background == "international":
                danish = rng.choice(("Begynder", "Rimeligt", "Godt"))
            elif (residence_years or 0) >= 6:
                danish = rng.choice(("Godt", "Flydende"))
            else:
                danish = rng.choice(("Begynder", "Rimeligt", "Godt"))
            languages.append(LanguageRecord("Dansk", danish))
        if mother != "Engelsk":
            if occ.skill_level == "akademiker":
                languages.append(LanguageRecord("Engelsk", "Flydende"))
            elif self.chance(0.85):
                languages.append(LanguageRecord("Engelsk", rng.choice(("Godt", "Rimeligt"))))
        if self.chance(0.2):
            extra = rng.choice(vocab.FOREIGN_LANGUAGES)
            if all(lang.language != extra for lang in languages):
                languages.append(LanguageRecord(extra, rng.choice(("Rimeligt", "Begynder"))))

        # Driving licences.
        licences: list[str] = []
        if self.chance(0.75):
            licences.append("B")
            if self.chance(0.15):
                licences.append("BE")
        special = {
            "8332": ("C", "CE"),
            "8331": ("D",),
            "3258": ("C",),
            "5411": ("C",),
            "9611": ("C",),
            "8341": ("T",),
            "8344": ("truck",),
            "9333": ("truck",),
        }.get(occ.isco_code, ())
        for category in special:
            if category == "truck" and not self.chance(0.6):
                continue
            if "B" not in licences and category in ("C", "CE", "D"):
                licences.insert(0, "B")
            licences.append(category)

        # Jobmål: the own occupation first, then often one in another industry (brancheskift).
        desired = [
            DesiredOccupationRecord(
                cap_first(self.title_variant(occ, 0.25)), occ.isco_code, occ.industry
            )
        ]
        if self.chance(0.55):
            candidates = [
                o
                for o in self.by_level[occ.skill_level] + self.by_level["ufaglært"]
                if o.industry != occ.industry
            ]
            other = rng.choice(candidates)
            desired.append(
                DesiredOccupationRecord(cap_first(other.title_da), other.isco_code, other.industry)
            )
        if self.chance(0.3):
            same = rng.choice(self.by_industry[occ.industry])
            if all(d.isco_code != same.isco_code for d in desired):
                desired.append(
                    DesiredOccupationRecord(cap_first(same.title_da), same.isco_code, same.industry)
                )

        values: dict[str, object] = {
            **self.skill_values(occ),
            "title": occ.title_da,
            "Title": cap_first(occ.title_da),
            "title_en": occ.title_en,
            "Title_en": cap_first(occ.title_en),
            "years": years,
            "industry_lower": vocab.INDUSTRIES[occ.industry][1].lower(),
            "industry_en": vocab.INDUSTRY_LABELS_EN[occ.industry],
            "years_en": f"{years} year" + ("s" if years != 1 else ""),
            "employer": experiences[0].employer_name,
            "town": town,
            "desired": desired[-1].title.lower() if not english else desired[-1].title,
            "a_title_en": with_article(occ.title_en),
            "a_desired_en": with_article(self.by_isco.get(desired[-1].isco_code, occ).title_en),
        }
        newcomer = years <= 3 and age_on(birth, self.today) < 27
        skilled = occ.skill_level != "ufaglært"
        if english:
            headline = fill(rng.choice(vocab.CV_HEADLINES_EN), values)
            sentences = [
                rng.choice(vocab.CV_SUMMARY_OPENERS_EN),
                *rng.sample(vocab.CV_SUMMARY_MIDDLE_EN, rng.randint(1, 2)),
                rng.choice(vocab.CV_SUMMARY_CLOSERS_EN),
            ]
        else:
            headlines = vocab.CV_HEADLINES_DA
            openers = vocab.CV_SUMMARY_OPENERS_DA
            if newcomer:
                # "Nyuddannet" only for people with a vocational or higher education.
                headlines = vocab.CV_HEADLINES_NEW_DA[0 if skilled else 1 :]
                openers = vocab.CV_SUMMARY_OPENERS_NEW_DA[0 if skilled else 1 :]
            headline = fill(rng.choice(headlines), values)
            sentences = [
                rng.choice(openers),
                *rng.sample(vocab.CV_SUMMARY_MIDDLE_DA, rng.randint(0, 2)),
                rng.choice(vocab.CV_SUMMARY_CLOSERS_DA),
            ]
        summary = " ".join(fill(s, values) for s in sentences)
        return CVRecord(
            headline=headline[:200],
            summary=summary,
            language="en" if english else "da",
            searchable=searchable,
            experiences=tuple(experiences),
            educations=tuple(educations),
            skills=tuple(chosen),
            languages=tuple(languages),
            driving_licences=tuple(dict.fromkeys(licences)),
            desired_occupations=tuple(desired),
        )
