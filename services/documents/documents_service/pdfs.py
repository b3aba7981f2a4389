"""PDF rendering (WeasyPrint, DO-7) and PAdES signing (pyHanko, DO-8), run in worker processes.

The templates (templates/*.html, one stylesheet) are French, A4, with the CDC header on every
page and page numbers; values are escaped by Jinja2. The views come from domain/snapshot.py,
where IBANs are already masked.
"""
from __future__ import annotations

import io
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
_environment = None
_signers: dict = {}


def _templates():
    global _environment
    if _environment is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        _environment = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                                   autoescape=select_autoescape(["html"], default=True),
                                   undefined=StrictUndefined)
    return _environment


def html_of(template: str, view: dict) -> str:
    return _templates().get_template(template).render(**view)


_stylesheet = None  # (CSS, FontConfiguration), parsed once per worker process


def _write_pdf(html: str, styled: bool = True) -> bytes:
    """The PDF of an HTML page; `styled`: with templates/style.css, parsed once per process and
    shared by every render (the cascade and the fonts are the same for each document)."""
    global _stylesheet
    import logging

    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    if not styled:
        return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant=None)
    if _stylesheet is None:
        fonts = FontConfiguration()
        _stylesheet = (CSS(filename=str(TEMPLATES / "style.css"), font_config=fonts), fonts)
    stylesheet, fonts = _stylesheet
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
        stylesheets=[stylesheet], font_config=fonts, pdf_variant=None)


def render_summary(view: dict, out_path: str) -> dict:
    pdf = _write_pdf(html_of("summary.html", view))
    Path(out_path).write_bytes(pdf)
    return {"size": len(pdf)}


def render_payment_proof(view: dict, out_path: str, signing: dict) -> dict:
    pdf = _write_pdf(html_of("payment_proof.html", view))
    signed = sign_pdf(pdf, signing, reason=f"{view['title']} – demande n° {view['number']}")
    Path(out_path).write_bytes(signed)
    return {"size": len(signed)}


def _signer(signing: dict):
    from pyhanko.sign import signers

    key = tuple(sorted((k, str(v)) for k, v in signing.items()))
    signer = _signers.get(key)
    if signer is None:
        passphrase = signing.get("passphrase")
        passphrase = passphrase.encode("utf-8") if passphrase else None
        if signing.get("pkcs12_path"):
            signer = signers.SimpleSigner.load_pkcs12(signing["pkcs12_path"], passphrase=passphrase,
                                                      ca_chain_files=signing.get("chain_paths") or None)
        else:
            signer = signers.SimpleSigner.load(signing["key_path"], signing["cert_path"],
                                               ca_chain_files=signing.get("chain_paths") or None,
                                               key_passphrase=passphrase)
        if signer is None:
            raise RuntimeError("the signing key or certificate could not be loaded")
        _signers[key] = signer
    return signer


def sign_pdf(pdf: bytes, signing: dict, reason: str) -> bytes:
    """A PAdES baseline (B-B) signature: CAdES detached, SHA-256, the signing certificate in
    the signed attributes; verifiable by any PDF validator that trusts the certificate."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="SignatureConsignations", md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location="Paris",
        name="Caisse des Dépôts – Service des consignations",
    )
    output = io.BytesIO()
    signers.sign_pdf(writer, metadata, signer=_signer(signing), output=output)
    return output.getvalue()


def trivial_pdf() -> bytes:
    """A one-page document with no template: the benchmark's reference, and the warm-up."""
    return _write_pdf("<html lang='fr'><body><p>Consignations</p></body></html>", styled=False)


def warm_up() -> bool:
    trivial_pdf()  # loads WeasyPrint, Pango and the fonts once per worker
    _write_pdf("<html lang='fr'><body><p>Consignations</p></body></html>")  # parses the stylesheet
    _templates().get_template("summary.html")
    import pypdf  # noqa: F401  (imported once, not at the first upload)
    from PIL import Image  # noqa: F401
    return True
