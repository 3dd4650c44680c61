"""What every part of the demo generator shares.

Pure helpers (slugs, dates, text templates) and :class:`GeneratorBase`: the single
``random.Random(seed)`` every record is drawn from, the registries of identifiers already used
(CVR, P and CPR numbers, e-mails, organisation names) and of the organisations the other parts
refer to, and the small random draws that several parts make (an employer name is drawn both for
an employer and for a CV's work history).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TypeVar

from matching.demo import vocab
from matching.demo.enrichment import Enrichment
from matching.demo.records import OrgRecord, UserRecord
from matching.demo.vocab import MUNICIPALITIES, OCCUPATIONS, Municipality, OccupationProfile

T = TypeVar("T")

_MUNICIPALITY_WEIGHTS = {461: 30, 101: 24, 147: 6, 751: 18, 851: 13, 561: 9}
_CREDENTIAL_WORDS = ("kørekort", "certifikat", "bevis", "uddannelse")


_TRANSLIT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})
_DISTRICT_SUFFIXES = {"C", "K", "V", "N", "S", "Ø", "NV", "SV", "SØ", "NØ", "M", "J", "Øst"}


def slugify(text: str) -> str:
    """ASCII slug: ``"Fynsk Lager & Logistik A/S"`` → ``fynsk-lager-logistik``."""
    text = text.translate(_TRANSLIT).lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"\b(a/s|aps|i/s|a\.m\.b\.a\.)", " ", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def town_name(postal_town: str) -> str:
    """The town of a postal district: ``"Odense SØ"`` → ``"Odense"``."""
    parts = postal_town.split()
    while len(parts) > 1 and parts[-1] in _DISTRICT_SUFFIXES:
        parts.pop()
    return " ".join(parts)


def cap_first(text: str) -> str:
    """``text`` with its first letter upper case (the rest as it is)."""
    return text[:1].upper() + text[1:]


def with_article(noun: str) -> str:
    """English indefinite article: ``with_article("engineer")`` → ``"an engineer"``."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def at_hour(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` o'clock, UTC."""
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


class _Fmt(dict):
    """format_map mapping that leaves unknown fields visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: dict[str, object]) -> str:
    """``template.format`` with ``values``; unknown fields stay as they are."""
    return template.format_map(_Fmt(values))


def _cvr_valid(digits: str) -> bool:
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def weighted_choice(rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    """One value of ``(value, weight)`` pairs, drawn with one ``rng.choices`` call."""
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=1)[0]


class GeneratorBase:
    """The one random stream, the registries the parts share, and small random draws.

    Each part of the generator (organisations, people, vacancies) is a mixin subclass of this
    class; the methods here are the ones that more than one part calls.
    """

    def __init__(self, seed: int, size: int, today: date, extra: Enrichment) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = size
        self.today = today
        self.extra = extra
        self.munis = {m.code: m for m in MUNICIPALITIES}
        self.postal_muni = {pc: m for m in MUNICIPALITIES for pc, _ in m.postal_codes}
        self.by_level: dict[str, list[OccupationProfile]] = {}
        self.by_industry: dict[str, list[OccupationProfile]] = {}
        self.by_isco: dict[str, OccupationProfile] = {}
        for occ in OCCUPATIONS:
            self.by_level.setdefault(occ.skill_level, []).append(occ)
            self.by_industry.setdefault(occ.industry, []).append(occ)
            self.by_isco.setdefault(occ.isco_code, occ)
        self.used_cvr: set[str] = set()
        self.used_pnr: set[str] = set()
        self.used_cpr: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_org_names: set[str] = set()
        self.orgs: list[OrgRecord] = []
        self.users: list[UserRecord] = []
        self.jobcentre_by_muni: dict[int, str] = {}
        self.akasse_by_name: dict[str, str] = {}
        self.counsellors: dict[str, list[str]] = {}
        self.approvers: dict[str, str] = {}
        self.employer_user: dict[str, UserRecord] = {}

    # -- small random helpers ----------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def municipality(self) -> Municipality:
        codes = sorted(_MUNICIPALITY_WEIGHTS)
        code = self.rng.choices(codes, weights=[_MUNICIPALITY_WEIGHTS[c] for c in codes])[0]
        return self.munis[code]

    def person_name(self, background: str = "dansk", female: bool | None = None) -> tuple[str, str]:
        males, females, surnames = vocab.NAME_POOLS[background]
        if female is None:
            female = self.chance(0.5)
        return self.rng.choice(females if female else males), self.rng.choice(surnames)

    def phone(self) -> str:
        first = self.rng.choice("2345678")
        digits = first + "".join(self.rng.choice("0123456789") for _ in range(7))
        return " ".join(digits[i : i + 2] for i in range(0, 8, 2))

    def cvr(self) -> str:
        while True:
            digits = str(self.rng.randint(1, 4)) + "".join(
                self.rng.choice("0123456789") for _ in range(7)
            )
            if _cvr_valid(digits) and digits not in self.used_cvr:
                self.used_cvr.add(digits)
                return digits

    def pnr(self) -> str:
        while True:
            digits = str(self.rng.randint(1, 9)) + "".join(
                self.rng.choice("0123456789") for _ in range(9)
            )
            if digits not in self.used_pnr:
                self.used_pnr.add(digits)
                return digits

    def unique_email(self, local: str, domain: str) -> str:
        base = f"{local}@{domain}"
        email, n = base, 1
        while email in self.used_emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.used_emails.add(email)
        return email

    def address(self, muni: Municipality) -> tuple[str, str, str]:
        postal, postal_town = self.rng.choice(muni.postal_codes)
        street = self.rng.choice(muni.streets + vocab.COMMON_STREETS)
        return f"{street} {self.rng.randint(1, 180)}", postal, postal_town

    def title_variant(self, occ: OccupationProfile, alt_share: float = 0.35) -> str:
        if occ.alt_titles_da and self.chance(alt_share):
            return self.rng.choice(occ.alt_titles_da)
        return occ.title_da

    def employer_name(self, industry: str, muni: Municipality, town: str) -> str:
        for _ in range(30):
            first_name, surname = self.person_name()
            pattern = self.rng.choice(vocab.EMPLOYER_NAME_PATTERNS[industry])
            name = fill(
                pattern,
                {
                    "surname": surname,
                    "town": town,
                    "muni": muni.name,
                    "kommune": muni.kommune,
                    "region": muni.region,
                    "word": self.rng.choice(vocab.NAME_WORDS),
                },
            )
            if name not in self.used_org_names:
                self.used_org_names.add(name)
                return name
        name = f"{name} {self.rng.randint(2, 99)}"
        self.used_org_names.add(name)
        return name

    def skill_values(self, occ: OccupationProfile) -> dict[str, str]:
        skills = list(occ.skills)
        self.rng.shuffle(skills)
        # Licences and certificates read badly as tasks ("arbejde med kørekort C"): put last.
        skills.sort(key=lambda s: any(w in s.lower() for w in _CREDENTIAL_WORDS))
        soft = self.rng.sample(vocab.SOFT_SKILLS_DA, 2)
        return {
            "skill1": skills[0],
            "skill2": skills[1],
            "skill3": skills[2],
            "soft1": soft[0],
            "soft2": soft[1],
        }
