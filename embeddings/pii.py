"""Removing personal data from text before it is embedded.

What is removed (replaced by nothing, so no placeholder token can carry a signal of its own):
CPR numbers, e-mail addresses, phone numbers, street addresses and "postal code + town",
the person's own names (given as arguments), ages and birth dates, and standalone gender
words in Danish and English. Gendered Danish occupation forms are neutralised
("rengøringsdame" → "rengøringsassistent"). Kept on purpose: skills, titles, employers,
years of *experience* ("8 års erfaring"), years of employment ("2016–2024") and standards
such as "ISO 9001".

The same function is applied to every text, so the removal itself is symmetric: two CVs that
differ only in name, age or gender words scrub to the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FLAGS = re.IGNORECASE | re.UNICODE
_WORD = r"[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÓóÍíÚú]"

# 010190-1234, 0101901234, 010190 1234 (a 6+4 digit group that is not part of a longer number)
_CPR = re.compile(r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", _FLAGS)
# +45 12 34 56 78, 0045 12345678, 12 34 56 78, 1234 5678, 12345678
_PHONE = re.compile(
    r"(?<![\d.,])(?:(?:\+|00)45[ -]?)?(?:\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}|\d{4}[ -]\d{4})"
    r"(?!\d|[.,]\d)"
)
_STREET_SUFFIX = (
    r"(?:gade|vej|allé|alle|stræde|torv|plads|boulevard|vænge|have|park|bakke|sti|gården|"
    r"toften|marken|engen|høj|holm|parken|strand|vang)"
)
# "Vestergade 12", "Nørre Allé 3B, 2. th.", "H.C. Andersens Boulevard 27, st."
_ADDRESS = re.compile(
    rf"\b(?:{_WORD}+[ .-])?{_WORD}*{_STREET_SUFFIX}\s+\d{{1,4}}\s?[A-Za-z]?\b"
    r"(?:,?\s*(?:st\.?|kl\.?|\d{1,2}\.?)(?:\s*(?:sal|tv\.?|th\.?|mf\.?))?)?",
    _FLAGS,
)
# "5000 Odense C", "2300 København S" (4 digits + capitalised town)
_POSTAL_TOWN = re.compile(r"(?<![\d-])\b[1-9]\d{3}\s+[A-ZÆØÅ][a-zæøå]+(?:\s+[A-ZÆØÅ]{1,2}\b)?")
_DATE = r"\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}"
_BIRTH = re.compile(
    r"\b(?:født|f\.|født den|born(?: on| in)?|date of birth:?|fødselsdato:?)\s*"
    rf"(?:{_DATE}|(?:19|20)\d{{2}})",
    _FLAGS,
)
_AGE = re.compile(
    # "er 32 år", "32 år gammel", "32-årig" — but not "i 3 år" or "8 års erfaring" (experience)
    r"\b(?:(?:jeg er|er|is|i am)\s+\d{1,2}\s*(?:år|years)\b(?!s)|\d{1,2}\s*(?:år gammel|-årig[e]?)|"
    r"(?:alder|age|aged):?\s*\d{1,2}|"  # alder: 32, age 45, aged 45
    r"\d{1,2}\s*(?:years? old|-year-old|yo\b))",
    _FLAGS,
)
_GENDER_WORDS = (
    "kvinde", "kvinder", "kvindelig", "mand", "mænd", "mandlig", "dame", "damer", "herre", "herrer",
    "pige", "piger", "dreng", "drenge", "han", "hun", "ham", "hende", "hans", "hendes",
    "mor", "far", "mødre", "fædre", "fyr",
    "woman", "women", "female", "man", "men", "male", "girl", "boy", "he", "she", "him", "her",
    "his", "hers", "mother", "father", "mr", "mrs", "ms", "miss",
)  # fmt: skip
_GENDER = re.compile(r"\b(?:" + "|".join(_GENDER_WORDS) + r")\b\.?", _FLAGS)
# Gendered occupation forms → neutral forms (whole words only; "lagermand" stays).
_NEUTRAL_TITLES = {
    "rengøringsdame": "rengøringsassistent",
    "rengøringsdamer": "rengøringsassistenter",
    "sekretærinde": "sekretær",
    "sygeplejerskeelev": "sygeplejestuderende",
    "barnepige": "børnepasser",
    "kassedame": "kassemedarbejder",
    "ekspeditrice": "ekspedient",
    "frisørinde": "frisør",
    "chairman": "chair",
    "chairwoman": "chair",
    "salesman": "salesperson",
    "saleswoman": "salesperson",
    "waitress": "server",
    "waiter": "server",
    "stewardess": "flight attendant",
}
_NEUTRAL = re.compile(r"\b(" + "|".join(_NEUTRAL_TITLES) + r")\b", _FLAGS)
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_REPEATED_PUNCT = re.compile(r"[,;:]*\s*([,;:.])(?:\s*[,;:])*(?=\s|$)")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;:]?\s*\)")
_LEADING_PUNCT = re.compile(r"(^|\n)[ \t]*[,;:.]+[ \t]*")


def scrub(text: str, *, names: Iterable[str] = ()) -> str:
    """Return ``text`` without personal data (see the module docstring)."""
    out = text
    for pattern in (_EMAIL, _CPR, _BIRTH, _PHONE, _ADDRESS, _POSTAL_TOWN, _AGE):
        out = pattern.sub(" ", out)
    out = _remove_names(out, names)
    out = _NEUTRAL.sub(lambda m: _neutral(m.group(1)), out)
    out = _GENDER.sub(" ", out)
    return _tidy(out)


def _remove_names(text: str, names: Iterable[str]) -> str:
    parts = sorted(
        {p for name in names for p in re.split(r"[\s-]+", name.strip()) if len(p) >= 2},
        key=len,
        reverse=True,
    )
    if not parts:
        return text
    alternatives = "|".join(re.escape(p) for p in parts)
    # Whole words, also possessive ("Annes", "Anne's"); case-insensitive on purpose: a name is
    # removed wherever it stands, even where it doubles as a common word, which costs little.
    pattern = re.compile(rf"(?<!{_WORD})(?:{alternatives})(?:'?s)?(?!{_WORD})", _FLAGS)
    return pattern.sub(" ", text)


def _neutral(word: str) -> str:
    neutral = _NEUTRAL_TITLES[word.lower()]
    return neutral.capitalize() if word[:1].isupper() else neutral


def _tidy(text: str) -> str:
    lines = []
    for line in text.splitlines():
        line = _EMPTY_BRACKETS.sub(" ", line)
        line = _SPACES.sub(" ", line)
        line = _SPACE_BEFORE_PUNCT.sub(r"\1", line)
        line = _REPEATED_PUNCT.sub(r"\1", line)
        line = _LEADING_PUNCT.sub(r"\1", line)
        lines.append(line.strip())
    return "\n".join(line for line in lines if line)
