"""The person's data export (:func:`matching.intake.rights.person_data_export`) as a readable
Danish PDF (ReportLab, A4 portrait): a section per kind of data, tables where there are rows.

Same fonts as the job-fair PDFs (DejaVu Sans, else the bundled Vera; see
:mod:`matching.fairs.exports.pdf`); text typed by people reaches Paragraph markup only escaped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

from matching.core.dates import format_date
from matching.fairs.exports.pdf import MM, PDF_FONT, PDF_FONT_BOLD, pdf_text

ACTIONS_DA = {
    "view": "Så oplysningerne",
    "create": "Oprettede",
    "update": "Ændrede",
    "delete": "Slettede",
    "export": "Udleverede (eksport)",
    "disclose": "Videregav",
    "access_denied": "Nægtet adgang",
}
CONSENT_KEYS = (
    ("share_with_employers", "Oplysninger må deles med virksomheder"),
    ("contact_by_email", "Må kontaktes pr. e-mail"),
    ("joint_recruitment", "Fælles rekruttering"),
)


def _when(text: str | None, *, time: bool = False) -> str:
    """An ISO date or timestamp of the export, the Danish way."""
    if not text:
        return "–"
    if "T" in text or time:
        moment = datetime.fromisoformat(text)
        return f"{format_date(moment.date())} {moment:%H:%M}"
    return format_date(date.fromisoformat(text))


def _yes(value: object) -> str:
    return "Ja" if value else "Nej"


def person_data_pdf(export: dict) -> bytes:
    """The export as a PDF with sections and tables, headed by the person's name."""
    from reportlab.lib.colors import Color
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    pdf_text("")  # registers the fonts
    grey = Color(0.6, 0.6, 0.6)

    def style(name: str, size: float, **settings: object) -> ParagraphStyle:
        settings = {"fontName": PDF_FONT, "leading": size * 1.3, **settings}
        return ParagraphStyle(name, fontSize=size, **settings)

    cell = style("cell", 8.5)
    bold = style("bold", 8.5, fontName=PDF_FONT_BOLD)
    title = style("title", 17, fontName=PDF_FONT_BOLD, spaceAfter=4)
    lead = style("lead", 10)
    heading = style("heading", 12, fontName=PDF_FONT_BOLD, spaceBefore=10, spaceAfter=4)
    sub = style("sub", 9.5, fontName=PDF_FONT_BOLD, spaceBefore=6, spaceAfter=2)
    body = style("body", 9)
    frame_width = A4[0] - 36 * MM

    def para(text: object, st: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(pdf_text(str(text if text is not None else "–"))), st)

    def table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]):
        scale = frame_width / sum(widths)
        data = [[para(h, bold) for h in headers]]
        data += [[para(v) for v in row] for row in rows]
        return LongTable(
            data,
            colWidths=[w * scale for w in widths],
            repeatRows=1,
            style=TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, grey),
                    ("BACKGROUND", (0, 0), (-1, 0), Color(0.9, 0.92, 0.95)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            ),
        )

    def facts(pairs: Sequence[tuple[str, object]]):
        return table(("Oplysning", "Værdi"), [(k, v) for k, v in pairs], (1, 2))

    def section(name: str, rows: list, make) -> list:  # noqa: ANN001 - a row → flowables
        if not rows:
            return [Paragraph(escape(name), heading), para("Ingen.", body)]
        return [Paragraph(escape(name), heading), *make(rows)]

    person = export["person"]
    name = f"{person['first_name']} {person['last_name']}"
    made = _when(export.get("made_at"))
    story: list = [
        Paragraph(escape(pdf_text(f"Indsigt: {name}")), title),
        para(
            f"Alle oplysninger Jobbro har om dig pr. {made}. Pseudonym: {person['pseudonym']}. "
            f"Format version {export['schema_version']}.",
            lead,
        ),
        Paragraph("Dine oplysninger", heading),
        facts(
            [
                ("Navn", name),
                ("CPR-nummer", person.get("cpr") or "Ikke registreret"),
                ("Fødselsdato", _when(person.get("birth_date"))),
                ("E-mail", person.get("email") or "–"),
                ("Telefon", person.get("phone") or "–"),
                ("Adresse", person.get("street_address") or "–"),
                ("Postnummer", person.get("postal_code")),
                ("Kommune", person.get("municipality") or "–"),
                ("A-kasse", person.get("a_kasse") or "–"),
                ("Ledig siden", _when(person.get("unemployment_start"))),
                ("Uddannelsesniveau", person.get("education_level_label") or "–"),
                ("Maks. transportafstand", f"{person.get('max_commute_km')} km"),
                ("Åben for brancheskift", _yes(person.get("willing_to_switch_industry"))),
                ("Valgt jobcenteret", _yes(person.get("chose_jobcentre"))),
                ("Tilmeldt", _yes(person.get("active"))),
                ("Registreret", _when(person.get("registered_at"))),
            ]
        ),
    ]
    consent_now = export.get("consent_now") or {}
    story += [
        Paragraph("Samtykker i dag", heading),
        facts([(label, _yes(consent_now.get(key))) for key, label in CONSENT_KEYS]),
    ]
    story += section(
        "Samtykker givet og trukket tilbage",
        export["consents"],
        lambda rows: [
            table(
                ("Samtykke", "Givet/trukket", "Dato", "Registreret", "Hvordan", "Af", "Note"),
                [
                    (
                        r["label"],
                        "Givet" if r["given"] else "Trukket tilbage",
                        _when(r["given_on"]),
                        _when(r["recorded_at"]),
                        r["channel_label"],
                        r["organisation"] or "–",
                        r["note"] or "",
                    )
                    for r in rows
                ],
                (3, 1.6, 1.4, 1.8, 1.4, 2, 2),
            )
        ],
    )
    story += section(
        "Målgrupper",
        export["target_groups"],
        lambda rows: [
            table(
                ("Målgruppe", "Fra", "Til"),
                [(r["label"], _when(r["valid_from"]), _when(r["valid_to"])) for r in rows],
                (3, 1, 1),
            )
        ],
    )
    story += section(
        "Ansvarlig organisation",
        export["responsibilities"],
        lambda rows: [
            table(
                ("Organisation", "Fra", "Til", "Begrundelse"),
                [
                    (r["organisation"], _when(r["valid_from"]), _when(r["valid_to"]), r["reason"])
                    for r in rows
                ],
                (2, 1, 1, 3),
            )
        ],
    )
    cv = export.get("cv")
    story.append(Paragraph("Cv", heading))
    if cv is None:
        story.append(para("Intet cv registreret.", body))
    else:
        story += [para(cv["headline"], sub), para(cv["summary"] or "", body)]
        if cv["experiences"]:
            story += [
                para("Erfaring", sub),
                table(
                    ("Stilling", "Arbejdsgiver", "Fra", "Til", "Beskrivelse"),
                    [
                        (e["title"], e["employer"] or "–", e["start_year"], e["end_year"] or "nu",
                         e["description"] or "")
                        for e in cv["experiences"]
                    ],
                    (2, 2, 0.7, 0.7, 3),
                ),
            ]  # fmt: skip
        if cv["educations"]:
            story += [
                para("Uddannelse", sub),
                table(
                    ("Uddannelse", "Sted", "Niveau", "Afsluttet"),
                    [
                        (e["title"], e["institution"] or "–", e["level"] or "–",
                         e["completed_year"] or "–")
                        for e in cv["educations"]
                    ],
                    (2.5, 2, 1.5, 0.8),
                ),
            ]  # fmt: skip
        lists = (
            ("Kompetencer", ", ".join(cv["skills"])),
            ("Sprog", ", ".join(f"{x['language']} ({x['level']})" for x in cv["languages"])),
            ("Kørekort", ", ".join(cv["driving_licences"])),
            ("Jobmål", ", ".join(cv["desired_occupations"])),
        )
        story.append(Spacer(0, 4))
        story.append(facts([(k, v or "–") for k, v in lists]))
    story += section(
        "Henvisninger",
        export["referrals"],
        lambda rows: [
            item
            for r in rows
            for item in (
                para(f"{r['vacancy']} hos {r['employer']}", sub),
                facts(
                    [
                        ("Status", r["state_label"]),
                        ("Henvist af", r["organisation"]),
                        ("Oprettet", _when(r["created_at"])),
                        ("Svarfrist", _when(r["respond_by"])),
                        ("Note", r["note"] or "–"),
                    ]
                ),
                Spacer(0, 3),
                table(
                    ("Hvornår", "Hændelse", "Fra", "Til", "Note"),
                    [
                        (_when(e["at"]), e["event"] or "–", e["from_state"] or "–", e["to_state"],
                         e["note"] or "")
                        for e in r["events"]
                    ],
                    (1.5, 1.4, 1.4, 1.4, 2.5),
                ),
            )
        ],
    )  # fmt: skip
    story += section(
        "Matchlister du har været på",
        export["matches"],
        lambda rows: [
            table(
                ("Stilling", "Virksomhed", "Plads", "Score", "Beregnet"),
                [
                    (r["vacancy"], r["employer"], r["rank"] or "–",
                     f"{r['score'] * 100:.0f} %".replace(".", ","), _when(r["computed_at"]))
                    for r in rows
                ],
                (2.5, 2, 0.7, 0.8, 1.6),
            )
        ],
    )  # fmt: skip
    story += section(
        "Jobmesser",
        export["shortlists"],
        lambda rows: [
            table(
                ("Jobmesse", "Dato", "Stilling", "Virksomhed", "Inviteret", "Fjernet"),
                [
                    (r["fair"], _when(r["held_on"]), r["vacancy"], r["employer"],
                     _yes(r["invited"]), _yes(r["removed"]))
                    for r in rows
                ],
                (2, 1.2, 2, 2, 1, 1),
            )
        ],
    )  # fmt: skip
    story += section(
        "Overdragelser",
        export["handovers"],
        lambda rows: [
            table(
                ("Fra", "Til", "Dato"),
                [(r["from"] or "–", r["to"], _when(r["effective_date"])) for r in rows],
                (2, 2, 1),
            )
        ],
    )
    exit_ = export["exit"]
    story.append(Paragraph("Afmelding", heading))
    if exit_["left_on"]:
        story.append(
            facts(
                [
                    ("Afmeldt", _when(exit_["left_on"])),
                    ("Årsag", exit_["reason_label"] or "–"),
                    ("Note", exit_["note"] or "–"),
                ]
            )
        )
    else:
        story.append(para("Du er tilmeldt.", body))
    story += section(
        "Hvem har set eller ændret dine oplysninger",
        export["access_log"],
        lambda rows: [
            para(
                "Efter Jobbros log. Medarbejdere vises med organisation og rolle; "
                "»på en liste« betyder, at du stod på en liste, medarbejderen så.",
                body,
            ),
            Spacer(0, 3),
            table(
                ("Hvornår", "Organisation", "Rolle", "Handling", "Formål"),
                [
                    (
                        _when(r["at"]),
                        r["organisation"],
                        r["role"] or "–",
                        ACTIONS_DA.get(r["action"], r["action"])
                        + (" (på en liste)" if r["on_a_list"] else ""),
                        r["purpose"] or "–",
                    )
                    for r in rows
                ],
                (1.5, 2, 1.4, 2, 1.4),
            ),
        ],
    )

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * MM,
        rightMargin=18 * MM,
        topMargin=16 * MM,
        bottomMargin=16 * MM,
        title=pdf_text(f"Indsigt: {name}"),
        author="Jobbro",
        creator="Jobbro",
        lang="da",
        initialFontName=PDF_FONT,
        initialFontSize=9,
    )

    def number(canvas, doc) -> None:  # noqa: ANN001 - ReportLab's callback
        canvas.setFont(PDF_FONT, 7.5)
        canvas.drawRightString(A4[0] - 18 * MM, 9 * MM, f"Side {doc.page}")
        canvas.drawString(18 * MM, 9 * MM, pdf_text(f"{person['pseudonym']} · {made}"))

    document.build(story, onFirstPage=number, onLaterPages=number)
    return buffer.getvalue()
