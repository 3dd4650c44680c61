"""CV files: checks and text extraction, with a Danish message for every refusal.

Accepted: DOCX, PDF with a text layer, ODT and plain text, at most :data:`MAX_BYTES`. The
content is sniffed (magic bytes, then the structure of the ZIP container) and must match the
file name's extension. Everything that goes wrong on bad input is a :class:`DocumentRefused`
with a stable ``code`` and one Danish sentence or two for the person who uploaded the file;
no other exception leaves :func:`extract_text`.

ZIP containers (DOCX, ODT) are checked before anything is read: number of entries, declared
sizes and compression ratios; the XML parts are then read with a byte cap counted while
decompressing, and parsed by :mod:`defusedxml` (no entity expansion, no external entities).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from matching.core.errors import JobbroError
from matching.people.documents.ooxml import docx_lines, odt_lines

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 1000  # a CV in Word has 10-60 parts; a few hundred with many images
MAX_DECLARED_TOTAL = 100 * 1024 * 1024  # sum of the declared uncompressed sizes
MAX_PART_BYTES = 20 * 1024 * 1024  # what is actually read of one XML part
MAX_RATIO = 200  # uncompressed/compressed of one entry above RATIO_FLOOR (XML: ~5-30)
RATIO_FLOOR = 1024 * 1024
MAX_PDF_PAGES = 30  # pages read; a longer document is read in part (with a warning)
MAX_TEXT_CHARS = 200_000
MIN_PDF_LETTERS = 40  # fewer letters than this in the whole text layer: a scan
MIN_PDF_LETTERS_PER_PAGE = 15

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
PDF = "application/pdf"
TXT = "text/plain"
EXTENSIONS = {".docx": DOCX, ".odt": ODT, ".pdf": PDF, ".txt": TXT}
NAMES = {DOCX: "Word (.docx)", ODT: "OpenDocument (.odt)", PDF: "PDF", TXT: "tekst (.txt)"}

_MESSAGES = {
    "too_large": "Filen er for stor. Et cv må højst fylde 5 MB.",
    "empty": "Filen er tom, eller der er ingen tekst i den.",
    "unsupported_type": (
        "Filtypen kan ikke bruges. Upload dit CV som Word (.docx), PDF, OpenDocument (.odt) "
        "eller tekst (.txt)."
    ),
    "encrypted_pdf": "PDF-filen er beskyttet med kodeord. Gem den uden kodeord, og prøv igen.",
    "no_text_layer": (
        "PDF-filen indeholder ingen tekst, kun billeder (for eksempel en scannet side). Upload "
        "CV'et som Word-fil eller som en PDF gemt fra et tekstbehandlingsprogram."
    ),
    "macros": (
        "Dokumentet indeholder makroer eller andet aktivt indhold. Gem det som et almindeligt "
        "Word-dokument (.docx) uden makroer, og prøv igen."
    ),
    "external_references": (
        "Dokumentet henter indhold fra andre filer eller fra internettet (en skabelon, "
        "indlejrede objekter eller billeder). Gem det som et almindeligt dokument uden sådanne "
        "henvisninger, og prøv igen."
    ),
    "zip_bomb": "Filen pakker sig ud til langt mere, end et CV fylder, og kan ikke læses.",
    "corrupt": "Filen er beskadiget eller kan ikke læses. Gem den igen, og prøv på ny.",
}


class DocumentRefused(JobbroError):
    """A file that cannot be read as a CV. ``message_da`` is for the person; ``code`` is
    stable (see :data:`CODES`) for pages, logs and tests."""

    def __init__(self, message_da: str, code: str) -> None:
        self.message_da = message_da
        self.code = code
        super().__init__(message_da)


def refused(code: str, message_da: str | None = None) -> DocumentRefused:
    return DocumentRefused(message_da or _MESSAGES[code], code)


CODES = (*_MESSAGES, "type_mismatch")


@dataclass(frozen=True)
class Extracted:
    """The text of a document as lines in reading order, and what went wrong on the way."""

    media_type: str
    lines: list[str]
    warnings: list[str]


# --- sniffing -------------------------------------------------------------------------------

_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "et billede (PNG)"),
    (b"\xff\xd8\xff", "et billede (JPEG)"),
    (b"GIF87a", "et billede (GIF)"),
    (b"GIF89a", "et billede (GIF)"),
    (b"II*\x00", "et billede (TIFF)"),
    (b"MM\x00*", "et billede (TIFF)"),
    (b"BM", "et billede (BMP)"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "et gammelt Office-dokument eller et dokument med kodeord",
    ),
    (b"{\\rtf", "et RTF-dokument"),
    (b"Rar!", "et RAR-arkiv"),
    (b"7z\xbc\xaf", "et 7z-arkiv"),
    (b"\x1f\x8b", "et gzip-arkiv"),
    (b"MZ", "et program"),
    (b"\x7fELF", "et program"),
)


def _is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(sample) // 100


def _zip_kind(zf: zipfile.ZipFile) -> str | None:
    names = set(zf.namelist())
    if "word/document.xml" in names or "[Content_Types].xml" in names:
        return DOCX if "word/document.xml" in names else None
    if "mimetype" in names:
        mimetype = _read(zf, "mimetype", 200).decode("ascii", "replace").strip()
        return ODT if mimetype in (ODT, ODT + "-template") else None
    return None


def sniff(data: bytes) -> tuple[str | None, str]:
    """(media type or None, what the content is in Danish words, for a mismatch message)."""
    if data.lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return PDF, "en PDF-fil"
    if _is_zip(data):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                _check_archive(zf)
                kind = _zip_kind(zf)
        except DocumentRefused:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise refused("corrupt") from exc
        words = {DOCX: "et Word-dokument", ODT: "et OpenDocument-dokument"}
        return kind, words.get(kind or "", "et ZIP-arkiv")
    for magic, words in _OTHER_MAGIC:
        if data.startswith(magic):
            return None, words
    if _looks_like_text(data):
        return TXT, "almindelig tekst"
    return None, "en ukendt filtype"


# --- ZIP containers -------------------------------------------------------------------------


def _check_archive(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise refused("zip_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refused("zip_bomb")
        if info.flag_bits & 0x1:  # an encrypted entry
            raise refused("corrupt")
    if total > MAX_DECLARED_TOTAL:
        raise refused("zip_bomb")


def _read(zf: zipfile.ZipFile, name: str, cap: int | None = None) -> bytes:
    """Read one entry, counting the bytes actually decompressed (declared sizes can lie;
    Python's zipfile also stops at the declared size and checks the CRC)."""
    cap = MAX_PART_BYTES if cap is None else cap
    with zf.open(name) as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise refused("zip_bomb")
    return data


def _extract_zip(data: bytes, media_type: str) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_archive(zf)
            if media_type == DOCX:
                return docx_lines(zf, _read)
            return odt_lines(zf, _read)
    except DocumentRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        OSError,
        EOFError,
        ValueError,
        zlib.error,
        NotImplementedError,  # an unsupported compression method
        RecursionError,
    ) as exc:
        raise refused("corrupt") from exc
    except Exception as exc:  # noqa: BLE001 - defusedxml/ElementTree errors of hostile XML
        raise refused("corrupt") from exc


# --- PDF ------------------------------------------------------------------------------------


def _extract_pdf(data: bytes) -> tuple[list[str], list[str]]:
    from pypdf import PdfReader

    warnings: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - unsupported crypto, damaged dictionaries
                raise refused("encrypted_pdf") from exc
            if not opened:
                raise refused("encrypted_pdf")
        pages = reader.pages
        count = len(pages)
        if count > MAX_PDF_PAGES:
            warnings.append(f"Kun de første {MAX_PDF_PAGES} af {count} sider er læst.")
        texts: list[str] = []
        size = 0
        for number in range(min(count, MAX_PDF_PAGES)):
            text = pages[number].extract_text() or ""
            texts.append(text)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                break
    except DocumentRefused:
        raise
    except RecursionError as exc:
        raise refused("corrupt") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise refused("corrupt") from exc
    text = "\n".join(texts)
    letters = sum(1 for c in text if c.isalpha())
    read_pages = max(1, min(count, MAX_PDF_PAGES))
    if letters < MIN_PDF_LETTERS or letters < MIN_PDF_LETTERS_PER_PAGE * read_pages:
        raise refused("no_text_layer")
    return text.splitlines(), warnings


# --- plain text -----------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise refused("corrupt") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536], cp_isolation=["cp1252", "latin_1", "cp850", "mac_roman"])
        guess = best.best()
        if guess is not None and guess.encoding in ("cp850", "mac_roman"):
            return data.decode(guess.encoding, errors="replace")
    except Exception:  # noqa: BLE001, S110 - a guess only; Windows-1252 is the usual answer
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --- the entry point ------------------------------------------------------------------------


def media_type_for(filename: str) -> str | None:
    """The media type the extension promises; None without an extension."""
    suffix = PurePath(filename or "").suffix.lower()
    if not suffix:
        return None
    if suffix not in EXTENSIONS:
        raise refused("unsupported_type")
    return EXTENSIONS[suffix]


def extract_text(data: bytes, filename: str) -> Extracted:
    """Check ``data`` and return its text as lines; raise :class:`DocumentRefused` else."""
    if len(data) > MAX_BYTES:
        raise refused("too_large")
    if not data.strip():
        raise refused("empty")
    promised = media_type_for(filename)
    actual, words = sniff(data)
    if promised is not None and actual != promised:
        if actual is None and promised != TXT and words == "en ukendt filtype":
            raise refused("corrupt")
        suffix = PurePath(filename).suffix.lower()
        raise refused(
            "type_mismatch",
            f"Filen hedder {suffix}, men indholdet er {words}. Gem CV'et igen som "
            f"{NAMES[promised]}, og prøv igen.",
        )
    if actual is None:
        raise refused("unsupported_type")
    warnings: list[str] = []
    if actual == PDF:
        lines, warnings = _extract_pdf(data)
    elif actual in (DOCX, ODT):
        lines = _extract_zip(data, actual)
    else:
        lines = decode_text(data).splitlines()
    lines = [line.replace("\x00", "").rstrip() for line in lines]
    text_size = 0
    kept: list[str] = []
    for line in lines:
        text_size += len(line) + 1
        if text_size > MAX_TEXT_CHARS:
            warnings.append("Dokumentet er meget langt; kun begyndelsen er læst.")
            break
        kept.append(line)
    if not any(line.strip() for line in kept):
        raise refused("no_text_layer" if actual == PDF else "empty")
    return Extracted(actual, kept, warnings)
