"""What a file is, from its content (SPEC DO-1), and the names it is shown under.

The type comes from the first bytes (magic numbers), never from the name nor from the declared
Content-Type. Names are for display only: on disk every file has a server-generated random
name (storage.py). The display name keeps what the person typed, made harmless:

- path parts (`../`, `C:\\`), control characters (a NUL byte, bidi overrides) and surrounding
  dots and spaces are removed; at most 120 characters, the extension kept;
- its extension is the detected type's: `scan.pdf` that is really a PNG becomes `scan.png`;
  `a.pdf.exe` whose content is a PDF becomes `a.pdf` (the trailing extension that does not match
  the content is dropped, and a name already ending with the right one is not extended twice);
  a file whose content is an executable is refused, whatever its name.

Downloads send that name in `Content-Disposition: attachment` (an ASCII fallback and the UTF-8
form of RFC 6266), with the detected type and `X-Content-Type-Options: nosniff`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

MAX_NAME_LENGTH = 120


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str
    other_extensions: tuple[str, ...] = ()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.other_extensions)


PDF = FileType("application/pdf", ".pdf", "PDF")
PNG = FileType("image/png", ".png", "PNG")
JPEG = FileType("image/jpeg", ".jpg", "JPEG", (".jpeg",))
TYPES = {t.content_type: t for t in (PDF, PNG, JPEG)}

# How many first bytes detect_type needs.
SNIFF_LENGTH = 8


def detect_type(head: bytes) -> FileType | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


_SEPARATORS = re.compile(r"[\\/]")
_SPACES = re.compile(r"\s+")


def _visible(text: str) -> str:
    # Cc: controls (NUL, newlines, ...), Cf: format characters (bidi overrides that disguise
    # "gnp.exe" as "exe.png"), Cs/Co/Cn: surrogates, private use, unassigned.
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def sanitize_file_name(raw, file_type: FileType) -> str:
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = _SEPARATORS.split(name)[-1]  # no directory part, whatever the client's OS
    name = _SPACES.sub(" ", _visible(name)).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if extension and "." + extension.lower() in file_type.extensions:
        ext = "." + extension  # keep the person's spelling (.JPG, .jpeg)
    else:
        stem = stem if dot else name  # a trailing extension that lies about the content goes
        ext = file_type.extension
    stem = stem.strip(" .")
    for known in file_type.extensions:  # "a.pdf" + ".pdf" is not "a.pdf.pdf"
        if stem.lower().endswith(known) and ext.lower() == known:
            stem = stem[: -len(known)].rstrip(" .")
    stem = stem or "document"
    return stem[: MAX_NAME_LENGTH - len(ext)].rstrip(" .") + ext


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'[^A-Za-z0-9 ._()-]', "_", fallback).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
