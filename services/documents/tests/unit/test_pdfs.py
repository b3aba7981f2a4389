"""The request summary (DO-7) and the signed payment proof (DO-8), rendered in-process here
(the service renders them in its worker processes). The signature is checked with pyHanko's
validator and with an independent one (poppler's pdfsig), and one modified byte breaks it."""
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from consignations_shared import grants
from consignations_shared.errors import Conflict
from documents_service import documents, generated, samples
from documents_service.domain.snapshot import french_amount, mask_iban

from .conftest import GRANT_KEY

ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}


def pdf_bytes(ctx, document):
    _, stream = documents.open_content(ctx, document["id"], ALICE, grants.issue(
        GRANT_KEY, owner_service="demandes", owner_id=document["owner"]["id"], person_id="alice", action="read",
        document_id=document["id"], now=ctx.clock.now()))
    return stream.read()


def text_of(data: bytes) -> str:
    """The text of every page, white space collapsed (lines wrap where they wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_masks_and_french_formats():
    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == "*** **** **** **** **** **** 0189"
    assert mask_iban("") == ""
    assert french_amount("1234567.5") == "1\u202f234\u202f567,50\u00a0€"
    assert french_amount("TOTAL") == "Total" and french_amount(None) == "Non renseigné"


def test_summary_is_a_french_a4_pdf_with_the_iban_masked(ctx, events):
    summary = generated.render_summary(ctx, samples.snapshot(demande_id="dem-of-alice"), ALICE)
    assert summary["kind"] == "SUMMARY" and summary["owner"] == {"service": "demandes", "id": "dem-of-alice"}
    assert summary["file_name"] == "recapitulatif-demande-102611000000042.pdf"  # no version (issue 19)
    data = pdf_bytes(ctx, summary)
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = text_of(data)
    for expected in ("Récapitulatif de votre demande", "102611000000042", "saisie immobilière", "Envoyé",
                     "0189", "ACME SAS", "rib-acme.pdf", "Non conforme", "Total", "20/11/2026 à 15h02",
                     "Page 1 / 1",
                     "<Tribunal judiciaire de Lyon>"):
        assert expected in text, expected
    assert "3000 6000" not in text and "FR76" not in text
    assert reader.metadata.title == "Récapitulatif de la demande n° 102611000000042"
    # Issue 19: the procedure by its label only, no request version.
    assert "SAISIE_IMMO_D" not in text and "Code de la procédure" not in text and "version" not in text
    [event] = events("summary_generated")
    assert event["document_id"] == summary["id"] and event["version"] == 1
    [state] = event["documents"]
    assert (state["id"], state["kind"], state["generated"], state["source_version"]) == (summary["id"], "SUMMARY", True, 1)


def test_the_summary_command_renders_once(ctx, events):
    """demandes.render_summary, consumed by the documents service: a repeated command renders nothing more."""
    from consignations_shared.contracts.payloads.demandes import RenderSummary
    from consignations_shared.events import new_envelope

    command = RenderSummary(snapshot=samples.snapshot(demande_id="dem-of-alice"), person=ALICE)
    envelope = new_envelope(RenderSummary.name, command.payload(), source="demandes", command=True)
    generated.render_asked_summary(ctx, envelope)
    generated.render_asked_summary(ctx, envelope)
    [event] = events("summary_generated")
    assert event["demande_id"] == "dem-of-alice" and event["generated_by"] == "alice"


def test_summary_is_cached_per_request_version(ctx, events):
    first = generated.render_summary(ctx, samples.snapshot(demande_id="dem-of-alice"), ALICE)
    again = generated.render_summary(ctx, samples.snapshot(demande_id="dem-of-alice"), ALICE)
    assert again["id"] == first["id"]
    newer = generated.render_summary(ctx, samples.snapshot(demande_id="dem-of-alice", version=2,
                                                           state_label="En attente complément"), ALICE)
    assert newer["id"] != first["id"] and "En attente complément" in text_of(pdf_bytes(ctx, newer))
    assert len(events("summary_generated")) == 2


def test_a_proof_needs_a_validated_request(ctx):
    with pytest.raises(Conflict):
        generated.issue_payment_proof(ctx, samples.snapshot(demande_id="dem-of-alice"), ALICE)


@pytest.fixture
def proof(ctx):
    document = generated.issue_payment_proof(ctx, samples.snapshot(demande_id="dem-of-alice", state="VALIDATED"), ALICE)
    return document, pdf_bytes(ctx, document)


def test_the_proof_is_issued_once_and_says_what_it_is(ctx, events, proof):
    document, data = proof
    assert document["kind"] == "PAYMENT_PROOF"
    assert document["file_name"] == "justificatif-de-paiement-102611000000042.pdf"
    again = generated.issue_payment_proof(ctx, samples.snapshot(demande_id="dem-of-alice", state="VALIDATED",
                                                                version=9), ALICE)
    assert again["id"] == document["id"]
    text = text_of(data)
    assert "Justificatif de paiement" in text and "validée le 23/11/2026 à 09h30" in text
    assert "Justificatif de déconsignation" not in text  # the e-mail's words (NO-10), the seeds' name
    # A company account's proof: the structure is the « Bénéficiaire », the employee filed it.
    assert "Bénéficiaire Structure ACME SAS Compte bancaire (IBAN)" in text
    assert "Demande déposée par Élodie Dupont" in text and "elodie.dupont@acme.example.com" not in text
    assert "SAISIE_IMMO_D" not in text
    assert "L'intégralité des fonds consignés (solde tout compte) est versée" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert "0189" in text and "3000 6000" not in text
    [event] = events("payment_proof_issued")
    assert event["signer"]["certificate_sha256"] == ctx.signer["certificate_sha256"]
    # What the notifier needs to send NO-10 (its contract for this event).
    from notifier_service.contracts import EVENTS
    contract = next(c for c in EVENTS.values() if c.routing_key == "documents.payment_proof_issued")
    assert all(event.get(field) for field in contract.required), contract
    assert event["owner_person_id"] == samples.snapshot()["owner"]["person_id"]
    consignation = generated.issue_payment_proof(
        ctx, samples.snapshot(demande_id="dem-of-alice-c", state="VALIDATED", sens="C", amount="1500"), ALICE)
    assert consignation["file_name"].startswith("justificatif-de-paiement-")


def pyhanko_status(data: bytes, cert_path: str):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[load_cert_from_pemder(cert_path)]))


def pdfsig(data: bytes, tmp_path) -> str:
    assert shutil.which("pdfsig"), "pdfsig (Debian package poppler-utils) is needed: scripts/lib.sh installs it"
    path = tmp_path / "proof.pdf"
    path.write_bytes(data)
    run = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def one_byte_changed(data: bytes) -> bytes:
    """A byte inside the signed range (the page content), not in the signature itself."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    first_range_end = signature.byte_range[1]
    position = data.index(b"stream", 200) + 20
    assert position < first_range_end
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def test_the_signature_is_valid_for_pyhanko_and_for_pdfsig(ctx, proof, tmp_path):
    _, data = proof
    status = pyhanko_status(data, ctx.signing["cert_path"])
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signing_cert.subject.native["common_name"].startswith("Consignations")
    report = pdfsig(data, tmp_path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "ETSI.CAdES.detached" in report  # PAdES
    assert "Total document signed" in report


def test_one_modified_byte_breaks_the_signature(ctx, proof, tmp_path):
    _, data = proof
    tampered = one_byte_changed(data)
    status = pyhanko_status(tampered, ctx.signing["cert_path"])
    assert not status.intact and not status.bottom_line
    report = pdfsig(tampered, tmp_path)
    assert "Signature is Valid." not in report
    assert "Digest Mismatch" in report or "Signature is Invalid" in report, report


def test_empty_values_have_no_line_in_the_pdfs(ctx):
    """Issue 19: « Adresse électronique — » for an owner without an address; a particulier's proof
    names the person as « Bénéficiaire »."""
    snapshot = samples.snapshot(demande_id="dem-of-alice", state="VALIDATED",
                                owner={"person_id": "p", "name": "Éloïse Martin", "email": None, "company_name": None})
    summary = text_of(pdf_bytes(ctx, generated.render_summary(ctx, snapshot, ALICE)))
    proof = text_of(pdf_bytes(ctx, generated.issue_payment_proof(ctx, snapshot, ALICE)))
    for text in (summary, proof):
        assert "Adresse électronique" not in text and "—" not in text
    assert "Demandeur Nom Éloïse Martin Informations saisies" in summary
    assert "Bénéficiaire Nom Éloïse Martin Compte bancaire (IBAN)" in proof and "déposée par" not in proof
