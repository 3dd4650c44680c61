"""Lines of a CV: personal data taken out, section headings recognised.

Personal data never reaches the draft: e-mail addresses, phone numbers and CPR-like numbers are
cut out of every line, and contact lines (address, birth date, LinkedIn …) are dropped. A heading
is a short line that is one of the known section names, Danish or English, whatever its case,
punctuation or letter spacing ("E R F A R I N G"); it may carry content after a colon or a tab
("Kørekort: B, C").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PROFILE = "profile"
EXPERIENCE = "experience"
EDUCATION = "education"
SKILLS = "skills"
LANGUAGES = "languages"
LICENCES = "licences"
DESIRED = "desired"
IGNORED = "ignored"

_HEADINGS: dict[str, tuple[str, ...]] = {
    PROFILE: (
        "profil", "personlig profil", "min profil", "profiltekst", "resumé", "resume", "résumé",
        "sammenfatning", "opsummering", "kort om mig", "om mig", "introduktion", "præsentation",
        "summary", "profile", "personal profile", "professional profile", "professional summary",
        "about", "about me", "career summary", "career profile", "introduction", "overview",
    ),
    EXPERIENCE: (
        "erfaring", "erhvervserfaring", "arbejdserfaring", "joberfaring", "relevant erfaring",
        "beskæftigelse", "ansættelser", "tidligere ansættelser", "ansættelseshistorik",
        "karriere", "job", "jobs", "stillinger", "arbejde", "erhvervserfaring og job",
        "experience", "work experience", "professional experience", "relevant experience",
        "employment", "employment history", "work history", "career", "career history",
        "positions", "professional background", "erfaring og ansættelser",
    ),
    EDUCATION: (
        "uddannelse", "uddannelser", "uddannelse og kurser", "kurser og uddannelse",
        "uddannelser og kurser", "kurser", "kurser og certifikater", "certifikater",
        "efteruddannelse", "skolegang", "education", "educations", "education and training",
        "education and courses", "courses", "training", "certifications", "certificates",
        "courses and certificates", "qualifications and education", "academic background",
        "qualifications", "skolegang og uddannelse",
    ),
    SKILLS: (
        "kompetencer", "færdigheder", "faglige kompetencer", "personlige kompetencer",
        "kvalifikationer", "nøglekompetencer", "it kompetencer", "it", "styrker",
        "it kundskaber", "kundskaber", "edb", "it færdigheder", "edb kundskaber",
        "kompetencer og færdigheder", "faglige og personlige kompetencer", "skills",
        "key skills", "core skills", "technical skills", "competencies", "competences",
        "personal skills", "it skills", "skills and competencies", "strengths",
    ),
    LANGUAGES: (
        "sprog", "sprogkundskaber", "sprogkompetencer", "sprogfærdigheder", "languages",
        "language", "language skills", "sprog og kørekort", "languages and driving licence",
        "languages and driving license",
    ),
    LICENCES: (
        "kørekort", "kørekort og certifikater", "driving licence", "driving license",
        "driving licences", "driving licenses", "drivers licence", "drivers license",
        "driver licence", "driver license", "licence", "license", "licences", "licenses",
    ),
    DESIRED: (
        "jobønsker", "jobønske", "ønsket job", "ønskede job", "ønsket stilling",
        "ønskede stillinger", "jobmål", "job mål", "ønsker", "søger job som", "jeg søger",
        "jeg søger job som", "desired position", "desired positions", "desired job",
        "desired jobs", "desired occupations", "job goals", "job goal", "target position",
        "target positions", "looking for", "career objective", "objective", "job wishes",
    ),
    IGNORED: (
        "kontakt", "kontaktoplysninger", "kontaktinformation", "personlige oplysninger",
        "personlige data", "stamdata", "referencer", "reference", "interesser",
        "fritidsinteresser", "fritid", "hobbyer", "hobbies", "andet", "øvrigt",
        "frivilligt arbejde",
        "contact", "contact details", "contact information", "personal details",
        "personal information", "references", "interests", "hobbies and interests", "other",
        "volunteering", "volunteer work", "curriculum vitae", "cv",
    ),
}  # fmt: skip


_FILLER = {"og", "and", "mine", "min", "mit", "my"}  # "Uddannelse & kurser", "Mine kompetencer"


def heading_key(text: str) -> str:
    """Lower case, accents and punctuation folded to spaces (æ, ø, å kept)."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("'", "")
    text = re.sub(r"[^\wæøå ]", " ", text).strip()
    if re.fullmatch(r"\w(?: +\w)+", text):  # "e r f a r i n g", "o m  m i g"
        text = " ".join(word.replace(" ", "") for word in re.split(r" {2,}", text))
    text = re.sub(r"\d+", " ", text)
    return " ".join(w for w in text.split() if w not in _FILLER)


HEADINGS = {heading_key(name): kind for kind, names in _HEADINGS.items() for name in names}
MAX_HEADING_CHARS = 45


@dataclass(frozen=True)
class Heading:
    kind: str
    rest: str  # content on the heading's own line, after a colon or tab


def find_heading(line: str) -> Heading | None:
    """The section a line opens, or None. "Kørekort: B" is a heading with rest "B"."""
    text = line.strip().lstrip("•*#-–·>").strip()
    if not text:
        return None
    head, rest = text, ""
    split = re.match(r"^([^:\t]{1,45}?)\s*(?::|\t)\s*(.*)$", text)
    if split:
        head, rest = split.group(1), split.group(2)
    if len(head) > MAX_HEADING_CHARS:
        return None
    kind = HEADINGS.get(heading_key(head))
    if kind is None:
        return None
    if not split and text.endswith(".") and len(text.split()) > 2:
        return None  # a sentence, not a heading
    return Heading(kind, rest.strip())


# --- personal data --------------------------------------------------------------------------

_EMAIL = re.compile(r"[^\s@<>()|,;]*@[^\s@<>()|,;]*")  # any word with an @, even cut off
_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\blinkedin\.com/\S*")
# CPR: ddmmyy-nnnn (the day and month checked loosely), with or without the dash.
_CPR = re.compile(r"(?<!\d)(?:[0-3]\d[01]\d\d\d)[ -]?\d{4}(?!\d)")
# Phones: +45 12 34 56 78, 0045 12345678, 12 34 56 78, 1234 5678, (+45) 12345678, and longer
# international numbers after a +.
_PHONE = re.compile(
    r"(?<![\w/.-])(?:(?:\(?\+\d{1,3}\)?|00\d{2})[\s.]?)?"
    r"(?:\d{2}[\s.]?\d{2}[\s.]?\d{2}[\s.]?\d{2}|\d{4}\s\d{4})(?![\w/-])"
    r"|(?<![\w])\+\d{1,3}[\s\d().-]{7,16}\d"
)
_CONTACT_LABELS = re.compile(
    r"(?i)^\s*(?:adresse|address|tlf|telefon|telefonnummer|mobil|mobilnr|mobile|phone|tel"
    r"|e-?mail|mail|cpr|cpr-?nr|cpr-?nummer|personnummer|fødselsdato|født|date of birth"
    r"|birth ?date|born|alder|age|nationalitet|nationality|statsborgerskab|citizenship"
    r"|civilstand|marital status|linkedin|web|hjemmeside|website|github|postnr|by|city"
    r"|navn|name)\b\.?\s*(?::|\t|·|\||$)"
)
_ADDRESS = re.compile(
    r"^(?P<street>[\wæøåÆØÅ.' -]+\s\d+[a-zA-Z]?(?:,?\s*(?:\d+\.?\s*(?:sal|th|tv|mf)?\.?)*)?,?\s+)?"
    r"(?:DK-?|dk-?)?(?P<postal>[1-9]\d{3})\s+[A-ZÆØÅ][\wæøåÆØÅ .-]*$"
)


def _phone_or_years(match: re.Match[str]) -> str:
    """Two years side by side ("2015 2018") are a period, not a phone number."""
    digits = match.group().split()
    if len(digits) == 2 and all(re.fullmatch(r"(?:19|20)\d{2}", d) for d in digits):
        return match.group()
    return " "


def scrub(line: str) -> tuple[str, bool]:
    """``line`` without personal data; True when a CPR-like number was taken out."""
    cpr = bool(_CPR.search(line))
    text = _EMAIL.sub(" ", line)
    text = _URL.sub(" ", text)
    text = _CPR.sub(" ", text)
    text = _PHONE.sub(_phone_or_years, text)
    if text != line:
        text = re.sub(r"[ ]{2,}", " ", text)
        text = re.sub(r"(?i)\b(?:tlf|telefon|mobil|phone|e-?mail|mail|cpr(?:-?nr)?)\.?\s*:?\s*$",
                      "", text)  # fmt: skip
        text = text.strip(" ,;|·•-–\t:/")
        if re.fullmatch(r"(?i)\.?(?:dk|com|net|org|se|no|de|eu|info|io)", text):
            return "", cpr  # the end of an e-mail address broken over two lines
    return text, cpr


def is_contact_line(line: str) -> bool:
    """An address, a postal code and town, or a labelled contact detail."""
    text = line.strip()
    if _CONTACT_LABELS.match(text):
        return True
    address = _ADDRESS.match(text)
    if address is None or len(text) > 70:
        return False
    # "2019 Lagerarbejder" is a year and a title; "8000 Aarhus C" a postal code and a town.
    return bool(address["street"]) or not 1940 <= int(address["postal"]) <= 2039
