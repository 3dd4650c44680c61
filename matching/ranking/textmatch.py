"""Lexical evidence for explanations: which CV skills a vacancy asks for, and what is missing.

Words are compared by their Danish Snowball stem ("lagerstyringen" ~ "lagerstyring"), so
inflected forms count; compounds do not ("certifikat" is not "truckcertifikat"), which keeps
the overlap chips honest. Requirement phrases are cut out of a job ad's requirement lines by
removing the usual Danish and English lead-ins ("Du har erfaring med …", "… er et krav").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

STEM_CACHE_SIZE = 200_000
MAX_PHRASE_WORDS = 6

_WORD_RE = re.compile(r"[0-9a-zæøåäöüé]+(?:[-/][0-9a-zæøåäöüé]+)*", re.IGNORECASE)
# Function words of Danish and English job ads; they carry no evidence.
_STOPWORDS_TEXT = """
og i at det en et den til er som på de med af for ikke der var har vi du man kan skal vil
eller fra om så også efter over under ved hos samt mv mm os jeg dig din dit dine vores være
have lyst lære kategori category nogle noget meget godt god gode ny nye alle andre inden
mellem mod the a an and or of to in on with by from is are be you we your our has will can
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Requirements about language are left to the counsellor: languages are not part of the CV
# data the matcher reads (mother tongue is a proxy for ethnicity; docs/matching.md).
LANGUAGE_WORDS = frozenset({"dansk", "danish", "engelsk", "english", "tysk", "german", "sprog"})

_SKILL_LEAD = (
    r"(?:erfaring med|erfaring fra|kendskab til|viden om|erfaring som|uddannelse som|"
    r"relevant uddannelse som|uddannet som|uddannet|experience with|experience in|"
    r"knowledge of|a background in|a degree in)"
)
_LEAD_INS = re.compile(
    r"^(?:(?:du|vi forventer,? at du|det forventes,? at du|det er en fordel,? hvis du|"
    r"det er et plus,? hvis du|you)\s+)?"
    r"(?:har|er|kan|taler|skriver|have|are|can|speak)?\s*"
    r"(?:gerne\s+)?"
    rf"(?P<skill>{_SKILL_LEAD})?\s*",
    re.IGNORECASE,
)
# What makes a line a requirement a person can act on: a skill lead-in (above), a "must" or
# "advantage" tail, or a credential. Lines about personal traits ("Du er struktureret",
# "You are structured") are not gaps: nobody can take a course in them.
_CREDENTIAL_RE = re.compile(
    r"kørekort|certifikat|bevis|uddannelse|autorisation|licens|licence|certificate|degree",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\s*(?:er et krav|er en fordel|er et plus|eller lyst til at lære det|"
    r"is a must|is an advantage|is a plus|or willingness to learn)\s*$",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(r"[\n;•·]+|(?<=[.!?])\s+")


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("danish")


@lru_cache(maxsize=STEM_CACHE_SIZE)
def stem(word: str) -> str:
    """Danish Snowball stem of one lower-cased word."""
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (hyphenated and slashed compounds kept whole and split)."""
    found: list[str] = []
    for match in _WORD_RE.finditer(text.casefold()):
        token = match.group(0)
        found.append(token)
        if "-" in token or "/" in token:
            found.extend(p for p in re.split(r"[-/]", token) if p)
    return found


@lru_cache(maxsize=STEM_CACHE_SIZE)
def content_stems(text: str) -> tuple[str, ...]:
    """Stems of the content words of ``text``, in order (stopwords left out).

    Cached: skill phrases, job titles and requirement lines repeat across many CVs and lists.
    """
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS)


def stem_set(texts: Iterable[str]) -> frozenset[str]:
    """All content stems of several texts, as a set for fast look-ups."""
    stems: set[str] = set()
    for text in texts:
        stems.update(content_stems(text))
    return frozenset(stems)


# Words that frame a requirement rather than name it ("uddannelse som tømrer" is covered by a
# CV that says "tømrer").
FRAME_STEMS = frozenset({"uddan", "erfaring"})  # stems of "uddannelse", "erfaring"


def covered(phrase: str, stems: frozenset[str]) -> bool:
    """True if every content word of ``phrase`` occurs (by stem) in ``stems``."""
    phrase_stems = [s for s in content_stems(phrase) if s not in FRAME_STEMS]
    return bool(phrase_stems) and all(s in stems for s in phrase_stems)


@lru_cache(maxsize=4096)
def requirement_phrases(requirements: str) -> tuple[str, ...]:
    """Short actionable phrases from a job ad's requirement text, in order, without duplicates.

    "Du har erfaring med lagerstyring." → "lagerstyring"; "Kørekort kategori B er en fordel."
    → "Kørekort kategori B". Only lines that name a skill, a must/advantage or a credential
    count; lines about traits or language, and lines too long to be a phrase, are skipped.
    """
    phrases: list[str] = []
    seen: set[str] = set()
    for part in _SPLIT_RE.split(requirements):
        line = part.strip(" \t-–*.:,!?")
        phrase = _TAIL.sub("", line)
        has_tail = phrase != line
        lead = _LEAD_INS.match(phrase)
        has_skill_lead = bool(lead and lead.group("skill"))
        phrase = phrase[lead.end() :].strip(" .,:") if lead else phrase
        skill_lead = lead.group("skill").casefold() if has_skill_lead else ""
        if "uddan" in skill_lead:
            phrase = f"uddannelse som {phrase}"  # "tømrer" alone would not say what is asked
        elif skill_lead == "erfaring fra":
            phrase = f"erfaring fra {phrase}"  # an industry or a place, not a skill
        if not (has_tail or has_skill_lead or _CREDENTIAL_RE.search(phrase)):
            continue
        content = [w for w in words(phrase) if w not in STOPWORDS]
        if not content or len(content) > MAX_PHRASE_WORDS:
            continue
        if any(w in LANGUAGE_WORDS for w in content):
            continue
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return tuple(phrases)
