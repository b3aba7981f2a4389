"""Sample files, good and bad, made on the fly (tests, end-to-end tests and the benchmark).

Nothing here is used by the service itself.
"""
from __future__ import annotations

import io
import struct
import zlib


def png(width: int = 64, height: int = 48, color=(30, 60, 140)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid PNG of width × height black pixels (1 bit per pixel) in a few tens of kilobytes:
    decoding it would take width × height pixels of memory. Built row by row, never in memory."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


def pdf(pages: int = 1, text: str = "Relevé d'identité bancaire", padding: int = 0) -> bytes:
    """A small, plain PDF (pypdf), `pages` pages with a line of text each; `padding` bytes of
    comment in the first page's content stream make it as big as wanted."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for number in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        content = DecodedStreamObject()
        safe = text.encode("latin-1", "replace").decode("latin-1").replace("(", "[").replace(")", "]")
        filler = (b"%" + b"x" * (padding - 2) + b"\n") if padding > 1 and number == 0 else b""
        content.set_data(filler + f"BT /F1 18 Tf 72 760 Td ({safe} {number + 1}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (padding in a comment before the end)."""
    padding = size - len(pdf())
    for _ in range(4):  # the /Length and xref offsets grow by a digit or two
        data = pdf(padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise ValueError(f"could not make a PDF of {size} bytes")


def encrypted_pdf(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def javascript_pdf(where: str = "open_action") -> bytes:
    """A PDF running JavaScript when opened (/OpenAction), from the document's name tree
    (/Names /JavaScript), or on a page event (/AA)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('bonjour');")})
    if where == "open_action":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    elif where == "names":
        names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("bonjour"),
                                                                    writer._add_object(action)])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
    elif where == "page_aa":
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(action)})
    else:
        raise ValueError(where)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def snapshot(demande_id: str = "dem-1", version: int = 1, state: str = "SUBMITTED", sens: str = "D", **extra) -> dict:
    """A request snapshot as the demandes service sends it (contracts.py)."""
    data = {
        "demande_id": demande_id, "number": "102611000000042", "version": version,
        "procedure_code": "SAISIE_IMMO_D",
        "procedure_label": "Déconsigner / récupérer des fonds dans le cadre d'une saisie immobilière (débiteur saisi)",
        "sens": sens, "state": state,
        "state_label": {"SUBMITTED": "Envoyé", "VALIDATED": "Demande validée", "DRAFT": "Demande enregistrée"}.get(state, state),
        "dates": {"created_at": "2026-11-02T09:15:00+00:00", "submitted_at": "2026-11-20T14:02:00+00:00",
                  **({"validated_at": "2026-11-23T08:30:00+00:00"} if state == "VALIDATED" else {})},
        "owner": {"person_id": "5b3e1c0a-7d2f-4e8a-9c61-2f4b8d9e0a17", "name": "Élodie Dupont",
                  "email": "elodie.dupont@acme.example.com", "company_name": "ACME SAS"},
        "fields": [
            {"label": "Forme juridique", "value": "SAS", "kind": "text"},
            {"label": "Titulaire du compte", "value": "ACME SAS", "kind": "text"},
            {"label": "IBAN", "value": "FR76 3000 6000 0112 3456 7890 189", "kind": "iban"},
            {"label": "BIC", "value": "AGRIFRPPXXX", "kind": "text"},
            {"label": "Libellé du virement", "value": "Saisie RG 24/01234 <Tribunal judiciaire de Lyon>", "kind": "text"},
        ],
        "documents": [
            {"label": "Relevé d'identité bancaire (RIB)", "file_name": "rib-acme.pdf", "review_status": "conforme"},
            {"label": "Autre document", "file_name": "jugement.pdf", "review_status": "non_conforme"},
            {"label": "Pièce d'identité", "file_name": "cni-recto.png", "review_status": "pending"},
        ],
        "amount": "TOTAL",
    }
    data.update(extra)
    return data
