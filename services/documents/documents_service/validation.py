"""Deep checks of an uploaded file, run in a worker process (workers.py), never on the hub.

- PDF (pypdf): opens, is not encrypted, has at least one page, every page's content can be
  read, and carries no active content. The policy follows ISO 32000 (PDF 1.7 / 2.0) and
  allow-lists what a scanned or printed document needs: pages, content streams, images, fonts,
  outlines, plain annotations and form fields, and navigation inside the document (a
  destination, or the action GoTo, also as /OpenAction). Refused: every other action type
  (GoToR, GoToE, GoToDp, Launch, Thread, URI, Sound, Movie, Hide, Named, SubmitForm, ResetForm,
  ImportData, SetOCGState, Rendition, Trans, GoTo3DView, JavaScript, RichMediaExecute: remote
  files such as a network share, addresses, form submission, scripts, media), scripts
  (`/JS`, `/JavaScript`), automatic actions (`/AA`), XFA forms (`/XFA`), embedded files
  (`/EmbeddedFiles`, `/EmbeddedFile`, file attachment annotations) and media annotations
  (RichMedia, Screen, Movie, Sound, 3D).
- PNG / JPEG (Pillow): at most MAX_IMAGE_PIXELS pixels, read from the header before anything is
  decoded (a 20,000 × 20,000 PNG bomb of a few kilobytes is refused without decoding it), then
  verified and fully decoded (truncated or corrupt images are refused).

A refusal is a FileRejected(code, message) with the French message for the person.
"""
from __future__ import annotations

import warnings

from .domain.files import PDF, TYPES, detect_type, SNIFF_LENGTH

# Pixel limit of images (decompression bombs): 40 million pixels, e.g. 7,300 × 5,480 — well
# above a 600 dpi A4 scan (4,960 × 7,016 = 34.8 Mpx), far below what would exhaust memory.
MAX_IMAGE_PIXELS = 40_000_000
# Objects visited when looking for active content in a PDF (a pathological file stops there).
MAX_PDF_OBJECTS = 200_000

MESSAGES = {
    "unsupported_type": "Format de fichier non accepté : seuls les fichiers PDF, PNG et JPEG sont acceptés.",
    "empty": "Le fichier est vide.",
    "pdf_unreadable": "Le fichier PDF est illisible ou incomplet (fichier endommagé ou tronqué).",
    "pdf_encrypted": "Le fichier PDF est protégé par un mot de passe : déposez une version non protégée.",
    "pdf_no_page": "Le fichier PDF ne contient aucune page.",
    "pdf_active_content": (
        "Le fichier PDF contient du contenu actif (scripts, formulaire XFA, actions automatiques, "
        "liens vers des adresses ou des fichiers extérieurs, envoi de formulaire, médias ou fichiers "
        "joints) : il ne peut pas être accepté. Enregistrez-le de nouveau ou imprimez-le en PDF."),
    "image_unreadable": "L'image est illisible ou incomplète (fichier endommagé ou tronqué).",
    "image_too_large": (
        f"L'image est trop grande (plus de {MAX_IMAGE_PIXELS // 1_000_000} millions de pixels) : "
        "réduisez sa résolution."),
}


class FileRejected(Exception):
    """A file the service does not accept; `message` is for the person (French)."""

    def __init__(self, code: str, message: str | None = None):
        message = message or MESSAGES[code]
        super().__init__(code, message)
        self.code = code
        self.message = message


def validate_file(path: str) -> dict:
    """{content_type, extension, details} of an acceptable file, or FileRejected."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_LENGTH)
    if not head:
        raise FileRejected("empty")
    file_type = detect_type(head)
    if file_type is None:
        raise FileRejected("unsupported_type")
    details = check_pdf(path) if file_type is PDF else check_image(path, file_type.content_type)
    return {"content_type": file_type.content_type, "extension": file_type.extension, "details": details}


# --- PDF -----------------------------------------------------------------------------------------

# Keys whose mere presence is active content: scripts, automatic actions, XFA forms (their own
# scripting), embedded files, rich media.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/XFA", "/EmbeddedFiles", "/EmbeddedFile",
                "/RichMediaContent", "/RichMediaSettings"}
# Every action type of ISO 32000-2 (table 201); only GoTo (a destination in this document) is
# allowed. Other dictionaries use /S too (page labels, transitions, structure elements, soft
# masks, groups, border styles) with values that are none of these names.
ACTION_TYPES = {"/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie",
                "/Hide", "/Named", "/SubmitForm", "/ResetForm", "/ImportData", "/SetOCGState", "/Rendition",
                "/Trans", "/GoTo3DView", "/JavaScript", "/RichMediaExecute"}
ALLOWED_ACTIONS = {"/GoTo"}
# Annotations that carry files or media (ISO 32000-2, 12.5.6).
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}


def check_pdf(path: str) -> dict:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are our refusals
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise FileRejected("pdf_unreadable")  # truncated: the end-of-file marker is missing
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted:
                raise FileRejected("pdf_encrypted")
            pages = len(reader.pages)
            if pages < 1:
                raise FileRejected("pdf_no_page")
            if _has_active_content(reader):
                raise FileRejected("pdf_active_content")
            for page in reader.pages:
                page.get_contents()  # decodes every content stream: corrupt streams fail here
    except FileRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError, AssertionError, NotImplementedError, ZeroDivisionError) as exc:
        raise FileRejected("pdf_unreadable") from exc
    return {"pages": pages}


def _has_active_content(reader) -> bool:
    """Walks every object reachable from the trailer (names are decoded, so /J#61vaScript is
    /JavaScript too) looking for what the policy above refuses."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise FileRejected("pdf_unreadable")
        if isinstance(node, DictionaryObject):
            keys = set(node.keys())
            if keys & _ACTIVE_KEYS:
                return True
            action = node.get("/S")
            if action is not None and str(action) in ACTION_TYPES - ALLOWED_ACTIONS:
                return True
            subtype = node.get("/Subtype")
            if subtype is not None and str(subtype) in _ACTIVE_ANNOTATIONS:
                return True
            for key, value in node.items():
                if key in ("/Parent", "/P"):  # back-references: reached from above anyway
                    continue
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


# --- images --------------------------------------------------------------------------------------

def check_image(path: str, content_type: str) -> dict:
    from PIL import Image, ImageFile

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # Other libraries of the same worker (WeasyPrint) relax this for their own images: not here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    expected = {"image/png": "PNG", "image/jpeg": "JPEG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
                if image.format != expected:
                    raise FileRejected("image_unreadable")
                if width * height > MAX_IMAGE_PIXELS:
                    raise FileRejected("image_too_large")
                image.verify()  # structure and checksums (PNG CRCs)
            with Image.open(path) as image:
                image.load()  # decodes everything: truncated data fails here
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FileRejected("image_too_large") from exc
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, EOFError,
            MemoryError, Image.UnidentifiedImageError) as exc:
        raise FileRejected("image_unreadable") from exc
    return {"width": width, "height": height}


__all__ = ["FileRejected", "MAX_IMAGE_PIXELS", "MESSAGES", "TYPES", "validate_file"]
