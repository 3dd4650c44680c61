"""From the lines of a CV to a draft (:class:`ParsedCV`) and Danish warnings.

1. Personal data out (:func:`~matching.people.documents.sections.scrub`), contact lines dropped.
2. Sections by their headings; what stands before the first heading is the top: the name (left
   out), a headline and perhaps a summary.
3. Experiences and educations are found by their periods: every line with a period anchors an
   entry. If the section starts with a period, the title and employer follow it ("2019 – nu" /
   "Lagermedarbejder, Netto"); otherwise they stand before it, and the number of header lines of
   the first entry is used for the rest. Lines without a period in a section without any become
   entries without years (and a warning).
4. Skills, languages, licences and job goals are lists (:mod:`.fields`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from matching.people.documents.draft import (
    ParsedCV,
    ParsedDesiredOccupation,
    ParsedEducation,
    ParsedExperience,
)
from matching.people.documents.fields import (
    education_and_school,
    is_bullet,
    is_employer_name,
    languages,
    licences,
    list_items,
    looks_like_education,
    looks_like_employer,
    looks_like_title,
    pieces,
    strip_bullet,
    title_and_employer,
    unlabelled,
)
from matching.people.documents.ooxml import COLUMN_BREAK
from matching.people.documents.periods import Period, find_period, without
from matching.people.documents.sections import (
    DESIRED,
    EDUCATION,
    EXPERIENCE,
    IGNORED,
    LANGUAGES,
    LICENCES,
    PROFILE,
    SKILLS,
    find_heading,
    is_contact_line,
    scrub,
)

__all__ = [
    "ParsedCV",
    "ParsedDesiredOccupation",
    "ParsedEducation",
    "ParsedExperience",
    "parse_lines",
    "parse_text",
]

TOP = "top"
SHORT_LINE = 90  # characters: longer lines are descriptions, not titles
MAX_FIELD = 200  # the CV's title, employer and headline columns
MAX_HEADLINE = 120


@dataclass
class Entry:
    """One experience or education: its header parts (and the lines they come from), period
    and description lines."""

    header: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    period: Period | None = None
    description: list[str] = field(default_factory=list)


# --- lines and sections ---------------------------------------------------------------------


def _clean(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\r", "")
    line = re.sub(r"^\s*[\x7f\ue000-\uf8ff]\s*", "• ", line)  # Symbol-font bullets of PDFs
    line = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line)
    line = re.sub(r"[ \f\v]+", " ", line)
    line = re.sub(r" ?\t[ \t]*", "\t", line)
    return line.strip()


def _sections(lines: list[str]) -> tuple[list[tuple[str, list[str]]], bool]:
    """[(kind, lines)] in document order (the top first) and whether a CPR number was seen."""
    sections: list[tuple[str, list[str]]] = [(TOP, [])]
    cpr_seen = False
    back_to: str | None = None
    cleaned: list[tuple[str, bool]] = []
    for raw in lines:
        if raw == COLUMN_BREAK:
            cleaned.append((COLUMN_BREAK, False))
            continue
        text, cpr = scrub(_clean(raw))
        cpr_seen = cpr_seen or cpr
        cleaned.append((text, bool(raw.strip()) and not text))
    cleaned = _rejoined(cleaned)
    for text, dropped in cleaned:
        if text == COLUMN_BREAK:
            kind, current = sections[-1]
            if kind in LIST_SECTIONS and any(current):
                sections.append((TOP, []))  # the list's column has ended
            else:
                current.append("")
            continue
        if not text:
            if not dropped:
                sections[-1][1].append("")
            continue
        if is_contact_line(text):
            continue
        heading = find_heading(text)
        if back_to is not None:
            sections.append((back_to, []))
            back_to = None
        if heading is None:
            kind, current = sections[-1]
            if kind in LIST_SECTIONS and not is_bullet(text) and _bulleted(current):
                sections.append((TOP, []))  # the list has ended: a column's next part
            sections[-1][1].append(text)
            continue
        previous = sections[-1][0]
        sections.append((heading.kind, [heading.rest] if heading.rest else []))
        inline = heading.rest and heading.kind in (LICENCES, LANGUAGES)
        if inline and previous in (TOP, PROFILE, IGNORED):
            back_to = previous  # "Kørekort: B" among the personal details
    return sections, cpr_seen


_CONTINUES = re.compile(r"(?i)(?:,|\s(?:og|and|&|of|for))$")


def _rejoined(lines: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Lines broken by a narrow column joined again: a heading over two lines ("Faglige" /
    "kompetencer") and a bullet point continued in lower case on the next line."""
    out: list[tuple[str, bool]] = []
    for text, dropped in lines:
        if out and text and out[-1][0] and COLUMN_BREAK not in (text, out[-1][0]):
            before = out[-1][0]
            joined = f"{before} {text}"
            if (
                len(before.split()) <= 2
                and re.fullmatch(r"[^\W\d_]+(?:[ -][^\W\d_]+)?", before)
                and find_heading(before) is None
                and (heading := find_heading(joined)) is not None
                and not heading.rest
            ):
                out[-1] = (joined, False)
                continue
            if is_bullet(before) and text[:1].islower() and not is_bullet(text):
                out[-1] = (joined, False)
                continue
            if _CONTINUES.search(before) and not is_bullet(text) and find_heading(text) is None:
                out[-1] = (joined, False)  # "Region Syddanmark," / "Odense Sygehus"
                continue
        out.append((text, dropped))
    return out


LIST_SECTIONS = (SKILLS, DESIRED, LANGUAGES, LICENCES)


def _bulleted(lines: list[str]) -> bool:
    """The section so far is a bulleted list (and its last line a bullet point)."""
    filled = [line for line in lines if line]
    return len(filled) >= 1 and all(is_bullet(line) for line in filled)


def _merged(sections: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for kind, lines in sections:
        merged.setdefault(kind, []).extend([*lines, ""])
    return merged


# --- experiences and educations -------------------------------------------------------------


def _is_sentence(line: str) -> bool:
    """A description, not a title: long, many words, or ending like a sentence (a final
    abbreviation such as "A.m.b.a." or "Cand.it." does not end a sentence)."""
    words = line.split()
    if not words:
        return False
    last = words[-1]
    full_stop = last.endswith((".", "!", "?")) and "." not in last[:-1] and len(last) > 2
    return (
        len(line) > SHORT_LINE
        or len(words) >= 14
        or full_stop
        or (len(words) >= 9 and line[:1].islower())
    )


def _period_of(line: str) -> Period | None:
    short = len(line) <= 80 and not _is_sentence(line)
    period = find_period(line, allow_single=short)
    if period is not None and _is_sentence(line) and not is_bullet(line):
        # A period inside a description sentence ("Ansat 2015-2018 som …") still anchors only
        # when it opens or closes the line.
        a, b = period.span
        if a > 3 and b < len(line) - 3:
            return None
    return period


def _header_line(line: str) -> bool:
    return bool(line) and not _is_sentence(line) and not is_bullet(line)


def _entries(lines: list[str], *, own_line_only: bool = False) -> list[Entry]:
    """The entries of a section (:func:`_dated_entries`), with undated jobs written like the
    dated ones ("Gartner, Haveservice ApS") taken out of the descriptions."""
    found: list[Entry] = []
    for entry in _dated_entries(lines, own_line_only=own_line_only):
        found.append(entry)
        description, entry.description = entry.description, []
        for line in description:
            parts = pieces(line) if _header_line(line) else []
            if _complete(parts) and any(is_employer_name(p) for p in parts[1:]):
                found.append(Entry(parts, [line]))
            else:
                found[-1].description.append(line)
    return found


def _dated_entries(lines: list[str], *, own_line_only: bool = False) -> list[Entry]:
    lines = list(lines)
    periods = [_period_of(line) if line else None for line in lines]
    anchors = [i for i, p in enumerate(periods) if p is not None]
    if not anchors:
        return _undated(lines)
    first_text = next((i for i, line in enumerate(lines) if line), anchors[0])
    date_first = first_text == anchors[0] and not own_line_only
    entries: list[Entry] = []
    starts: list[int] = []
    if date_first:
        for k, a in enumerate(anchors):
            stop = anchors[k + 1] if k + 1 < len(anchors) else len(lines)
            period = periods[a]
            assert period is not None
            rest = without(lines[a], period).strip("\t ")
            entry = Entry(pieces(strip_bullet(rest)) if rest else [], [rest], period)
            i = a + 1
            taken = 0
            while (
                i < stop
                and len(entry.header) < 2
                and taken < 2
                and (_header_line(lines[i]) or (not lines[i] and not entry.header))
            ):
                if lines[i]:
                    entry.header.extend(pieces(lines[i]))
                    entry.raw.append(lines[i])
                    taken += 1
                i += 1
            entry.description = [line for line in lines[i:stop] if line]
            entries.append(entry)
        return entries
    # Title first: the header lines stand before the period. How many is learned from the
    # first entry (nothing else stands before it).
    k0 = 0
    i = anchors[0] - 1
    while i >= 0 and k0 < 2 and _header_line(lines[i]):
        k0 += 1
        i -= 1
    leading = lines[: i + 1]
    for k, a in enumerate(anchors):
        period = periods[a]
        assert period is not None
        limit = anchors[k - 1] + 1 if k else 0
        rest = without(lines[a], period).strip("\t ")
        have = pieces(strip_bullet(rest)) if rest else []
        start = a
        while (
            not own_line_only
            and start - 1 >= limit
            and a - start < k0
            and not _complete(have)
            and _header_line(lines[start - 1])
        ):
            start -= 1
            have = pieces(lines[start]) + have
        starts.append(start)
        header = [p for line in lines[start:a] for p in pieces(line)]
        header += pieces(strip_bullet(rest)) if rest else []
        entries.append(Entry(header, [*lines[start:a], rest], period))
    for k, a in enumerate(anchors):
        stop = starts[k + 1] if k + 1 < len(anchors) else len(lines)
        if not own_line_only:
            entries[k].description = [line for line in lines[a + 1 : stop] if line]
    return ([] if own_line_only else _undated(leading)) + entries


def _complete(parts: list[str]) -> bool:
    """A title and an employer are there (the title part is not an employer's name)."""
    return len(parts) >= 2 and not is_employer_name(parts[0])


def _undated(lines: list[str]) -> list[Entry]:
    """Entries of a section without periods: each short line opens one, sentences and bullet
    points under it are its description; a list of short bullets is a list of entries."""
    entries: list[Entry] = []
    previous_short = False
    for line in lines:
        if not line:
            previous_short = False
            continue
        text = strip_bullet(line)
        header = not _is_sentence(text) and (not is_bullet(line) or not entries or previous_short)
        if header and not (previous_short and entries and len(entries[-1].header) < 2 and
                           not is_bullet(line) and not entries[-1].description):  # fmt: skip
            entries.append(Entry(pieces(text), [text]))
            previous_short = True
        elif header and entries and not entries[-1].description:
            entries[-1].header.extend(pieces(text))  # "Lagermedarbejder" / "Netto A/S"
            entries[-1].raw.append(text)
            previous_short = False
        elif entries:
            entries[-1].description.append(line)
            previous_short = False
    return entries


def _experience(entry: Entry) -> ParsedExperience | None:
    title, employer = title_and_employer(entry.header)
    lines = [strip_bullet(r) for r in entry.raw if r]
    if len(lines) == 2:  # "DHL Express, Brøndby" / "Warehouse Operative": which line is which
        first, second = lines
        if (looks_like_employer(first) and not looks_like_employer(second)) or (
            looks_like_title(second) and not looks_like_title(first)
        ):
            title, employer = second, first
    if not title:
        return None
    period = entry.period
    start = period.start if period else None
    end = None if period is None or period.ongoing else period.end
    return ParsedExperience(
        title=title[:MAX_FIELD],
        employer=employer[:MAX_FIELD] if employer else None,
        start_year=start,
        end_year=end,
        description="\n".join(entry.description),
    )


_CONNECTOR_END = re.compile(r"(?i)(?:\b(?:og|and|of|for|i|in|&|til|ved)|[-–])$")


def _raw_text(lines: list[str]) -> str:
    """Header lines as one text: a line wrapped after "og", "of", "-" … continues on the next
    (a narrow PDF column); other lines are separate fields (tab)."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif _CONNECTOR_END.search(text):
            text = f"{text} {line}"
        else:
            text = f"{text}\t{line}"
    return text


def _educations(entries: list[Entry]) -> list[ParsedEducation]:
    found: list[ParsedEducation] = []
    for entry in entries:
        text = _raw_text([strip_bullet(r) for r in entry.raw if r])
        title, school = education_and_school(pieces(text), text)
        if not title:
            continue
        period = entry.period
        year = None if period is None or period.ongoing else period.end
        found.append(ParsedEducation(title[:MAX_FIELD], school[:MAX_FIELD] if school else None,
                                     year))  # fmt: skip
        # Schools rarely describe an education: short undated lines are further educations.
        for line in entry.description:
            text = strip_bullet(line)
            if text and not _is_sentence(text) and find_period(text) is None:
                title, school = education_and_school(pieces(text), text)
                if title:
                    found.append(ParsedEducation(title[:MAX_FIELD], school, None))
    return found


# --- the top of the CV ----------------------------------------------------------------------


def _is_name(line: str) -> bool:
    """A person's name: two to five capitalised words ("van", "al" allowed), no digits."""
    words = line.split()
    return (
        2 <= len(words) <= 5
        and len(line) <= 60
        and not re.search(r"[\d@,:;()]", line)
        and all(w[:1].isupper() or (w.isalpha() and w.islower() and len(w) <= 3) for w in words)
        and sum(1 for w in words if w[:1].isupper()) >= 2
        and not looks_like_title(line)
    )


def _headline_candidate(line: str, *, named: bool = False) -> bool:
    """A line that may be the headline; a name-like one only once the name has been seen
    ("Warehouse Operative" under "JAMES O'CONNOR")."""
    text = strip_bullet(line)
    return (
        bool(text)
        and len(text) <= MAX_HEADLINE
        and not _is_sentence(text)
        and not text.endswith(".")
        and find_period(text, allow_single=False) is None
        and (named or not _is_name(text))
        and len(re.findall(r"[^\W\d_]", text)) >= 3
    )


def _paragraphs(lines: list[str]) -> str:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(strip_bullet(line) if is_bullet(line) else line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


# --- job goals ------------------------------------------------------------------------------

_WANT = re.compile(
    r"(?i)(?:(?:søger|ønsker|looking for|seeking|want)\s+(?:(?:et|en|a|an|nyt|new)\s+)*)?"
    r"(?:\w*job|stilling|arbejde|position|work|role|employment)?\s*(?<!\w)(?:som|as)\s+(.+)"
)


_HEADLINE_WORDS = re.compile(
    r"(?i)\b(?:søger|erfaring|erfaren|motiveret|nyuddannet|klar til|looking for|seeking"
    r"|experience[d]?|motivated|years?|års?)\b"
)


def _headline_like(text: str) -> bool:
    """A headline ("Erfaren tømrer søger nye udfordringer"), not a bare job title."""
    return len(text.split()) >= 4 and bool(_HEADLINE_WORDS.search(text))


def _desired(lines: list[str]) -> list[ParsedDesiredOccupation]:
    titles: list[str] = []
    for line in lines:
        text = strip_bullet(line)
        want = _WANT.search(text)
        if _headline_like(text) and not is_bullet(line) and not want:
            continue
        if want:
            text = want.group(1).rstrip(".")
            titles += [t.strip() for t in re.split(r"(?i),\s*|\s+(?:eller|or|og|and)\s+", text)]
        elif not _is_sentence(text):
            titles += list_items([text], split_dashes=False)
    seen: dict[str, ParsedDesiredOccupation] = {}
    for title in titles:
        title = title.strip(" .:")
        if title and len(title) <= MAX_FIELD and title.lower() not in seen:
            seen[title.lower()] = ParsedDesiredOccupation(title[0].upper() + title[1:])
    return list(seen.values())


# --- putting it together --------------------------------------------------------------------


def _written_in(text: str) -> str:
    words = re.findall(r"[a-zæøå]+", text.lower())
    danish = sum(w in {"og", "jeg", "med", "til", "har", "af", "som", "erfaring", "på", "i"}
                 for w in words) + 3 * len(re.findall(r"[æøå]", text.lower()))  # fmt: skip
    english = sum(w in {"and", "the", "with", "of", "to", "experience", "in", "for", "i", "as"}
                  for w in words)  # fmt: skip
    return "en" if english > danish else "da"


def parse_lines(lines: list[str]) -> tuple[ParsedCV, list[str]]:
    """The draft of the CV in ``lines`` and the Danish warnings for the review page."""
    sections, cpr_seen = _sections(lines)
    merged = _merged(sections)
    found_kinds = {kind for kind, _ in sections if kind != TOP}
    warnings: list[str] = []
    top = merged.get(TOP, [])

    experience_entries = _entries([unlabelled(x) for x in merged.get(EXPERIENCE, [])])
    education_entries = _entries([unlabelled(x) for x in merged.get(EDUCATION, [])])
    licence_lines = merged.get(LICENCES, [])
    language_lines = merged.get(LANGUAGES, [])
    if not (found_kinds & {EXPERIENCE, EDUCATION}):
        # No sections: dated lines of the whole text are experiences or educations.
        dated = [e for e in _entries(top, own_line_only=True) if e.period and e.header]
        for entry in dated:
            is_edu = looks_like_education(" ".join(entry.header))
            (education_entries if is_edu else experience_entries).append(entry)
    if LANGUAGES not in found_kinds:
        language_lines = [line for line in top if any(x.level for x in languages([line]))]
    if LICENCES not in found_kinds:
        licence_lines = [line for line in top if re.search(r"(?i)kørekort|licen[cs]e", line)]
    # "Sprog og kørekort": licences listed with the languages.
    licence_lines += [
        line for line in language_lines if re.search(r"(?i)kørekort|licen[cs]e|truck", line)
    ]
    experiences = [e for e in map(_experience, experience_entries) if e is not None]
    cv = ParsedCV(
        experiences=experiences,
        educations=_educations(education_entries),
        skills=list_items([line for line in merged.get(SKILLS, []) if line]),
        languages=languages([line for line in language_lines if line]),
        driving_licences=licences([line for line in licence_lines if line]),
        desired_occupations=_desired([line for line in merged.get(DESIRED, []) if line]),
    )

    top_text = [line for line in top if line and not find_period(line, allow_single=False)]
    named = bool(top_text) and _is_name(top_text[0])
    if named:
        top_text = top_text[1:]
    headline = ""
    for i, line in enumerate(top_text):
        if _headline_candidate(line, named=named):
            headline = line
            for following in top_text[i + 1 :]:  # wrapped in a narrow column
                if not following[:1].islower() or len(headline) + len(following) >= MAX_HEADLINE:
                    break
                headline = f"{headline} {following}"
            break
    if not headline:
        headline = next(
            (strip_bullet(x) for x in merged.get(DESIRED, []) if _headline_like(strip_bullet(x))),
            "",
        )
    profile = [line for line in merged.get(PROFILE, [])]
    if not headline and profile:
        first = next((line for line in profile if line), "")
        if _headline_candidate(first) and looks_like_title(first):
            headline = first
            profile = profile[profile.index(first) + 1 :]
    cv.summary = _paragraphs(profile)
    if not cv.summary and found_kinds:
        cv.summary = _paragraphs([line for line in top_text if line != headline and
                                  _is_sentence(line)])  # fmt: skip
    if not headline and cv.desired_occupations:
        headline = cv.desired_occupations[0].title
    if not headline and experiences:
        headline = experiences[0].title
    cv.headline = strip_bullet(headline)[:MAX_FIELD]
    cv.written_in = _written_in("\n".join(lines))

    if not found_kinds:
        warnings.append(
            "Vi fandt ingen afsnit (som Erfaring eller Uddannelse) i dokumentet. "
            "Kontrollér kladden grundigt."
        )
    if not experiences:
        warnings.append("Vi fandt ingen erhvervserfaring i dokumentet.")
    for experience in experiences:
        if experience.start_year is None:
            warnings.append(
                f"Der står ikke, hvornår du startede som «{experience.title}». "
                "Skriv startåret, før CV'et gemmes."
            )
    if cpr_seen:
        warnings.append("Dokumentet indeholder et CPR-nummer. Det er ikke taget med i CV'et.")
    return cv, warnings


def parse_text(text: str) -> tuple[ParsedCV, list[str]]:
    return parse_lines(text.splitlines())
