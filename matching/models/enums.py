"""Enumerations stored in the database (values are stable identifiers, labels are Danish)."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    A_KASSE = "a_kasse"
    JOBCENTRE = "jobcentre"
    EMPLOYER = "employer"
    JOB_FAIR_ORGANISER = "job_fair_organiser"

    @property
    def label_da(self) -> str:
        return {
            "a_kasse": "A-kasse",
            "jobcentre": "Jobcenter",
            "employer": "Virksomhed",
            "job_fair_organiser": "Jobmessearrangør",
        }[self.value]


class Role(StrEnum):
    """A user's role inside one organisation."""

    ADMIN = "admin"  # manages the organisation's users and settings
    COUNSELLOR = "counsellor"  # jobrådgiver at an a-kasse or jobcentre
    APPROVER = "approver"  # jobcentre staff approving company places
    EMPLOYER = "employer"  # employer staff posting vacancies
    ORGANISER = "organiser"  # job fair organiser

    @property
    def label_da(self) -> str:
        return {
            "admin": "Administrator",
            "counsellor": "Jobrådgiver",
            "approver": "Godkender af virksomhedspladser",
            "employer": "Virksomhedsbruger",
            "organiser": "Jobmessearrangør",
        }[self.value]


# Which roles make sense in which kind of organisation.
ROLES_BY_ORG_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.A_KASSE: frozenset({Role.ADMIN, Role.COUNSELLOR, Role.ORGANISER}),
    OrgKind.JOBCENTRE: frozenset({Role.ADMIN, Role.COUNSELLOR, Role.APPROVER, Role.ORGANISER}),
    OrgKind.EMPLOYER: frozenset({Role.ADMIN, Role.EMPLOYER}),
    OrgKind.JOB_FAIR_ORGANISER: frozenset({Role.ADMIN, Role.ORGANISER}),
}


class TargetGroup(StrEnum):
    """Målgruppe (LAB § 6), stored as a dated history because the groups change by law."""

    DAGPENGE = "dagpenge"
    KONTANTHJAELP_JOBPARAT = "kontanthjaelp_jobparat"
    KONTANTHJAELP_AKTIVITETSPARAT = "kontanthjaelp_aktivitetsparat"
    UDDANNELSESHJAELP_UDDANNELSESPARAT = "uddannelseshjaelp_uddannelsesparat"
    UDDANNELSESHJAELP_AKTIVITETSPARAT = "uddannelseshjaelp_aktivitetsparat"
    SYGEDAGPENGE = "sygedagpenge"
    RESSOURCEFORLOEB = "ressourceforloeb"
    JOBAFKLARING = "jobafklaring"
    LEDIGHEDSYDELSE = "ledighedsydelse"
    INTEGRATION = "integration"  # selvforsørgende/integrationsydelse; IGU target group
    SELVFORSOERGENDE = "selvforsoergende"

    @property
    def label_da(self) -> str:
        return TARGET_GROUP_LABELS[self]


TARGET_GROUP_LABELS: dict[TargetGroup, str] = {
    TargetGroup.DAGPENGE: "Dagpengemodtager",
    TargetGroup.KONTANTHJAELP_JOBPARAT: "Jobparat kontanthjælpsmodtager",
    TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT: "Aktivitetsparat kontanthjælpsmodtager",
    TargetGroup.UDDANNELSESHJAELP_UDDANNELSESPARAT: "Uddannelsesparat (uddannelseshjælp)",
    TargetGroup.UDDANNELSESHJAELP_AKTIVITETSPARAT: "Aktivitetsparat (uddannelseshjælp)",
    TargetGroup.SYGEDAGPENGE: "Sygedagpengemodtager",
    TargetGroup.RESSOURCEFORLOEB: "Ressourceforløb",
    TargetGroup.JOBAFKLARING: "Jobafklaringsforløb",
    TargetGroup.LEDIGHEDSYDELSE: "Ledighedsydelse",
    TargetGroup.INTEGRATION: "Flygtning/familiesammenført (integration)",
    TargetGroup.SELVFORSOERGENDE: "Selvforsørgende",
}


class VacancyKind(StrEnum):
    ORDINARY = "ordinary"
    VIRKSOMHEDSPRAKTIK = "virksomhedspraktik"
    LOENTILSKUD_PRIVATE = "loentilskud_private"
    LOENTILSKUD_PUBLIC = "loentilskud_public"
    VOKSENLAERLING = "voksenlaerling"
    IGU = "igu"

    @property
    def is_company_place(self) -> bool:
        return self is not VacancyKind.ORDINARY

    @property
    def label_da(self) -> str:
        return {
            "ordinary": "Ordinært job",
            "virksomhedspraktik": "Virksomhedspraktik",
            "loentilskud_private": "Løntilskud (privat)",
            "loentilskud_public": "Løntilskud (offentlig)",
            "voksenlaerling": "Voksenlærling",
            "igu": "IGU (integrationsgrunduddannelse)",
        }[self.value]


class VacancyStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"  # company places wait for the jobcentre
    OPEN = "open"
    PAUSED = "paused"
    FILLED = "filled"
    CLOSED = "closed"
    REJECTED = "rejected"

    @property
    def label_da(self) -> str:
        return {
            "draft": "Kladde",
            "pending_approval": "Afventer godkendelse",
            "open": "Åben",
            "paused": "Sat på pause",
            "filled": "Besat",
            "closed": "Lukket",
            "rejected": "Afvist",
        }[self.value]


class ApprovalStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class WorkingTime(StrEnum):
    """Arbejdstid codes as used on Jobnet."""

    NORMAL = "normal"
    MORNING = "morgen"
    EVENING = "aften"
    NIGHT = "nat"
    WEEKEND = "weekend"
    SHIFTING = "skiftende"

    @property
    def label_da(self) -> str:
        return {
            "normal": "Dagarbejde",
            "morgen": "Morgenarbejde",
            "aften": "Aftenarbejde",
            "nat": "Natarbejde",
            "weekend": "Weekendarbejde",
            "skiftende": "Skiftende arbejdstider",
        }[self.value]


class ReferralType(StrEnum):
    HENVISNING = "henvisning"
    OPFORDRING = "opfordring"
    JOBORDRE = "jobordre"


class ReferralState(StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    INTERVIEW = "interview"
    HIRED = "hired"
    REJECTED_BY_EMPLOYER = "rejected_by_employer"
    DECLINED_BY_JOBSEEKER = "declined_by_jobseeker"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def label_da(self) -> str:
        return {
            "proposed": "Foreslået",
            "sent": "Henvist",
            "interview": "Indkaldt til samtale",
            "hired": "Ansat",
            "rejected_by_employer": "Afvist af virksomheden",
            "declined_by_jobseeker": "Takket nej",
            "withdrawn": "Trukket tilbage",
            "expired": "Udløbet",
        }[self.value]


# Waiting for the employer's answer; open = not yet decided (a person is "in process").
WAITING_REFERRAL_STATES = (ReferralState.SENT, ReferralState.INTERVIEW)
OPEN_REFERRAL_STATES = (ReferralState.PROPOSED, *WAITING_REFERRAL_STATES)


class ForwardingState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class ForwardingRule(StrEnum):
    MANUAL = "manual"
    POOL_TOO_SMALL = "pool_too_small"
    NO_REFERRAL = "no_referral"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class AuditAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    ACCESS_DENIED = "access_denied"
    DISCLOSE = "disclose"


class EducationLevel(StrEnum):
    """Highest completed education, coarse (for rules such as løntilskud from day 1)."""

    GRUNDSKOLE = "grundskole"
    GYMNASIAL = "gymnasial"
    ERHVERVSFAGLIG = "erhvervsfaglig"
    KVU = "kvu"
    MVU = "mvu"
    LVU = "lvu"

    @property
    def label_da(self) -> str:
        return EDUCATION_LEVEL_LABELS[self]


EDUCATION_LEVEL_LABELS: dict[EducationLevel, str] = {
    EducationLevel.GRUNDSKOLE: "Grundskole",
    EducationLevel.GYMNASIAL: "Gymnasial uddannelse",
    EducationLevel.ERHVERVSFAGLIG: "Erhvervsfaglig uddannelse",
    EducationLevel.KVU: "Kort videregående uddannelse",
    EducationLevel.MVU: "Mellemlang videregående uddannelse",
    EducationLevel.LVU: "Lang videregående uddannelse",
}


class ExitReason(StrEnum):
    """Why a person left the register (afgangsårsag); the results dashboards count these."""

    JOB = "job"
    EDUCATION = "education"
    OTHER_SUPPORT = "other_support"
    MOVED = "moved"
    OTHER = "other"

    @property
    def label_da(self) -> str:
        return EXIT_REASON_LABELS[self]


EXIT_REASON_LABELS: dict[ExitReason, str] = {
    ExitReason.JOB: "Job",
    ExitReason.EDUCATION: "Uddannelse",
    ExitReason.OTHER_SUPPORT: "Anden forsørgelse",
    ExitReason.MOVED: "Fraflyttet",
    ExitReason.OTHER: "Andet",
}


class ConsentKind(StrEnum):
    """The consents a person gives or withdraws (GDPR art. 7)."""

    SHARE_WITH_EMPLOYERS = "share_with_employers"
    CONTACT_BY_EMAIL = "contact_by_email"
    JOINT_RECRUITMENT = "joint_recruitment"

    @property
    def label_da(self) -> str:
        return CONSENT_KIND_LABELS[self]


CONSENT_KIND_LABELS: dict[ConsentKind, str] = {
    ConsentKind.SHARE_WITH_EMPLOYERS: "Navn og kontaktoplysninger må deles med arbejdsgivere",
    ConsentKind.CONTACT_BY_EMAIL: "Må kontaktes på e-mail",
    ConsentKind.JOINT_RECRUITMENT: "Fælles rekruttering på tværs af a-kasser",
}


class ConsentChannel(StrEnum):
    """How a consent was given or withdrawn."""

    IN_PERSON = "in_person"
    DIGITAL = "digital"
    PAPER = "paper"
    IMPORTED = "imported"

    @property
    def label_da(self) -> str:
        return CONSENT_CHANNEL_LABELS[self]


CONSENT_CHANNEL_LABELS: dict[ConsentChannel, str] = {
    ConsentChannel.IN_PERSON: "Personligt fremmøde",
    ConsentChannel.DIGITAL: "Digitalt",
    ConsentChannel.PAPER: "På papir",
    ConsentChannel.IMPORTED: "Importeret fra fagsystem",
}


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
