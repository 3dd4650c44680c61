"""Removing personal data from text before it is embedded.

What is removed (replaced by nothing, so no placeholder token can carry a signal of its own):
CPR numbers, e-mail addresses, phone numbers, street addresses and "postal code + town",
the person's own names (given as arguments), ages and birth dates, and standalone gender
words in Danish and English. Gendered Danish occupation forms are neutralised
("rengøringsdame" → "rengøringsassistent"). Kept on purpose: skills, titles, employers,
years of *experience* ("8 års erfaring"), years of employment ("2016–2024") and standards
such as "ISO 9001".

The same function is applied to every text, so the removal itself is symmetric: two CVs that
differ only in name, age or gender words scrub to the same text. Removal rather than a
placeholder ("[NAVN]") because a token would itself be embedded, and a per-category token
would tell the model *which* attribute was there.

Decisions worth knowing:

* Names: every given name and surname passed in ``names`` is removed as a whole word, also
  possessive ("Annes", "Anne's"). A run of two or more name parts ("anne hansen") is removed
  in any case; a *single* part is removed only when capitalised ("Skov", "SKOV"), because in
  lower case inside a sentence it is far more often the common word a surname was made from
  ("skov", "fisker", "bo", "mølle") — and "fisker" may be the person's trade.
* Ages: "32 år gammel", "er 32 år", "32-årig", ", 32 år," / "(32 år)", "alder 32", "age 45",
  "45 years old"; a bare "3 år" is a duration and stays, as does "8 års erfaring".
* Gender words that are ordinary words in the other language are removed only in sentences
  that look like that language: "men" (Danish: but), "her" (here), "man" (one) only in English
  sentences, "far" (English: far) only in Danish ones.
* Gendered occupation forms map to the neutral title ("rengøringsdame" →
  "rengøringsassistent"). That is the only way the output can grow: by at most
  ``MAX_TITLE_GROWTH_CHARS`` per neutralised title; everything else only removes.
* ``scrub`` is idempotent: it repeats its passes until nothing changes (a removal can make a
  new match, e.g. two digit groups that end up side by side).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FLAGS = re.IGNORECASE | re.UNICODE
_WORD = r"[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÓóÍíÚú]"

# 010190-1234, 0101901234, 010190 1234 (a 6+4 digit group that is not part of a longer number)
_CPR = re.compile(
    r"(?i:\bcpr(?:-?n(?:r|ummer))?\.?:?\s*)?"
    r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)"
)
# A contact label ("tlf.", "e-mail:") goes with the number or address it introduces.
_CONTACT_LABEL = r"(?:\b(?:tlf|telefon|mobil|mob|phone|tel|mail|e-mail|email)\.?:?\s*)?"
_EMAIL = re.compile(_CONTACT_LABEL + r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", _FLAGS)
# +45 12 34 56 78, 0045 12345678, 12 34 56 78, 1234 5678, 12345678
_PHONE = re.compile(
    _CONTACT_LABEL
    + r"(?<![\d.,])(?:(?:\+|00)45[ -]?)?(?:\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}|\d{4}[ -]\d{4})"
    r"(?!\d|[.,]\d)",
    _FLAGS,
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
    r"\d{1,2}\s*(?:years? old|-year-old|yo\b)|"
    # an age in apposition: "Mads, 32 år, søger ..." / "(32 år)"
    r"(?:(?<=[,(])|(?<=[,(] ))(?:1[5-9]|[2-9]\d)\s*år\b(?!s)(?=\s*[,)]))",
    _FLAGS,
)
_GENDER_WORDS = (
    "kvinde", "kvinder", "kvindelig", "mand", "mænd", "mandlig", "dame", "damer", "herre", "herrer",
    "pige", "piger", "dreng", "drenge", "han", "hun", "ham", "hende", "hans", "hendes",
    "mor", "mødre", "fædre",
    "woman", "women", "female", "male", "girl", "boy", "he", "she", "him",
    "his", "hers", "mother", "father", "mr", "mrs", "ms",
)  # fmt: skip
# Gender words that are common words in the other language (see the module docstring).
_ENGLISH_ONLY_GENDER_WORDS = ("man", "men", "her")
_DANISH_ONLY_GENDER_WORDS = ("far",)
_GENDER = re.compile(r"(?i:\b(?:" + "|".join(_GENDER_WORDS) + r")\b\.?)|\bMiss\b", re.UNICODE)
_GENDER_EN = re.compile(r"\b(?:" + "|".join(_ENGLISH_ONLY_GENDER_WORDS) + r")\b", _FLAGS)
_GENDER_DA = re.compile(r"\b(?:" + "|".join(_DANISH_ONLY_GENDER_WORDS) + r")\b", _FLAGS)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_ENGLISH_MARKERS = frozenset((
    "the", "and", "is", "are", "was", "with", "of", "to", "in", "a", "an", "i", "have", "has",
    "my", "as", "on", "this", "that",
))  # fmt: skip
_DANISH_MARKERS = frozenset((
    "og", "er", "jeg", "det", "at", "en", "et", "på", "med", "til", "som", "har", "af", "den",
    "de", "min", "mit", "mine", "ikke",
))  # fmt: skip
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


MAX_PASSES = 5  # scrub passes until a fixpoint (in practice 1-2 are needed)
MAX_TITLE_GROWTH_CHARS = max(len(v) - len(k) for k, v in _NEUTRAL_TITLES.items())


def scrub(text: str, *, names: Iterable[str] = ()) -> str:
    """Return ``text`` without personal data (see the module docstring for what and why).

    ``names`` are the person's known names ("Anne Marie Hansen" or its parts). The result
    keeps line breaks, has no doubled spaces or stray punctuation, and
    ``scrub(scrub(x)) == scrub(x)``.
    """
    name_patterns = _name_patterns(names)
    out = text
    for _ in range(MAX_PASSES):
        scrubbed = _scrub_once(out, name_patterns)
        if scrubbed == out:
            break
        out = scrubbed
    return out


def _scrub_once(text: str, name_patterns: tuple[re.Pattern[str], ...]) -> str:
    out = text
    for pattern in (_EMAIL, _CPR, _BIRTH, _PHONE, _ADDRESS, _POSTAL_TOWN, _AGE):
        out = pattern.sub(" ", out)
    for pattern in name_patterns:
        out = pattern.sub(" ", out)
    out = _NEUTRAL.sub(lambda m: _neutral(m.group(1)), out)
    out = _GENDER.sub(" ", out)
    out = _SENTENCE.sub(_language_specific_gender_words, out)
    return _tidy(out)


def _language_specific_gender_words(match: re.Match[str]) -> str:
    sentence = match.group(0)
    words = re.findall(rf"{_WORD}+", sentence.lower())
    english = sum(w in _ENGLISH_MARKERS for w in words)
    danish = sum(w in _DANISH_MARKERS for w in words) + sum(c in "æøå" for c in sentence.lower())
    if english > danish:
        return _GENDER_EN.sub(" ", sentence)
    if danish > english:
        return _GENDER_DA.sub(" ", sentence)
    return sentence


def _name_patterns(names: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """(run of 2+ name parts in any case, single capitalised part), longest parts first."""
    parts = sorted(
        {p for name in names for p in re.split(r"[\s-]+", name.strip()) if len(p) >= 2},
        key=len,
        reverse=True,
    )
    if not parts:
        return ()
    alternatives = "|".join(re.escape(p) for p in parts)
    one = rf"(?:{alternatives})"
    possessive = r"(?:'?s)?"
    run = re.compile(rf"(?<!{_WORD}){one}(?:[\s-]+{one})+{possessive}(?!{_WORD})", _FLAGS)
    # A single part only when capitalised: first letter matched case-sensitively upper case.
    capitalised = "|".join(re.escape(p[0].upper()) + f"(?i:{re.escape(p[1:])})" for p in parts)
    single = re.compile(rf"(?<!{_WORD})(?:{capitalised}){possessive}(?!{_WORD})", re.UNICODE)
    return run, single


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
