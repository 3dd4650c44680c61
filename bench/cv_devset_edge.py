"""Hand-written edge cases of the CV development set (bench/cv_devset.py): missing dates, odd
headings, no sections, Windows-1252 text, ODT with a table, English date forms, headings in
table rows. Each is written with its gold JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The documents are made as the parser's tests make them (bench/cv_devset.py puts the project
# root on sys.path).
from tests.support.cv_documents import docx, odt


def _exp(title: str, employer: str | None, start: int | None, end: int | None) -> dict[str, Any]:
    return {"title": title, "employer": employer, "start_year": start, "end_year": end}


def _edu(title: str, institution: str | None, year: int | None) -> dict[str, Any]:
    return {"title": title, "institution": institution, "completed_year": year}


def _lang(language: str, level: str | None) -> dict[str, Any]:
    return {"language": language, "level": level}


def _gold(**fields: Any) -> dict[str, Any]:
    gold = {
        "headline": "",
        "experiences": [],
        "educations": [],
        "skills": [],
        "languages": [],
        "driving_licences": [],
        "desired_occupations": [],
        "layout": "edge",
        "date_style": "mixed",
    }
    gold.update(fields)
    gold["desired_occupations"] = [{"title": t} for t in gold["desired_occupations"]]
    return gold


CASES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "edge-missing-dates.docx",
        ["Jonas Berg", "jonas.berg@example.dk", "Erfaren lagermedarbejder",
         "# Erfaring", "Lagermedarbejder, Coop Danmark A/S",
         "Pluk og pak af varer til butikkerne i hele regionen.",
         "Chauffør, Vognmand Hansen ApS", "Kørsel med varer på Sjælland og Fyn.",
         "# Uddannelse", "Erhvervsuddannelse som lager- og terminalmedarbejder, EUC Sjælland",
         "# Kompetencer", "truckkørsel, lagerstyring, varemodtagelse",
         "# Sprog", "Dansk (modersmål)"],
        _gold(headline="Erfaren lagermedarbejder",
              experiences=[_exp("Lagermedarbejder", "Coop Danmark A/S", None, None),
                           _exp("Chauffør", "Vognmand Hansen ApS", None, None)],
              educations=[_edu("Erhvervsuddannelse som lager- og terminalmedarbejder",
                               "EUC Sjælland", None)],
              skills=["truckkørsel", "lagerstyring", "varemodtagelse"],
              languages=[_lang("Dansk", "Modersmål")]),
    ),
    (
        "edge-odd-headings.docx",
        ["Maria Lund", "Tlf. 22 33 44 55", "Social- og sundhedsassistent",
         "O M  M I G", "Jeg er uddannet social- og sundhedsassistent og har arbejdet i ældreplejen.",  # noqa: E501
         "E R F A R I N G:", "Social- og sundhedsassistent – Plejecenter Solgården",
         "siden 2019", "Medicinhåndtering og pleje af borgere.",
         "Social- og sundhedshjælper – Hjemmeplejen Vest", "Mar 2016 – Feb 2019",
         "Personlig pleje i borgernes eget hjem.",
         "UDDANNELSE & KURSER", "Social- og sundhedsassistentuddannelsen, SOSU Nord, 2016",
         "AMU-kursus: Førstehjælp, AMU-center, 2021",
         "Mine kompetencer:", "* medicinhåndtering", "* dokumentation", "* omsorg",
         "Sprog & kørekort", "Dansk – modersmål", "Engelsk – rimeligt", "Kørekort: B"],
        _gold(headline="Social- og sundhedsassistent",
              experiences=[_exp("Social- og sundhedsassistent", "Plejecenter Solgården", 2019, None),  # noqa: E501
                           _exp("Social- og sundhedshjælper", "Hjemmeplejen Vest", 2016, 2019)],
              educations=[_edu("Social- og sundhedsassistentuddannelsen", "SOSU Nord", 2016),
                          _edu("AMU-kursus: Førstehjælp", "AMU-center", 2021)],
              skills=["medicinhåndtering", "dokumentation", "omsorg"],
              languages=[_lang("Dansk", "Modersmål"), _lang("Engelsk", "Rimeligt")],
              driving_licences=["B"]),
    ),
    (
        "edge-no-sections.txt",
        "Peter Madsen\nVestergade 4, 5000 Odense C\nTømrer med 12 års erfaring\n"
        "2013 – nu: Tømrer hos Byggefirmaet Nord ApS\n"
        "2008 – 2013: Tømrerlærling hos Hansen Tømrer ApS\n"
        "Tømreruddannelse, Syddansk Erhvervsskole, 2012\n"
        "Dansk (modersmål), engelsk (godt)\nKørekort: B, BE\n",
        _gold(headline="Tømrer med 12 års erfaring",
              experiences=[_exp("Tømrer", "Byggefirmaet Nord ApS", 2013, None),
                           _exp("Tømrerlærling", "Hansen Tømrer ApS", 2008, 2013)],
              educations=[_edu("Tømreruddannelse", "Syddansk Erhvervsskole", 2012)],
              languages=[_lang("Dansk", "Modersmål"), _lang("Engelsk", "Godt")],
              driving_licences=["B", "BE"]),
    ),
    (
        "edge-cp1252.txt",
        "Søren Ærø\nKøkkenassistent\n\nERFARING\nKøkkenassistent, Restaurant Havnen ApS\n"
        "2017 - 2024\nForberedelse af råvarer og opvask.\n\nUDDANNELSE\n"
        "AMU-kursus: Hygiejne for fødevarebranchen, AMU-center, 2017\n\nKOMPETENCER\n"
        "hygiejne; råvarekendskab; opvask\n\nSPROG\nDansk: modersmål\nTysk: basis\n"
        "\nJOBØNSKER\nKøkkenassistent, Kantinemedarbejder\n",
        _gold(headline="Køkkenassistent",
              experiences=[_exp("Køkkenassistent", "Restaurant Havnen ApS", 2017, 2024)],
              educations=[_edu("AMU-kursus: Hygiejne for fødevarebranchen", "AMU-center", 2017)],
              skills=["hygiejne", "råvarekendskab", "opvask"],
              languages=[_lang("Dansk", "Modersmål"), _lang("Tysk", "Basis")],
              desired_occupations=["Køkkenassistent", "Kantinemedarbejder"]),
    ),
    (
        "edge-table.odt",
        ["Ali Hassan", "Buschauffør med 9 års erfaring", "# Erhvervserfaring",
         [["2016 – nu", "Buschauffør, Arriva Danmark A/S\nRutekørsel i Aarhus."],
          ["2012 – 2016", "Taxachauffør, Dantaxi ApS\nKørsel og kundeservice."]],
         "# Uddannelse", [["2011", "Erhvervsuddannelse til buschauffør, Aarhus Tech"]],
         "# Sprog", [["Arabisk", "Modersmål"], ["Dansk", "Godt"]],
         "# Kørekort", "B, D", "# Ønsket job", "* Buschauffør", "* Chauffør"],
        _gold(headline="Buschauffør med 9 års erfaring",
              experiences=[_exp("Buschauffør", "Arriva Danmark A/S", 2016, None),
                           _exp("Taxachauffør", "Dantaxi ApS", 2012, 2016)],
              educations=[_edu("Erhvervsuddannelse til buschauffør", "Aarhus Tech", 2011)],
              languages=[_lang("Arabisk", "Modersmål"), _lang("Dansk", "Godt")],
              driving_licences=["B", "D"], desired_occupations=["Buschauffør", "Chauffør"]),
    ),
    (
        "edge-english-dates.docx",
        ["Anna Smith", "anna.smith@example.com · +45 31 22 11 00", "Software developer",
         "# Professional experience", "Software Developer at Netcompany A/S",
         "03/2020 - present", "Backend development in Java and Python.",
         "Junior Developer, Systematic A/S", "Mar 2017 – Feb 2020",
         "Worked on web applications for hospitals.",
         "IT supporter, Aarhus Kommune", "2015-2017", "Helped users with their computers.",
         "# Education", "MSc in Computer Science, Aarhus University, 2017",
         "BSc in Computer Science, Aarhus University, 2015",
         "# Languages", "English: native", "Danish: fluent", "# Driver's license", "B",
         "# Skills", "* Java", "* Python", "* SQL"],
        _gold(headline="Software developer",
              experiences=[_exp("Software Developer", "Netcompany A/S", 2020, None),
                           _exp("Junior Developer", "Systematic A/S", 2017, 2020),
                           _exp("IT supporter", "Aarhus Kommune", 2015, 2017)],
              educations=[_edu("MSc in Computer Science", "Aarhus University", 2017),
                          _edu("BSc in Computer Science", "Aarhus University", 2015)],
              skills=["Java", "Python", "SQL"],
              languages=[_lang("Engelsk", "Modersmål"), _lang("Dansk", "Flydende")],
              driving_licences=["B"], written_in="en"),
    ),
    (
        "edge-heading-rows.docx",
        ["Lars Nielsen", "Elektriker",
         [["Profil", "Udlært elektriker med erfaring fra industri og boliger."],
          ["Erfaring", "El-firmaet Volt ApS\nElektriker\njanuar 2018 - d.d.\n"
                       "Installationer i nybyggeri.\nElektrikerlærling, Hansen El A/S\n2014 - 2018"],  # noqa: E501
          ["Uddannelse", "Elektrikeruddannelsen, Tradium, 2018"],
          ["Sprog", "Dansk (modersmål), Engelsk (godt)"],
          ["Kørekort", "B, BE"],
          ["Kompetencer", "el-installationer, fejlfinding, tavlearbejde"]]],
        _gold(headline="Elektriker",
              experiences=[_exp("Elektriker", "El-firmaet Volt ApS", 2018, None),
                           _exp("Elektrikerlærling", "Hansen El A/S", 2014, 2018)],
              educations=[_edu("Elektrikeruddannelsen", "Tradium", 2018)],
              skills=["el-installationer", "fejlfinding", "tavlearbejde"],
              languages=[_lang("Dansk", "Modersmål"), _lang("Engelsk", "Godt")],
              driving_licences=["B", "BE"]),
    ),
]  # fmt: skip


def write_edge_cases(out: Path) -> int:
    return _write(out, CASES)


def _write(out: Path, cases: list[tuple[str, Any, dict[str, Any]]]) -> int:
    for name, content, gold in cases:
        path = out / name
        if name.endswith(".docx"):
            path.write_bytes(docx(content))
        elif name.endswith(".odt"):
            path.write_bytes(odt(content))
        else:
            encoding = "cp1252" if "cp1252" in name else "utf-8"
            path.write_bytes(content.encode(encoding))
        gold.setdefault("written_in", "da")
        stem = name.rsplit(".", 1)[0]
        (out / f"{stem}.gold.json").write_text(
            json.dumps(gold, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return len(cases)


# Written after the parser was tuned on the set above and measured once, without changes to
# the parser afterwards: a check of how far the rules carry to unfamiliar writing styles.
BLIND: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "blind-inline-dates.txt",
        "Camilla Friis\nPædagogmedhjælper\n\nArbejdserfaring:\n"
        "2018-2022 Pædagogmedhjælper i Børnehuset Mælkebøtten, Vejle Kommune\n"
        "2015-2018 Dagplejer, Fredericia Kommune\n\nSkolegang:\n"
        "2014 PAU, SOSU Fredericia\n2009 10. klasse, Fredericia Ungdomsskole\n\n"
        "IT-kundskaber:\nWord, Outlook, Aula\n\nSprogkundskaber:\nDansk: Modersmål\n"
        "Engelsk: Middel\n",
        _gold(headline="Pædagogmedhjælper",
              experiences=[_exp("Pædagogmedhjælper", "Børnehuset Mælkebøtten, Vejle Kommune",
                                2018, 2022),
                           _exp("Dagplejer", "Fredericia Kommune", 2015, 2018)],
              educations=[_edu("PAU", "SOSU Fredericia", 2014),
                          _edu("10. klasse", "Fredericia Ungdomsskole", 2009)],
              skills=["Word", "Outlook", "Aula"],
              languages=[_lang("Dansk", "Modersmål"), _lang("Engelsk", "Rimeligt")]),
    ),
    (
        "blind-labelled-fields.docx",
        ["CURRICULUM VITAE", "Henrik Holm", "# Beskæftigelse",
         "Stilling: Lagerarbejder", "Arbejdsgiver: PostNord Danmark", "Periode: 2019 - nu",
         "Stilling: Chauffør", "Arbejdsgiver: GLS Denmark A/S", "Periode: 2012 - 2019",
         "# Kurser", "Truckcertifikat B, AMU Syd, 2012", "# Kørekort", "B, C, CE"],
        _gold(headline="",
              experiences=[_exp("Lagerarbejder", "PostNord Danmark", 2019, None),
                           _exp("Chauffør", "GLS Denmark A/S", 2012, 2019)],
              educations=[_edu("Truckcertifikat B", "AMU Syd", 2012)],
              driving_licences=["B", "C", "CE"]),
    ),
    (
        "blind-english-employment.docx",
        ["JAMES O'CONNOR", "Warehouse Operative", "# Employment",
         "DHL Express, Brøndby", "Warehouse Operative", "Jan 2016 – Dec 2020",
         "* Loading and unloading of lorries", "* Scanning parcels",
         "Tesco, Dublin", "Shop Assistant", "2012 – 2015",
         "# Education", "Leaving Certificate, St. Mary's College, 2011",
         "# Languages", "English – mother tongue", "Danish – basic"],
        _gold(headline="Warehouse Operative",
              experiences=[_exp("Warehouse Operative", "DHL Express, Brøndby", 2016, 2020),
                           _exp("Shop Assistant", "Tesco, Dublin", 2012, 2015)],
              educations=[_edu("Leaving Certificate", "St. Mary's College", 2011)],
              languages=[_lang("Engelsk", "Modersmål"), _lang("Dansk", "Basis")],
              written_in="en"),
    ),
    (
        "blind-parenthesised.txt",
        "Sara Ali\nButiksassistent med erfaring fra dagligvarer\n\nERFARING\n"
        "Butiksassistent – Føtex, Aarhus (2016–2019)\nKassearbejde og opfyldning.\n"
        "Kassemedarbejder – Netto (2014–2016)\n\nUDDANNELSE\n"
        "Detailhandelsuddannelse (2016)\n\nSPROG\nArabisk – modersmål; Dansk – flydende; "
        "Engelsk – godt\n\nØNSKER\nFuldtidsjob som butiksassistent eller lagermedarbejder\n",
        _gold(headline="Butiksassistent med erfaring fra dagligvarer",
              experiences=[_exp("Butiksassistent", "Føtex, Aarhus", 2016, 2019),
                           _exp("Kassemedarbejder", "Netto", 2014, 2016)],
              educations=[_edu("Detailhandelsuddannelse", None, 2016)],
              languages=[_lang("Arabisk", "Modersmål"), _lang("Dansk", "Flydende"),
                         _lang("Engelsk", "Godt")],
              desired_occupations=["Butiksassistent", "Lagermedarbejder"]),
    ),
    (
        "blind-year-lines.odt",
        ["Tobias Krogh", "Lagerarbejder", "# Erfaring", "Lagerarbejder", "PostNord", "2019",
         "Pakkemedarbejder", "Bring", "2018", "# Uddannelse", "Folkeskolens afgangsprøve", "2016",
         "# Kørekort", "B og truck"],
        _gold(headline="Lagerarbejder",
              experiences=[_exp("Lagerarbejder", "PostNord", 2019, 2019),
                           _exp("Pakkemedarbejder", "Bring", 2018, 2018)],
              educations=[_edu("Folkeskolens afgangsprøve", None, 2016)],
              driving_licences=["B", "truck"]),
    ),
    (
        "blind-english-summary.txt",
        "Profile\nI am a certified electrician with ten years of experience in industrial "
        "installations.\n\nWork history\nElectrician | Bravida Danmark A/S | 2015 - present\n"
        "Apprentice electrician | Hansen El ApS | 2011 - 2015\n\nQualifications\n"
        "Electrician (journeyman), Tech College Aalborg, 2015\n\nSkills\n"
        "PLC, fault finding, high voltage\n\nDriving licence\nB\n",
        _gold(headline="",
              experiences=[_exp("Electrician", "Bravida Danmark A/S", 2015, None),
                           _exp("Apprentice electrician", "Hansen El ApS", 2011, 2015)],
              educations=[_edu("Electrician (journeyman)", "Tech College Aalborg", 2015)],
              skills=["PLC", "fault finding", "high voltage"], driving_licences=["B"],
              written_in="en"),
    ),
]  # fmt: skip


def write_blind_cases(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    return _write(out, BLIND)
