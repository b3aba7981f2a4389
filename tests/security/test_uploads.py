"""Upload attacks (DO-1) through the gateway: the file type comes from the content, never from the
name nor the declared type; what is not a plain PNG, JPEG or PDF of at most 5 MB is refused with
a French message and stores nothing; names are for display only."""
from __future__ import annotations

import pytest

from consignations_shared.grants import UNKNOWN_OWNER
from documents_service import samples
from security_helpers import draft, upload

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
ZIP = b"PK\x03\x04" + b"\x00" * 200
POLYGLOT = b"%PDF-1.4\n" + HTML  # starts like a PDF, is not one


@pytest.fixture(scope="module")
def owner(world):
    """A draft of the Utilisateur's own, to upload to."""
    browser = world.people["utilisateur"]
    return browser, draft(browser)


REFUSED = [
    ("windows executable named .pdf", samples.exe(), "facture.pdf", "application/pdf", 422),
    ("ELF binary named .png", ELF, "photo.png", "image/png", 422),
    ("zip archive named .pdf", ZIP, "rib.pdf", "application/pdf", 422),
    ("HTML with a script named .png", HTML, "rib.png", "image/png", 422),
    ("SVG with scripts", SVG, "rib.svg", "image/svg+xml", 422),
    ("PDF header followed by HTML", POLYGLOT, "rib.pdf", "application/pdf", 422),
    ("empty file", b"", "vide.pdf", "application/pdf", 422),
    ("truncated PDF", samples.truncated(samples.pdf(3)), "coupe.pdf", "application/pdf", 422),
    ("password-protected PDF", samples.encrypted_pdf(), "secret.pdf", "application/pdf", 422),
    ("PDF running JavaScript when opened", samples.javascript_pdf(), "js.pdf", "application/pdf", 422),
    ("PDF with JavaScript in its name tree", samples.javascript_pdf("names"), "js2.pdf", "application/pdf", 422),
    ("decompression bomb PNG (400 Mpx)", samples.png_bomb(), "bombe.png", "image/png", 422),
    ("truncated PNG", samples.truncated(samples.png(400, 300)), "coupe.png", "image/png", 422),
    ("5 MB + 1 byte", samples.pdf_of_size(5 * 1024 * 1024 + 1), "gros.pdf", "application/pdf", 413),
]


@pytest.mark.parametrize("label,data,name,declared,status", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_uploads(owner, label, data, name, declared, status):
    browser, demande_id = owner
    reply = upload(browser, demande_id, data, name=name, content_type=declared)
    assert reply.status_code == status, (label, reply.status_code, reply.text[:300])
    error = reply.json()["error"]
    assert error["message"] and set(error) == {"code", "message", "fields"}
    listed = browser.get("/api/documents", params={"owner_service": "demandes", "owner_id": demande_id}).json()
    assert name not in [d["file_name"] for d in listed]


def test_names_are_for_display_only(owner):
    browser, demande_id = owner
    cases = {
        "../../../../etc/passwd.pdf": samples.pdf(),
        "..\\..\\windows\\system32\\rib.pdf": samples.pdf(),
        "rib\x00.exe.pdf": samples.pdf(),
        "<script>alert(1)</script>.png": samples.png(),
        "scan.pdf.exe": samples.pdf(),
        "r\u202eeda.pdf": samples.pdf(),  # right-to-left override
        "a" * 500 + ".pdf": samples.pdf(),
    }
    for name, data in cases.items():
        reply = upload(browser, demande_id, data, name=name)
        assert reply.status_code == 201, (name, reply.text)
        shown = reply.json()["file_name"]
        assert "/" not in shown and "\\" not in shown and "\x00" not in shown and "\u202e" not in shown, shown
        assert shown.endswith(".pdf" if data.startswith(b"%PDF") else ".png") and len(shown) <= 120, shown
        download = browser.get(f"/api/documents/{reply.json()['id']}/content")
        assert download.status_code == 200 and download.content == data
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "\n" not in disposition and "<" not in disposition.split("''")[0]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Type"] in ("application/pdf", "image/png")
        assert browser.delete(f"/api/documents/{reply.json()['id']}").status_code == 200


def test_the_type_comes_from_the_content(owner):
    browser, demande_id = owner
    reply = upload(browser, demande_id, samples.png(), name="scan.pdf", content_type="application/pdf")
    assert reply.status_code == 201 and reply.json()["content_type"] == "image/png"
    assert reply.json()["file_name"] == "scan.png"
    download = browser.get(f"/api/documents/{reply.json()['id']}/content")
    assert download.headers["Content-Type"] == "image/png"


def test_multipart_abuse(owner):
    browser, demande_id = owner
    fields = {"owner_service": "demandes", "owner_id": demande_id, "kind": "RIB"}
    two = browser.post("/api/documents", data=fields, files=[("file", ("a.pdf", samples.pdf(), "application/pdf")),
                                                             ("file", ("b.pdf", samples.pdf(2), "application/pdf"))])
    assert two.status_code == 422, two.text
    # Not a multipart body at all: a malformed request (400), not invalid values (issue 18).
    none = browser.post("/api/documents", data=fields)
    assert none.status_code == 400 and none.json()["error"]["code"] == "malformed_body", none.text
    as_json = browser.post("/api/documents", json={**fields, "file": "JVBERi0xLjQ="})
    assert as_json.status_code == 400 and as_json.json()["error"]["code"] == "malformed_body", as_json.text
    many_parts = browser.post("/api/documents", data={**fields, **{f"x{n}": "y" for n in range(50)}},
                              files={"file": ("a.pdf", samples.pdf(), "application/pdf")})
    assert (many_parts.status_code, many_parts.json()["error"]["code"]) == (413, "file_too_large"), many_parts.text
    broken = browser.post("/api/documents", data=b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc",
                          headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    # a file part that never ends is no file (werkzeug drops the unfinished part)
    assert broken.status_code == 422, broken.text
    assert broken.json()["error"]["fields"] == {"file": "Aucun fichier n'a été joint (champ « file »)."}
    wrong_owner = upload(browser, demande_id, samples.pdf(), owner_service="identity")
    assert wrong_owner.status_code == 422, wrong_owner.text
    assert wrong_owner.json()["error"]["fields"] == {"owner_service": UNKNOWN_OWNER}, wrong_owner.text


def test_unstorable_characters_in_the_form_fields(owner):
    """A NUL or a lone surrogate in a form field never reaches a database (which refuses them)."""
    browser, demande_id = owner
    for fields in ({"owner_id": demande_id + "\x00"}, {"kind": "RIB\x00"}, {"page": "recto\x00"},
                   {"document_date": "2026-01-01\x00"}):
        reply = upload(browser, demande_id, samples.pdf(), **fields) if "owner_id" not in fields else \
            upload(browser, fields["owner_id"], samples.pdf())
        assert reply.status_code == 422, (fields, reply.text)

