"""Type detection, display names (never names on disk) and the kinds' date and page rules."""
from datetime import date, datetime, timezone

import pytest

from consignations_shared.errors import ValidationFailed
from documents_service.domain import kinds
from documents_service.domain.files import JPEG, PDF, PNG, content_disposition, detect_type, sanitize_file_name


def test_type_comes_from_the_first_bytes():
    assert detect_type(b"%PDF-1.7\n") is PDF
    assert detect_type(b"\x89PNG\r\n\x1a\n") is PNG
    assert detect_type(b"\xff\xd8\xff\xe0") is JPEG
    assert detect_type(b"MZ\x90\x00") is None
    assert detect_type(b"GIF89a") is None
    assert detect_type(b"") is None


@pytest.mark.parametrize("raw, file_type, expected", [
    ("releve.pdf", PDF, "releve.pdf"),
    ("scan.pdf", PNG, "scan.png"),                 # a PNG renamed .pdf is shown as what it is
    ("photo.png", PDF, "photo.pdf"),               # a PDF declared/named as an image
    ("a.pdf.exe", PDF, "a.pdf"),                   # the lying trailing extension goes
    ("a.pdf.exe", PNG, "a.pdf.png"),
    ("../../etc/passwd", PDF, "passwd.pdf"),       # no directory part
    ("..\\..\\windows\\system32\\cmd.exe", PDF, "cmd.pdf"),
    ("rib\x00.pdf", PDF, "rib.pdf"),               # a NUL byte is dropped
    ("fac\u202etxt.exe", PDF, "factxt.pdf"),       # bidi override dropped
    ("  ..hidden.PDF  ", PDF, "hidden.PDF"),
    ("", PDF, "document.pdf"),
    (None, JPEG, "document.jpg"),
    ("...", PNG, "document.png"),
    ("photo.JPEG", JPEG, "photo.JPEG"),
])
def test_display_names(raw, file_type, expected):
    assert sanitize_file_name(raw, file_type) == expected


def test_a_300_character_name_is_cut_to_120_keeping_the_extension():
    name = sanitize_file_name("é" * 300 + ".pdf", PDF)
    assert len(name) == 120 and name.endswith(".pdf") and name.startswith("é")


def test_content_disposition_is_an_attachment_with_a_safe_fallback():
    header = content_disposition('relevé "bancaire".pdf')
    assert header.startswith('attachment; filename="releve _bancaire_.pdf"')
    assert "filename*=UTF-8''relev%C3%A9%20%22bancaire%22.pdf" in header
    assert "\n" not in content_disposition("a\r\nb.pdf")


NOW = datetime(2026, 5, 31, 10, 0, tzinfo=timezone.utc)


def test_months_before_clamps_to_the_end_of_month():
    assert kinds.months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert kinds.months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)


def test_kbis_must_be_less_than_three_months_old():
    kbis = kinds.kind_of("KBIS")
    assert kinds.check_date(kbis, date(2026, 3, 1), NOW) == date(2026, 3, 1)
    assert kinds.check_date(kbis, date(2026, 5, 31), NOW) == date(2026, 5, 31)
    for too_old in (date(2026, 2, 28), date(2025, 12, 1)):
        with pytest.raises(ValidationFailed) as refused:
            kinds.check_date(kbis, too_old, NOW)
        assert "moins de 3 mois" in refused.value.fields["document_date"]
    with pytest.raises(ValidationFailed) as future:
        kinds.check_date(kbis, date(2026, 6, 1), NOW)
    assert "futur" in future.value.fields["document_date"]
    with pytest.raises(ValidationFailed):
        kinds.check_date(kbis, None, NOW)


def test_the_day_is_the_french_day():
    late_evening_utc = datetime(2026, 5, 31, 22, 30, tzinfo=timezone.utc)  # already 1 June in Paris
    assert kinds.check_date(kinds.kind_of("BIRTH_CERTIFICATE"), date(2026, 6, 1), late_evening_utc)


def test_undated_kinds_refuse_a_date_and_identity_needs_a_side():
    with pytest.raises(ValidationFailed):
        kinds.check_date(kinds.kind_of("RIB"), date(2026, 5, 1), NOW)
    identity = kinds.kind_of("IDENTITY")
    assert kinds.check_page(identity, "recto") == "recto"
    assert kinds.check_page(identity, "recto_verso") == "recto_verso"
    with pytest.raises(ValidationFailed):
        kinds.check_page(identity, None)
    with pytest.raises(ValidationFailed):
        kinds.check_page(kinds.kind_of("RIB"), "verso")


@pytest.mark.parametrize("code", ["SUMMARY", "PAYMENT_PROOF", "PASSPORT", None, 3])
def test_generated_and_unknown_kinds_cannot_be_uploaded(code):
    with pytest.raises(ValidationFailed):
        kinds.kind_of(code)


# --- the French messages of the kinds' rules (issue 21: they are what the person reads) ----------

def _refusal(call, *args):
    with pytest.raises(ValidationFailed) as refused:
        call(*args)
    return refused.value.fields


LATE_MARCH = datetime(2026, 3, 31, 22, 30, tzinfo=timezone.utc)  # already 1 April in Paris


def test_date_rules_and_their_messages():
    kbis, rib = kinds.KINDS["KBIS"], kinds.KINDS["RIB"]
    assert _refusal(kinds.check_date, rib, date(2026, 3, 1), LATE_MARCH) == {
        "document_date": "Ce type de document ne comporte pas de date à renseigner."}
    assert kinds.check_date(rib, None, LATE_MARCH) is None
    assert _refusal(kinds.check_date, kbis, None, LATE_MARCH) == {"document_date": "Indiquez la date du document."}
    assert kinds.check_date(kbis, date(2026, 4, 1), LATE_MARCH) == date(2026, 4, 1)  # today in Paris
    assert _refusal(kinds.check_date, kbis, date(2026, 4, 2), LATE_MARCH) == {
        "document_date": "La date du document ne peut pas être dans le futur."}
    assert kinds.check_date(kbis, date(2026, 1, 2), LATE_MARCH) == date(2026, 1, 2)
    assert _refusal(kinds.check_date, kbis, date(2026, 1, 1), LATE_MARCH) == {
        "document_date": "Le document doit dater de moins de 3 mois (daté du 01/01/2026)."}


def test_page_rules_and_their_messages():
    identity, rib = kinds.KINDS["IDENTITY"], kinds.KINDS["RIB"]
    assert [kinds.check_page(identity, p) for p in ("recto", "verso", "recto_verso")] == ["recto", "verso", "recto_verso"]
    assert kinds.check_page(rib, None) is None and kinds.check_page(rib, "") is None
    assert _refusal(kinds.check_page, rib, "recto") == {"page": "Ce type de document n'a pas de recto ni de verso."}
    for page in (None, "", "face"):
        assert _refusal(kinds.check_page, identity, page) == {
            "page": "Précisez s'il s'agit du recto, du verso ou des deux faces."}


def test_kinds_their_description_and_labels():
    assert kinds.kind_of("KBIS").as_dict() == {"code": "KBIS", "label": "Extrait Kbis ou avis de situation SIRENE",
                                               "pages": [], "requires_date": True, "max_age_months": 3,
                                               "generated": False}
    assert kinds.kind_of("IDENTITY").as_dict() == {"code": "IDENTITY", "label": "Pièce d'identité",
                                                   "pages": list(kinds.PAGES), "requires_date": False,
                                                   "max_age_months": None, "generated": False}
    for code in ("SUMMARY", "PAYMENT_PROOF", "NOPE", None, 3):
        assert _refusal(kinds.kind_of, code) == {"kind": "Type de document inconnu."}
    assert kinds.label("RIB") == "Relevé d'identité bancaire (RIB)" and kinds.label("NOPE") == "NOPE"
    assert "SUMMARY" not in kinds.UPLOADABLE and "RIB" in kinds.UPLOADABLE


def test_document_dates_are_iso():
    assert kinds.parse_document_date("2026-03-01") == date(2026, 3, 1)
    assert kinds.parse_document_date(date(2026, 3, 1)) == date(2026, 3, 1)
    assert kinds.parse_document_date(None) is None and kinds.parse_document_date("") is None
    for raw in ("01/03/2026", "2026-02-30", "hier"):
        assert _refusal(kinds.parse_document_date, raw) == {
            "document_date": "Date invalide : format attendu AAAA-MM-JJ."}


@pytest.mark.parametrize("raw, clean", [
    (" .rapport. ", "rapport.pdf"), ("rapport\nfinal .pdf", "rapportfinal.pdf"), ("scan", "scan.pdf"),
    ("notes.txt", "notes.pdf"), ("a.pdf.pdf", "a.pdf"), ("x. .pdf", "x.pdf"), ("rapport.", "rapport.pdf"),
    (" rapport .pdf", "rapport.pdf"), ("...", "document.pdf"), ("a. .PDF", "a.PDF"),
    ("é" * 130 + " .pdf", "é" * 116 + ".pdf"), ("a" * 115 + ". b.pdf", "a" * 115 + ".pdf"),
])
def test_file_names_lose_dots_and_spaces_at_their_edges(raw, clean):
    assert sanitize_file_name(raw, PDF) == clean


def test_content_disposition_fallback_and_exact_name():
    assert content_disposition("日本") == "attachment; filename=\"document\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC"
    assert content_disposition("a/b Relevé.pdf") == (
        "attachment; filename=\"a_b Releve.pdf\"; filename*=UTF-8''a%2Fb%20Relev%C3%A9.pdf")


def test_unhashable_kinds_are_unknown_kinds():
    with pytest.raises(ValidationFailed):
        kinds.kind_of(["RIB"])
