"""Demo organisations and their users, and the fixed demo logins.

One jobcentre per municipality, the a-kasser and the job-fair organiser, each with an
administrator and counsellors (approvers, organisers), then the employers with their production
units (P-numbers) and one employer user each. The first two employers are the fixed ones of the
documented demo logins.
"""

from __future__ import annotations

from matching.demo import vocab
from matching.demo.common import GeneratorBase, slugify, town_name
from matching.demo.records import OrgRecord, PNumberRecord, UserRecord
from matching.demo.vocab import MUNICIPALITIES, Municipality
from matching.models.enums import OrgKind, Role

# Passwords of every demo user (≥ 10 characters, the platform minimum). Only two distinct
# values so the seeder hashes each once (argon2 is deliberately slow).
DEMO_PASSWORD = "demo-jobbro-1"
DEMO_ADMIN_PASSWORD = "demo-jobbro-admin"

# Fixed, documented demo logins: (e-mail, password, role description in Danish).
# They exist for every seed and size; other demo users share the same two passwords.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("raadgiver@jobcenter-odense.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter Odense"),
    (
        "godkender@jobcenter-odense.demo",
        DEMO_PASSWORD,
        "Godkender af virksomhedspladser, Jobcenter Odense",
    ),
    ("admin@jobcenter-odense.demo", DEMO_ADMIN_PASSWORD, "Administrator, Jobcenter Odense"),
    ("raadgiver@jobcenter-koebenhavn.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter København"),
    ("raadgiver@jobcenter-aalborg.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter Aalborg"),
    ("raadgiver@3f-a-kasse.demo", DEMO_PASSWORD, "Jobrådgiver, 3F A-kasse"),
    ("raadgiver@foa-a-kasse.demo", DEMO_PASSWORD, "Jobrådgiver, FOA A-kasse"),
    ("admin@3f-a-kasse.demo", DEMO_ADMIN_PASSWORD, "Administrator, 3F A-kasse"),
    (
        "raadgiver@akademikernes-a-kasse.demo",
        DEMO_PASSWORD,
        "Jobrådgiver, Akademikernes A-kasse",
    ),
    (
        "arbejdsgiver@fynsk-lager-logistik.demo",
        DEMO_PASSWORD,
        "Virksomhedsbruger og administrator, Fynsk Lager & Logistik A/S (privat)",
    ),
    (
        "arbejdsgiver@odense-aeldrepleje.demo",
        DEMO_PASSWORD,
        "Virksomhedsbruger og administrator, Odense Kommune, Ældreplejen (offentlig)",
    ),
    ("arrangoer@jobmesse-fyn.demo", DEMO_PASSWORD, "Jobmessearrangør, Jobmesse Fyn"),
    ("admin@jobmesse-fyn.demo", DEMO_ADMIN_PASSWORD, "Administrator, Jobmesse Fyn"),
]

MIN_EMPLOYERS = 60

_PUBLIC_MARKERS = (
    "Kommune",
    "Region",
    "skolen",
    "Gymnasium",
    "Erhvervsskole",
    "Plejecenter",
    "Børnehuset",
    "Vuggestuen",
    "Bostedet",
    "Bibliotekerne",
    "Museum",
    "Sprogcenter",
    "Institutionen",
)


class OrganisationMixin(GeneratorBase):
    """Organisations and users (:meth:`build_public_bodies`, then :meth:`build_employers`)."""

    def add_user(
        self,
        local: str,
        domain: str,
        memberships: tuple[tuple[str, Role], ...],
        *,
        admin: bool = False,
        name: str | None = None,
    ) -> UserRecord:
        if name is None:
            first, last = self.person_name()
            name = f"{first} {last}"
        user = UserRecord(
            email=self.unique_email(local, domain),
            name=name,
            password=DEMO_ADMIN_PASSWORD if admin else DEMO_PASSWORD,
            memberships=memberships,
        )
        self.users.append(user)
        return user

    def add_service_organisation(
        self,
        key: str,
        kind: OrgKind,
        name: str,
        mailbox: str,
        *,
        cvr: str | None,
        municipality_code: int | None = None,
        industry_key: str | None = None,
    ) -> str:
        """A jobcentre, a-kasse or fair organiser (the jobcentres are the public ones) with its
        administrator; returns the mail domain of its users."""
        industry_code, industry = vocab.INDUSTRIES[industry_key] if industry_key else (None, None)
        domain = f"{key}.demo"
        self.orgs.append(
            OrgRecord(
                key=key,
                kind=kind,
                name=name,
                cvr=cvr,
                municipality_code=municipality_code,
                industry_key=industry_key,
                industry_code=industry_code,
                industry=industry,
                email=f"{mailbox}@{domain}",
                phone=self.phone(),
                is_public=kind is OrgKind.JOBCENTRE,
            )
        )
        self.add_user("admin", domain, ((key, Role.ADMIN),), admin=True)
        return domain

    def build_public_bodies(self) -> None:
        for muni in MUNICIPALITIES:
            key = f"jobcenter-{slugify(muni.name)}"
            self.address(muni)  # unused: drawn so the random sequence, and the data, stay the same
            domain = self.add_service_organisation(
                key,
                OrgKind.JOBCENTRE,
                f"Jobcenter {muni.name}",
                "jobcenter",
                cvr=None,
                municipality_code=muni.code,
                industry_key="offentlig_admin",
            )
            self.counsellors[key] = [
                self.add_user(local, domain, ((key, Role.COUNSELLOR),)).email
                for local in ("raadgiver", "raadgiver2", "raadgiver3", "raadgiver4")
            ]
            self.approvers[key] = self.add_user("godkender", domain, ((key, Role.APPROVER),)).email
            self.add_user("jobmesse", domain, ((key, Role.ORGANISER),))
            self.jobcentre_by_muni[muni.code] = key

        for name, slug, _levels in vocab.A_KASSER:
            key = slug
            domain = self.add_service_organisation(
                key, OrgKind.A_KASSE, name, "kontakt", cvr=self.cvr()
            )
            self.counsellors[key] = [
                self.add_user(local, domain, ((key, Role.COUNSELLOR),)).email
                for local in ("raadgiver", "raadgiver2", "raadgiver3")
            ]
            self.akasse_by_name[name] = key

        fair_name, fair_slug = vocab.JOB_FAIR_ORGANISER
        domain = self.add_service_organisation(
            fair_slug,
            OrgKind.JOB_FAIR_ORGANISER,
            fair_name,
            "info",
            cvr=self.cvr(),
            municipality_code=461,
        )
        self.add_user("arrangoer", domain, ((fair_slug, Role.ORGANISER),))

    def add_employer(
        self,
        industry: str,
        muni: Municipality,
        *,
        name: str | None = None,
        slug: str | None = None,
    ) -> OrgRecord:
        street, postal, postal_town = self.address(muni)
        town = town_name(postal_town)
        if name is None:
            name = self.employer_name(industry, muni, town)
        else:
            self.used_org_names.add(name)
        slug = slug or slugify(name)
        is_public = any(marker in name for marker in _PUBLIC_MARKERS)
        staff = float(self.rng.choice((4, 6, 9, 12, 18, 25, 35, 48, 60, 85, 120, 180, 260, 400)))
        p_numbers = [
            PNumberRecord(
                pnr=self.pnr(),
                name=name,
                address=street,
                postal_code=postal,
                town=town,
                municipality_code=muni.code,
                staff_fte=staff,
            )
        ]
        extra_units = 0 if staff < 20 else self.rng.choices((0, 1, 2), weights=(55, 30, 15))[0]
        for _ in range(extra_units):
            unit_muni = muni if self.chance(0.7) else self.municipality()
            u_street, u_postal, u_town = self.address(unit_muni)
            p_numbers.append(
                PNumberRecord(
                    pnr=self.pnr(),
                    name=f"{name}, afd. {town_name(u_town)}",
                    address=u_street,
                    postal_code=u_postal,
                    town=town_name(u_town),
                    municipality_code=unit_muni.code,
                    staff_fte=float(max(3, int(staff * self.rng.uniform(0.15, 0.6)))),
                )
            )
        section, label = vocab.INDUSTRIES[industry]
        key = f"emp-{slug}"
        while any(o.key == key for o in self.orgs):
            key += "-x"
        domain = f"{slug}.demo"
        org = OrgRecord(
            key=key,
            kind=OrgKind.EMPLOYER,
            name=name,
            cvr=self.cvr(),
            municipality_code=muni.code,
            industry_key=industry,
            industry_code=section,
            industry=label,
            email=f"job@{domain}",
            phone=self.phone(),
            is_public=is_public,
            p_numbers=tuple(p_numbers),
        )
        self.orgs.append(org)
        user = self.add_user("arbejdsgiver", domain, ((key, Role.ADMIN), (key, Role.EMPLOYER)))
        self.employer_user[key] = user
        return org

    def build_employers(self) -> list[OrgRecord]:
        employers = [
            self.add_employer(
                "transport_lager",
                self.munis[461],
                name="Fynsk Lager & Logistik A/S",
                slug="fynsk-lager-logistik",
            ),
            self.add_employer(
                "sundhed",
                self.munis[461],
                name="Odense Kommune, Ældreplejen",
                slug="odense-aeldrepleje",
            ),
        ]
        industries = sorted(vocab.INDUSTRIES)
        count = max(MIN_EMPLOYERS, self.size // 25)
        muni_codes = sorted(self.munis)
        for i in range(count - len(employers)):
            if i < len(industries):
                industry = industries[i]
            else:
                industry = self.rng.choices(
                    industries, weights=[len(self.by_industry.get(k, ())) + 2 for k in industries]
                )[0]
            muni = self.munis[muni_codes[i % len(muni_codes)]] if i < 12 else self.municipality()
            employers.append(self.add_employer(industry, muni))
        return employers
