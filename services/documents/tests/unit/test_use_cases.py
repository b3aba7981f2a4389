"""Upload, « Valider », replace, delete, review and versions (DO-1..DO-6), with the owner's rule
asked every time (an in-memory rule here) and the events recorded with each change."""
import io
from datetime import date, timedelta

import pytest

from consignations_shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from documents_service import documents, samples
from documents_service.documents import FileTooLarge, IntegrityFailure


ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
BOB = {"id": "bob", "email": "bob@example.com", "profile": "PARTICULIER", "is_staff": False}
AGENT = {"id": "agent", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}

OWNER = {"owner_service": "accounts", "owner_id": "acct-of-alice"}


def upload(ctx, data, person=ALICE, **metadata):
    meta = {**OWNER, "kind": "RIB", "file_name": "rib.pdf", **metadata}
    return documents.upload(ctx, meta, person, io.BytesIO(data), len(data))


def test_upload_is_pending_then_attached(ctx, events, rules):
    pending = upload(ctx, samples.pdf())
    assert pending["status"] == "pending" and pending["review"]["status"] == "pending"
    assert pending["content_type"] == "application/pdf" and pending["file_name"] == "rib.pdf"
    assert rules.calls[-1] == ("accounts", "acct-of-alice", "alice", "write")
    attached = documents.attach(ctx, pending["id"], ALICE)
    assert attached["status"] == "attached" and attached["attached_at"]
    assert documents.attach(ctx, pending["id"], ALICE)["status"] == "attached"  # idempotent
    [uploaded] = events("document_uploaded")
    assert uploaded["document_id"] == pending["id"] and uploaded["sha256"] == pending["sha256"]
    assert "file_name" not in uploaded
    assert len(events("document_attached")) == 1


def test_rights_are_the_owner_services(ctx):
    with pytest.raises(Forbidden):
        upload(ctx, samples.pdf(), person=BOB)
    mine = upload(ctx, samples.pdf())
    for call in (lambda: documents.get_document(ctx, mine["id"], BOB),
                 lambda: documents.open_content(ctx, mine["id"], BOB),
                 lambda: documents.attach(ctx, mine["id"], BOB),
                 lambda: documents.delete(ctx, mine["id"], BOB),
                 lambda: documents.list_documents(ctx, "accounts", "acct-of-alice", BOB)):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(Unauthenticated):
        documents.get_document(ctx, mine["id"], {"email": "no-id@example.com"})
    with pytest.raises(NotFound):
        documents.get_document(ctx, "not-a-uuid", ALICE)


def test_a_gestionnaire_changes_only_the_documents_they_joined(ctx, rules, monkeypatch):
    """Owners let gestionnaires write (files joined to their messages): a client's document still
    cannot be validated, replaced or deleted by them, and is left as it was."""
    owner_rule = rules("accounts")
    staff_may_write = lambda owner_id, person, action: True if person["is_staff"] else owner_rule(owner_id, person, action)
    monkeypatch.setattr(ctx, "owner_rules", lambda service: staff_may_write)
    clients = upload(ctx, samples.pdf())
    for call in (lambda: documents.attach(ctx, clients["id"], AGENT),
                 lambda: documents.delete(ctx, clients["id"], AGENT),
                 lambda: documents.replace(ctx, clients["id"], {}, AGENT, io.BytesIO(samples.pdf()), None)):
        with pytest.raises(Forbidden):
            call()
    assert documents.get_document(ctx, clients["id"], ALICE)["status"] == "pending"
    joined = upload(ctx, samples.pdf(), person=AGENT, file_name="courrier.pdf")
    assert documents.attach(ctx, joined["id"], AGENT)["status"] == "attached"


def test_a_png_renamed_pdf_is_stored_and_served_as_png(ctx):
    stored = upload(ctx, samples.png(), file_name="scan.pdf", declared_type="application/pdf")
    assert stored["content_type"] == "image/png" and stored["file_name"] == "scan.png"
    view, stream = documents.open_content(ctx, stored["id"], ALICE)
    assert view["content_type"] == "image/png" and stream.read() == samples.png()


def test_a_pdf_declared_as_png_is_a_pdf(ctx):
    stored = upload(ctx, samples.pdf(), file_name="photo.png", declared_type="image/png")
    assert stored["content_type"] == "application/pdf" and stored["file_name"] == "photo.pdf"


def test_names_never_reach_the_disk(ctx, tmp_path):
    for name in ("../../../etc/cron.d/evil", "rib\x00.pdf", "a" * 300 + ".pdf", "a.pdf.exe"):
        stored = upload(ctx, samples.pdf(), file_name=name)
        assert "/" not in stored["file_name"] and "\x00" not in stored["file_name"]
        assert len(stored["file_name"]) <= 120
    on_disk = {p.name for p in (tmp_path / "store").rglob("*") if p.is_file()}
    assert len(on_disk) == 4 and not any("evil" in n or "rib" in n or n.startswith("a") and "pdf" in n for n in on_disk)
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("data, code", [
    (b"", "file_empty"),
    (samples.exe(), "file_unsupported_type"),
    (samples.encrypted_pdf(), "file_pdf_encrypted"),
    (samples.javascript_pdf(), "file_pdf_active_content"),
    (samples.truncated(samples.pdf()), "file_pdf_unreadable"),
    (samples.png_bomb(), "file_image_too_large"),
])
def test_refused_files_leave_nothing_behind(ctx, tmp_path, events, data, code):
    with pytest.raises(ValidationFailed) as refused:
        upload(ctx, data)
    assert refused.value.code == code and refused.value.fields["file"] == refused.value.message
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert not list((tmp_path / "work").glob("*"))
    assert events("document_uploaded") == []


def test_five_megabytes_pass_and_one_more_byte_does_not(ctx, tmp_path):
    """DO-1's limit written out (5 MiB, 5,242,880 bytes), not read from the constant it checks."""
    five_mb = 5 * 1024 * 1024
    assert upload(ctx, samples.pdf_of_size(five_mb))["size"] == 5_242_880
    exact = samples.pdf_of_size(five_mb)  # length not announced: counted while reading
    assert documents.upload(ctx, {**OWNER, "kind": "RIB"}, ALICE, io.BytesIO(exact), None)["size"] == five_mb
    too_big = samples.pdf_of_size(five_mb + 1)
    with pytest.raises(FileTooLarge):  # announced length
        upload(ctx, too_big)
    with pytest.raises(FileTooLarge):  # length not announced: counted while reading
        documents.upload(ctx, {**OWNER, "kind": "RIB"}, ALICE, io.BytesIO(too_big), None)
    assert not list((tmp_path / "work").glob("*"))


def test_dated_kinds_and_identity_sides(ctx, clock):
    today = clock.now().date()
    with pytest.raises(ValidationFailed):
        upload(ctx, samples.pdf(), kind="KBIS")
    with pytest.raises(ValidationFailed):
        upload(ctx, samples.pdf(), kind="KBIS", document_date=(today - timedelta(days=100)).isoformat())
    kbis = upload(ctx, samples.pdf(), kind="KBIS", document_date=(today - timedelta(days=80)).isoformat())
    clock.advance(days=15)  # now more than 3 months old: « Valider » checks again
    with pytest.raises(ValidationFailed):
        documents.attach(ctx, kbis["id"], ALICE)
    recto = upload(ctx, samples.png(), kind="IDENTITY", page="recto")
    assert recto["page"] == "recto"
    with pytest.raises(ValidationFailed):
        upload(ctx, samples.png(), kind="IDENTITY")


def test_replace_before_submission_and_delete(ctx, tmp_path):
    first = upload(ctx, samples.pdf())
    second = documents.replace(ctx, first["id"], {"file_name": "rib2.pdf"}, ALICE,
                               io.BytesIO(samples.pdf(2)), None)
    assert second["version"] == 2 and second["lineage_id"] == first["id"] and second["replaces_document_id"] is None
    with pytest.raises(NotFound):  # a never-attached upload replaced: gone with its bytes
        documents.get_document(ctx, first["id"], ALICE)
    assert [d["id"] for d in documents.list_documents(ctx, "accounts", "acct-of-alice", ALICE)] == [second["id"]]
    assert documents.delete(ctx, second["id"], ALICE)["status"] == "deleted"
    assert documents.list_documents(ctx, "accounts", "acct-of-alice", ALICE) == []
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]


def test_review_then_complement_keeps_the_history(ctx, events):
    original = documents.attach(ctx, upload(ctx, samples.pdf())["id"], ALICE)["id"]
    with pytest.raises(Forbidden):
        documents.review(ctx, original, ALICE, "conforme")  # clients do not review
    with pytest.raises(ValidationFailed):
        documents.review(ctx, original, AGENT, "non_conforme")  # a reason is required
    reviewed = documents.review(ctx, original, AGENT, "non_conforme", "  RIB illisible,\n merci de le renvoyer ")
    assert reviewed["review"] == {"status": "non_conforme", "reason": "RIB illisible, merci de le renvoyer",
                                  "reviewed_at": reviewed["review"]["reviewed_at"], "reviewed_by": "agent"}
    assert documents.get_document(ctx, original, ALICE)["review"]["reason"] == "RIB illisible, merci de le renvoyer"
    with pytest.raises(Conflict):
        documents.delete(ctx, original, ALICE)  # reviewed: only replaceable
    complement = documents.replace(ctx, original, {"file_name": "rib-lisible.pdf"}, ALICE,
                                   io.BytesIO(samples.pdf(2)), None)
    assert complement["replaces_document_id"] == original and complement["status"] == "pending"
    documents.attach(ctx, complement["id"], ALICE)
    history = documents.get_document(ctx, complement["id"], ALICE)["versions"]
    assert [(v["version"], v["status"]) for v in history] == [(1, "replaced"), (2, "attached")]
    assert history[0]["review"]["status"] == "non_conforme" and history[0]["download_path"]
    assert history[0]["replaced_by_document_id"] == complement["id"]
    assert [d["id"] for d in documents.list_documents(ctx, "accounts", "acct-of-alice", ALICE)] == [complement["id"]]
    assert len(documents.list_documents(ctx, "accounts", "acct-of-alice", ALICE, include_history=True)) == 2
    documents.review(ctx, complement["id"], AGENT, "conforme", "ignored")
    with pytest.raises(Conflict):
        documents.replace(ctx, complement["id"], {}, ALICE, io.BytesIO(samples.pdf()), None)
    assert [e["review_status"] for e in events("document_reviewed")] == ["non_conforme", "conforme"]
    assert events("document_reviewed")[1]["reason"] is None


def test_a_stored_file_modified_on_disk_is_reported_not_served(ctx, tmp_path):
    stored = upload(ctx, samples.pdf())
    [path] = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityFailure):
        documents.open_content(ctx, stored["id"], ALICE)
    assert documents.get_document(ctx, stored["id"], ALICE)["integrity"] == "altered"


def test_document_date_is_kept(ctx, clock):
    day = clock.now().date() - timedelta(days=3)
    stored = upload(ctx, samples.pdf(), kind="BIRTH_CERTIFICATE", owner_service="demandes",
                    owner_id="dem-of-alice", document_date=day.isoformat())
    assert stored["document_date"] == day.isoformat() and stored["owner"] == {"service": "demandes", "id": "dem-of-alice"}
    assert isinstance(day, date)


def test_the_owner_service_lists_its_own_documents_without_a_person(ctx, rules):
    pending = upload(ctx, samples.pdf())
    attached = documents.attach(ctx, upload(ctx, samples.png(), kind="IDENTITY", page="recto")["id"], ALICE)
    calls = len(rules.calls)
    listed = documents.documents_of_owner(ctx, "accounts", "acct-of-alice")
    assert sorted((d["id"], d["status"]) for d in listed) == sorted([(pending["id"], "pending"),
                                                                     (attached["id"], "attached")])
    assert len(rules.calls) == calls  # no rights asked: the owner asks about its own documents
    assert documents.documents_of_owner(ctx, "accounts", "acct-of-bob") == []
    with pytest.raises(ValidationFailed):
        documents.documents_of_owner(ctx, "identity", "x")
