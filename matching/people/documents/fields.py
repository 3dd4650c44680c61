"""The small fields of a CV: list items, languages with levels, driving licence categories,
and telling a job title from an employer and an education from a school."""

from __future__ import annotations

import re

from matching.people.documents.draft import ParsedLanguage

# --- list items -----------------------------------------------------------------------------

# Bullets as extracted: Unicode bullets, dashes, and the private-use and DEL code points that
# Symbol/Wingdings bullets become in PDF text layers.
_BULLET = re.compile(
    r"^\s*(?:[•·▪■□◦●○‣⁃∙➢►▶\-–—*>✓✔\x7f\ue000-\uf8ff]\s*(?=\S)|\d{1,2}[.)]\s+(?=[A-ZÆØÅ]))"
)  # "1. Lagermedarbejder" is a numbered item; "10. klasse" is not
_ITEM_SPLIT = re.compile(r"\s*(?:[;•·▪|\t]|\s[-–—]\s|,(?![^()]*\)))\s*")
MAX_ITEM_CHARS = 100


def strip_bullet(line: str) -> str:
    return _BULLET.sub("", line).strip()


def is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def list_items(lines: list[str], *, split_dashes: bool = True) -> list[str]:
    """Items of a list written one per line, or several on a line separated by commas,
    semicolons, bullets, bars or tabs (commas inside brackets do not split)."""
    items: list[str] = []
    for line in lines:
        text = strip_bullet(line)
        if not text:
            continue
        pattern = _ITEM_SPLIT if split_dashes else re.compile(r"\s*(?:[;•·▪|\t]|,(?![^()]*\)))\s*")
        for part in pattern.split(text):
            part = part.strip(" .:")
            if part and len(part) <= MAX_ITEM_CHARS and not re.fullmatch(r"[\W\d_]+", part):
                items.append(part)
    return list(dict.fromkeys(items))


# --- languages ------------------------------------------------------------------------------

LANGUAGE_NAMES = {
    "dansk": "Dansk", "danish": "Dansk", "engelsk": "Engelsk", "english": "Engelsk",
    "tysk": "Tysk", "german": "Tysk", "fransk": "Fransk", "french": "Fransk",
    "spansk": "Spansk", "spanish": "Spansk", "svensk": "Svensk", "swedish": "Svensk",
    "norsk": "Norsk", "norwegian": "Norsk", "arabisk": "Arabisk", "arabic": "Arabisk",
    "tyrkisk": "Tyrkisk", "turkish": "Tyrkisk", "polsk": "Polsk", "polish": "Polsk",
    "rumænsk": "Rumænsk", "romanian": "Rumænsk", "somali": "Somali", "somalisk": "Somali",
    "ukrainsk": "Ukrainsk", "ukrainian": "Ukrainsk", "tigrinya": "Tigrinya",
    "russisk": "Russisk", "russian": "Russisk", "italiensk": "Italiensk", "italian": "Italiensk",
    "portugisisk": "Portugisisk", "portuguese": "Portugisisk", "persisk": "Persisk",
    "farsi": "Persisk", "persian": "Persisk", "dari": "Dari", "pashto": "Pashto",
    "kurdisk": "Kurdisk", "kurdish": "Kurdisk", "urdu": "Urdu", "hindi": "Hindi",
    "tamil": "Tamil", "vietnamesisk": "Vietnamesisk", "vietnamese": "Vietnamesisk",
    "kinesisk": "Kinesisk", "chinese": "Kinesisk", "mandarin": "Kinesisk",
    "litauisk": "Litauisk", "lithuanian": "Litauisk", "lettisk": "Lettisk", "latvian": "Lettisk",
    "estisk": "Estisk", "estonian": "Estisk", "bulgarsk": "Bulgarsk", "bulgarian": "Bulgarsk",
    "ungarsk": "Ungarsk", "hungarian": "Ungarsk", "græsk": "Græsk", "greek": "Græsk",
    "hollandsk": "Nederlandsk", "nederlandsk": "Nederlandsk", "dutch": "Nederlandsk",
    "finsk": "Finsk", "finnish": "Finsk", "islandsk": "Islandsk", "icelandic": "Islandsk",
    "færøsk": "Færøsk", "faroese": "Færøsk", "grønlandsk": "Grønlandsk",
    "greenlandic": "Grønlandsk", "bosnisk": "Bosnisk", "bosnian": "Bosnisk",
    "serbisk": "Serbisk", "serbian": "Serbisk", "kroatisk": "Kroatisk", "croatian": "Kroatisk",
    "albansk": "Albansk", "albanian": "Albansk", "tjekkisk": "Tjekkisk", "czech": "Tjekkisk",
    "slovakisk": "Slovakisk", "slovak": "Slovakisk", "thai": "Thai", "tagalog": "Tagalog",
    "japansk": "Japansk", "japanese": "Japansk", "koreansk": "Koreansk", "korean": "Koreansk",
    "amharisk": "Amharisk", "amharic": "Amharisk", "swahili": "Swahili", "hebraisk": "Hebraisk",
    "hebrew": "Hebraisk", "nepali": "Nepali", "bengali": "Bengali", "punjabi": "Punjabi",
}  # fmt: skip

# Longest phrases first: "meget godt" before "godt".
_LEVELS: tuple[tuple[str, str], ...] = (
    ("modersmål", "Modersmål"), ("modersmaal", "Modersmål"), ("mother tongue", "Modersmål"),
    ("native speaker", "Modersmål"), ("native", "Modersmål"), ("første sprog", "Modersmål"),
    ("meget godt", "Flydende"), ("very good", "Flydende"), ("flydende", "Flydende"),
    ("fluent", "Flydende"), ("fluently", "Flydende"), ("advanced", "Flydende"),
    ("proficient", "Flydende"), ("c2", "Flydende"), ("c1", "Flydende"), ("øvet", "Godt"),
    ("godt", "Godt"), ("god", "Godt"), ("good", "Godt"), ("intermediate", "Godt"),
    ("conversational", "Godt"), ("b2", "Godt"), ("rimeligt", "Rimeligt"), ("rimelig", "Rimeligt"),
    ("fair", "Rimeligt"), ("reasonable", "Rimeligt"), ("middel", "Rimeligt"), ("b1", "Rimeligt"),
    ("nogenlunde", "Rimeligt"), ("grundlæggende", "Basis"), ("basis", "Basis"),
    ("basic", "Basis"), ("a2", "Basis"), ("elementary", "Basis"), ("begynder", "Begynder"),
    ("beginner", "Begynder"), ("a1", "Begynder"), ("lidt", "Begynder"),
)  # fmt: skip
_LEVEL_RE = re.compile(
    r"(?i)(?<![\wæøå])(" + "|".join(re.escape(k) for k, _ in _LEVELS) + r")(?![\wæøå])"
)
_LEVEL_OF = dict(_LEVELS)


def language_of(word: str) -> str | None:
    key = word.strip().lower()
    if key in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[key]
    return None


def level_of(text: str) -> str | None:
    match = _LEVEL_RE.search(text)
    return _LEVEL_OF[match.group(1).lower()] if match else None


_WORD = re.compile(r"[A-Za-zÆØÅæøåÀ-ÿ]+")


def languages(lines: list[str]) -> list[ParsedLanguage]:
    """ "Dansk (modersmål)", "Engelsk – flydende", "English: fluent", "Tysk<TAB>Basis",
    "Dansk: modersmål, engelsk: godt", and a bare "Spansk"."""
    found: dict[str, ParsedLanguage] = {}
    for line in lines:
        text = strip_bullet(line)
        # Find each language name and the level words up to the next language name.
        names = [
            (m.start(), m.end(), language_of(m.group()))
            for m in _WORD.finditer(text)
            if language_of(m.group())
        ]
        for i, (_start, end, name) in enumerate(names):
            stop = names[i + 1][0] if i + 1 < len(names) else len(text)
            level = level_of(text[end:stop])
            if name and (name not in found or (level and not found[name].level)):
                found[name] = ParsedLanguage(name, level)
    return list(found.values())


# --- driving licences -----------------------------------------------------------------------

_LICENCE_CODES = ("AM", "A1", "A2", "A", "B", "BE", "B/E", "C1", "C1E", "C", "CE", "D1", "D1E",
                  "D", "DE", "T", "L")  # fmt: skip
_LICENCE_RE = re.compile(
    r"(?<![\wæøå])(?:(?:kat(?:egori)?\.?|category|cat\.?)\s*)?"
    r"(AM|A1|A2|C1\s*\+?\s*E|D1\s*\+?\s*E|C1|D1|B\s*[+/]?\s*E|C\s*[+/]?\s*E|D\s*[+/]?\s*E|[ABCDT])"
    r"(?![\wæøå])(?!/[sS]\b)"
)
_TRUCK = re.compile(r"(?i)gaffeltruck|truckcertifikat|truck|forklift|reach ?truck")
_TRACTOR = re.compile(r"(?i)traktor|tractor")
_PLAIN_CAR = re.compile(r"(?i)almindeligt? (?:kørekort|bil)|personbil|\bbil\b|\bcar\b")
_NO_LICENCE = re.compile(r"(?i)\b(?:intet|ingen|nej|har ikke|no|none)\b")


def licences(lines: list[str]) -> list[str]:
    """Categories as the CV model stores them: "B", "BE", "C", "CE", "C1", "D", "T", "truck"…"""
    found: list[str] = []
    for line in lines:
        text = strip_bullet(line)
        text = re.sub(r"(?i)\b(?:kørekort|driving licen[cs]e|drivers? licen[cs]e|licen[cs]e)\b",
                      " ", text)  # fmt: skip
        if _NO_LICENCE.search(text) and not _LICENCE_RE.search(text):
            continue
        for match in _LICENCE_RE.finditer(text):
            code = re.sub(r"[\s+/]", "", match.group(1)).upper()
            if code in {c.replace("/", "") for c in _LICENCE_CODES} and code != "L":
                found.append(code)
        if _TRUCK.search(text):
            found.append("truck")
        if _TRACTOR.search(text):
            found.append("T")
        if _PLAIN_CAR.search(text) and "B" not in found:
            found.append("B")
    return list(dict.fromkeys(found))


# --- titles, employers, educations and schools ----------------------------------------------

# Legal forms and public bodies: an employer for certain.
_EMPLOYER_STRONG = re.compile(
    r"(?i)(?:\b(?:a/s|aps|i/s|k/s|p/s|amba|a\.m\.b\.a\.?|ivs|smba|ltd|limited|inc|gmbh|llc"
    r"|plc|kommune|region|regionen|styrelsen|ministeriet|forsvaret|politi|rigspolitiet"
    r"|kriminalforsorgen|dsb|hospital|hospitalet|sygehus|sygehuset|universitet|university)\b"
    r"|kommune\b|hospital\b)"
)
_EMPLOYER_WORDS = re.compile(
    r"(?i)\b(?:koncern|group|gruppen|holding|company|corporation|fonden|foreningen|butik"
    r"|supermarked|netto|føtex|bilka|lidl|rema|coop|salling|arla|vestas|novo|maersk|mærsk"
    r"|carlsberg|lego|grundfos|plejecenter|plejecentret|plejehjem|børnehave|vuggestue"
    r"|institution|vikarbureau|entreprise|entreprenør|transport|logistik|service|rengøring"
    r"|restaurant|hotel|kantine|værksted|tømrerfirma|murerfirma|malerfirma|vvs|skole|gymnasium"
    r"|center|centret|hjemmeplejen|klinik|apotek|bank|sparekasse|forsikring|advokat"
    r"|revision|kontor|cafe|café|bageri|vognmand|vikarservice|fragt|renovation)\b"
)
_TITLE_WORDS = re.compile(
    r"(?i)(?:medarbejder|assistent|arbejder|tekniker|ingeniør|chauffør|fører|leder|konsulent"
    r"|udvikler|pædagog|sygeplejerske|hjælper|mekaniker|elektriker|tømrer|smed|kok|lærer"
    r"|sælger|ekspedient|rådgiver|koordinator|specialist|analytiker|designer|underviser"
    r"|terapeut|sekretær|bogholder|direktør|chef|elev|lærling|praktikant|vikar|mand|kvinde"
    r"|operatør|montør|maler|murer|snedker|frisør|tjener|bager|slagter|landmand|gartner"
    r"|manager|developer|engineer|assistant|worker|driver|nurse|consultant|operator|analyst"
    r"|technician|officer|clerk|cleaner|teacher|coordinator|supervisor|administrator|agent"
    r"|advisor|adviser|accountant|electrician|carpenter|mechanic|cook|chef|waiter|helper"
    r"|associate|representative|designer|architect|scientist|researcher|lead|head|intern"
    r"|operative|apprentice|trainee|student)"
)
_SCHOOL_WORDS = re.compile(
    r"(?i)(?:skole|skolen|universitet|university|gymnasium|gymnasie|akademi|academy|college"
    r"|seminarium|højskole|professionshøjskole|institut|institute|school|\bcenter\b|centret"
    r"|centre|\beuc\b|\bsosu\b|\bamu-center\b|\bkea\b|\bdtu\b|\bcbs\b|\bucl\b|\bucn\b|\bvia\b"
    r"|\btec\b|techcollege|aarhus tech|rybners|mercantec|tradium|campus|katedralskole"
    r"|hjemlandet|sprogcenter|business school|\bnext\b|\bcelf\b|\bkvuc\b|\bvuc\b)"
)
_EDUCATION_WORDS = re.compile(
    r"(?i)(?:uddannelse|uddannelsen|eksamen|bachelor|kandidat|cand\.|master|ph\.?d|kursus"
    r"|certifikat|bevis|diplom|diploma|degree|exam|course|certificate|msc|bsc|\bma\b|\bba\b"
    r"|grundskole|folkeskole|klasse|studentereksamen|\bhf\b|\bhhx\b|\bhtx\b|\bstx\b|svend"
    r"|læreplads|erhvervsakademiuddannelse|modul|training|apprenticeship|\bfvu\b|\bavu\b)"
)


def is_employer_name(text: str) -> bool:
    """A legal form or a public body in ``text``: an employer for certain."""
    return bool(_EMPLOYER_STRONG.search(text))


def looks_like_employer(text: str) -> bool:
    if _EMPLOYER_STRONG.search(text):
        return True
    return bool(_EMPLOYER_WORDS.search(text)) and not looks_like_title(text)


def looks_like_title(text: str) -> bool:
    words = text.split()
    return bool(_TITLE_WORDS.search(text)) and len(words) <= 8


def looks_like_school(text: str) -> bool:
    return bool(_SCHOOL_WORDS.search(text)) and not _EDUCATION_WORDS.search(text)


def looks_like_education(text: str) -> bool:
    return bool(_EDUCATION_WORDS.search(text))


_PIECE_SPLIT = re.compile(r"\s*(?:\t+|\s\|\s|\s[–—]\s|\s-\s|\s@\s|,\s+)\s*")
_AT = re.compile(r"(?i)\s+(?:hos|ved|at|@)\s+")
_IN = re.compile(r"(?i)\s+(?:i|in)\s+")  # "Pædagog i Børnehuset Mælkebøtten": when an employer
_LABEL = re.compile(
    r"(?i)^(?:stilling|stillingsbetegnelse|titel|jobtitel|job ?title|title|position|rolle|role"
    r"|arbejdsgiver|virksomhed|firma|employer|company|organisation|organization)\s*:\s*"
)


def unlabelled(text: str) -> str:
    """ "Stilling: Lagerarbejder" → "Lagerarbejder"; "Arbejdsgiver: PostNord" → "PostNord"."""
    return _LABEL.sub("", text).strip()


def pieces(text: str) -> list[str]:
    """Parts of a header line ("Title, Employer, Town", "Title | Employer", "Title hos X")."""
    parts = [_trim(p) for p in _PIECE_SPLIT.split(text)]
    return [p for p in parts if p and not re.fullmatch(r"[\W_]+", p)]


def _trim(text: str) -> str:
    """Separators off both ends, and brackets only where they are unbalanced."""
    text = text.strip(" ,;:|")
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip(" ,;:|")
    while text.startswith("(") and text.count("(") > text.count(")"):
        text = text[1:].lstrip(" ,;:|")
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    return text


def title_and_employer(parts: list[str]) -> tuple[str, str | None]:
    """The job title and the employer among ``parts``: "Title hos/ved/at Employer" is split
    there; else the title comes first unless the first part is plainly the employer (a legal
    form, a public body) and the other is not. Further parts belong to the employer
    ("Region Syddanmark, Odense Sygehus")."""
    if not parts:
        return "", None
    first = parts[0]
    at = _AT.search(first)
    if at and at.start() >= 2 and len(first) - at.end() >= 2:
        employer = ", ".join([first[at.end() :].strip(), *parts[1:]])
        return first[: at.start()].strip(), employer
    inside = _IN.search(first)
    if inside and inside.start() >= 2:
        where = ", ".join([first[inside.end() :].strip(), *parts[1:]])
        named = where[:1].isupper()  # "i Børnehuset Mælkebøtten", not "i butik"
        if named and looks_like_employer(where) and len(first[: inside.start()].split()) <= 3:
            return first[: inside.start()].strip(), where
    if len(parts) == 1:
        return first, None
    rest = ", ".join(parts[1:])
    strong_first = bool(_EMPLOYER_STRONG.search(first))
    strong_rest = bool(_EMPLOYER_STRONG.search(rest))
    if strong_first != strong_rest:
        return (rest, first) if strong_first else (first, rest)
    if len(parts) == 2 and looks_like_title(parts[1]) and not looks_like_title(first):
        return parts[1], first
    return first, rest


def education_and_school(parts: list[str], text: str = "") -> tuple[str, str | None]:
    """The education and the institution among ``parts``: the institution is the part with a
    school's name in it; the education is everything before it (its own commas kept)."""
    if not parts:
        return "", None
    if len(parts) == 1:
        match = re.match(r"(?i)^(.{2,100}?)\s+(?:fra|from|ved|at)\s+(.{2,80})$", parts[0])
        if match and looks_like_school(match.group(2)):
            return match.group(1).strip(), match.group(2).strip()
        return parts[0], None
    for i, part in enumerate(parts):
        if i > 0 and looks_like_school(part):
            return _joined(text, parts[:i]), _joined(text, parts[i:])
    if looks_like_school(parts[0]) and not looks_like_school(parts[1]):
        return parts[1], parts[0]
    return parts[0], _joined(text, parts[1:])


def _joined(text: str, parts: list[str]) -> str:
    """``parts`` as they stand in ``text`` (its own separators kept), else joined by commas."""
    start = text.find(parts[0])
    end = text.rfind(parts[-1])
    if start >= 0 and end >= start and "\t" not in text[start:end]:
        return text[start : end + len(parts[-1])].strip()
    return ", ".join(parts)
