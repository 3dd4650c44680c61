"""Cleaning job titles: gender markers, abbreviations, word forms and compounds, the lexical
keys the normaliser and the live suggestions compare."""

from __future__ import annotations

import functools
import re
import unicodedata

from matching.core.errors import ValidationError

MAX_TITLE_CHARS = 200  # a job title or one CV line; longer input is refused, not truncated


# Gender markers of job ads ("(m/k)", "k/m", "(m/w/d)", "h/f"): they say nothing about the job.
_GENDER_MARKER_RE = re.compile(r"\(?(?<!\w)[mkfwhd]\s*/\s*[mkfwhd](?:\s*/\s*[mkfwhdx])?(?!\w)\)?")


# Abbreviations in Danish and English job titles, expanded before both signals see the text.
# Domain facts, each written out by hand: (pattern, replacement), case-insensitive, applied in
# order (longer forms first).
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    # Social- og sundhedshjælper / -assistent (SOSU, SSH, SSA).
    (r"sosu[- ]?hjælper", "social- og sundhedshjælper"),
    (r"sosu[- ]?assistent", "social- og sundhedsassistent"),
    (r"sosu-?(?=\w)", "social- og sundheds"),
    (r"sosu", "social- og sundhedsassistent"),
    (r"ssh", "social- og sundhedshjælper"),
    (r"ssa", "social- og sundhedsassistent"),
    # Pædagog, pædagogmedhjælper.
    (r"pæd\.?\s*medhj\.?", "pædagogmedhjælper"),
    (r"pæd\.?", "pædagog"),
    (r"medhj\.?", "medhjælper"),
    # HK (the union of office and retail clerks): an "HK'er" is an office clerk.
    (r"hk'?ere?", "kontorassistent"),
    (r"hk-?(?=\w)", "kontor"),
    (r"hk", "kontor"),
    (r"edb", "it"),
    (r"sygepl\.?", "sygeplejerske"),
    (r"spl\.", "sygeplejerske"),
    (r"afd\.?\s*leder", "afdelingsleder"),
    (r"afd\.?", "afdeling"),
    (r"ass\.", "assistent"),
    (r"adm\.?", "administrativ"),
    (r"udd\.", "uddannet"),
    # English.
    (r"mgr\.?", "manager"),
    (r"asst\.?", "assistant"),
    (r"snr\.?|sr\.", "senior"),
    (r"jnr\.?|jr\.?", "junior"),
    (r"engr\.?", "engineer"),
    (r"admin", "administrative"),  # "admin assistant", "admin clerk": the adjective
    (r"exec\.?", "executive"),
    (r"reps?", "representative"),
    (r"coord\.?", "coordinator"),
    (r"supvr?\.?", "supervisor"),
    (r"techs?", "technician"),
    (r"devs?", "developer"),
    (r"ops", "operations"),
    (r"acct\.?", "accountant"),
    (r"ceo", "chief executive officer"),
    (r"cfo", "chief financial officer"),
    (r"cto", "chief technology officer"),
    (r"vp", "vice president"),
    (r"hgv", "heavy goods vehicle"),
    (r"qa", "quality assurance"),
    (r"qc", "quality control"),
    (r"pa", "personal assistant"),
)


# One pass over the text with every abbreviation as an alternative, tried in the order above
# (longer forms first), so an expansion is never expanded again. A pattern ending in a
# look-ahead ("sosu-?(?=\w)") is the first part of a compound; every other pattern must end
# at a word boundary.
_ABBREVIATION_RE = re.compile(
    r"(?<!\w)(?:"  # at the start of a word only (checked once, not per alternative)
    + "|".join(
        rf"(?P<a{i}>{pattern}" + ("" if pattern.endswith(r"(?=\w)") else r"(?!\w)") + ")"
        for i, (pattern, _) in enumerate(_ABBREVIATIONS)
    )
    + ")",
    re.IGNORECASE,
)


# "-svend" (journeyman) names the trade itself: "murersvend" is a bricklayer, "malersvend" a
# painter. Left in place, the dense model reads "svend" as a trade of its own.
_JOURNEYMAN_RE = re.compile(r"(?<=\w{3})svend(?:e|en|ene)?(?!\w)", re.IGNORECASE)


def _expand(match: re.Match[str]) -> str:
    return _ABBREVIATIONS[int((match.lastgroup or "a0")[1:])][1]


# Female and gendered forms → one neutral form (applied to whole, case-folded words).
_WORD_FORMS: dict[str, str] = {
    "ekspeditrice": "ekspedient",
    "servitrice": "tjener",
    "servitør": "tjener",
    "direktrice": "direktør",
    "redaktrice": "redaktør",
    "waitress": "waiter",
    "actress": "actor",
    "stewardess": "steward",
    "hostess": "host",
    "seamstress": "tailor",
    "headmistress": "headmaster",
    "manageress": "manager",
    "sculptress": "sculptor",
    "usherette": "usher",
}


# The person a job title names, in every gendered or neutral form, becomes one canonical word
# per language so that the forms share their n-grams: Danish "lagermand", "lagerkvinde",
# "lagerarbejder", "lagermedarbejder" → "lager medarbejder"; English "salesman", "saleswoman",
# "salesperson", "sales person" → "sales person". The languages keep separate words:
# "medarbejder" is so common in Danish labels that its n-grams carry little weight, which
# English titles should not inherit.
PERSON_WORD_DA = "medarbejder"


PERSON_WORD_EN = "person"


_PERSON_SUFFIX_DA_RE = re.compile(
    r"^(?P<stem>\w{3,}?)(?:med)?(?:mand|mænd|kvinde|kvinder|dame|damer|pige|piger|kone|koner"
    r"|folk|arbejder|arbejdere)$"
)


_PERSON_SUFFIX_EN_RE = re.compile(r"^(?P<stem>\w{3,}?)(?:man|men|woman|women|persons?|people)$")


# fmt: off
_PERSON_WORDS: dict[str, str] = {
    **dict.fromkeys(("mand", "mænd", "kvinde", "kvinder", "dame", "damer", "medarbejder",
                     "medarbejdere", "arbejder", "arbejdere"), PERSON_WORD_DA),
    **dict.fromkeys(("man", "men", "woman", "women", "person", "persons", "personer", "people"),
                    PERSON_WORD_EN),
}


# fmt: on
# "-erske" and "-inde" mark the female form of a trade: syerske → syer, lærerinde → lærer.
_FEMALE_SUFFIX_RE = re.compile(r"^(?P<stem>\w{3,}?(?:er|[rt]))(?:ske|inde)$")


# Heads of Danish occupational compounds: "lagermedarbejder" is split into "lager medarbejder"
# so that it shares word-boundary n-grams with "medarbejder på lager".
# fmt: off
_HEADS = (
    "medarbejder", "assistent", "medhjælper", "hjælper", "tekniker", "operatør", "leder", "chef",
    "direktør", "konsulent", "rådgiver", "specialist", "koordinator", "inspektør", "ingeniør",
    "mester", "sælger", "montør", "mekaniker", "lærer", "pædagog", "elev", "lærling", "fører",
    "chauffør", "ekspedient", "sekretær", "fuldmægtig", "planlægger", "udvikler", "designer",
    "håndværker", "ansvarlig", "supporter", "administrator", "analytiker", "agent", "betjent",
    "terapeut", "instruktør", "træner", "repræsentant", "sygeplejer", "læge", "kok", "tjener",
    "maler", "smed", "mager", "vagt", "arkitekt", "forsker", "underviser", "producent",
    "redaktør", "journalist", "psykolog", "jurist", "økonom", "revisor", "bogholder",
)


# fmt: on
COMPOUND_HEADS: tuple[str, ...] = tuple(sorted(_HEADS, key=len, reverse=True))  # longest first


MIN_COMPOUND_STEM_CHARS = 3


# Distinct words remembered by _canonical_word: the ESCO labels hold about 20,000.
CANONICAL_WORD_CACHE_SIZE = 65_536


_NON_WORD_RE = re.compile(r"[\W_]+")


_SPACE_RE = re.compile(r"\s+")


def clean_title(text: str) -> str:
    """The title as a person would write it in full: Unicode-normalised (NFKC), gender markers
    such as "(m/k)" removed, abbreviations expanded ("SOSU-hjælper" → "social- og
    sundhedshjælper"), "-svend" dropped ("murersvend" → "murer"), whitespace collapsed. Case
    is kept (the dense model reads it)."""
    text = unicodedata.normalize("NFKC", text)
    text = _GENDER_MARKER_RE.sub(" ", text)
    text = _ABBREVIATION_RE.sub(_expand, text)
    text = _JOURNEYMAN_RE.sub("", text)
    return _SPACE_RE.sub(" ", text).strip()


@functools.lru_cache(maxsize=CANONICAL_WORD_CACHE_SIZE)
def _canonical_word(word: str) -> str:
    """One case-folded word in its neutral form, split before a known compound head."""
    word = _WORD_FORMS.get(word, word)
    if word in _PERSON_WORDS:
        return _PERSON_WORDS[word]
    if word.endswith("medhjælper"):  # "lagermedhjælper" = "lagerhjælper"
        word = word[: -len("medhjælper")] + "hjælper"
    female = _FEMALE_SUFFIX_RE.match(word)
    if female:
        word = female.group("stem")
    person = _PERSON_SUFFIX_DA_RE.match(word)
    if person:
        word = person.group("stem") + PERSON_WORD_DA
    else:
        person = _PERSON_SUFFIX_EN_RE.match(word)
        if person:  # English has no compounds to split: "salesman" → "sales person"
            return f"{person.group('stem')} {PERSON_WORD_EN}"
    for head in COMPOUND_HEADS:
        if word.endswith(head) and len(word) - len(head) >= MIN_COMPOUND_STEM_CHARS:
            return f"{word[: -len(head)]} {head}"
    return word


def lexical_key(text: str) -> str:
    """The normalised form the lexical signal compares (the same for titles and labels).

    :func:`clean_title`, case-folded; punctuation becomes space (hyphenated and slashed forms
    fall apart into words); gendered forms become neutral ("lagermand", "lagerarbejder" →
    "lager medarbejder"; "sygeplejerske" → "sygeplejer"; "saleswoman" → "sales person");
    Danish compounds are split before a known occupational head.
    """
    words = _NON_WORD_RE.sub(" ", clean_title(text).casefold()).split()
    return " ".join(_canonical_word(word) for word in words)


def simple_key(text: str) -> str:
    """Case-folded text with punctuation and whitespace runs reduced to one space.

    The surface-form identity of two labels ("IT-supporter" = "it supporter"), without any
    of the normalisation :func:`lexical_key` adds.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


def validate_title(title: str) -> str:
    """The title stripped; raises :class:`ValidationError` (Danish message) for unusable input."""
    if not isinstance(title, str):
        raise ValidationError("Stillingsbetegnelsen skal være tekst.")
    stripped = title.strip()
    if not stripped:
        raise ValidationError("Stillingsbetegnelsen må ikke være tom.")
    if len(stripped) > MAX_TITLE_CHARS:
        raise ValidationError(
            f"Stillingsbetegnelsen er for lang ({len(stripped)} tegn; højst {MAX_TITLE_CHARS})."
        )
    if not any(ch.isalpha() for ch in clean_title(stripped)):
        raise ValidationError("Stillingsbetegnelsen skal indeholde mindst ét bogstav.")
    return stripped
