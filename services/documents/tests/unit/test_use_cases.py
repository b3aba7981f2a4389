"""Upload, « Valider », replace, delete, review and versions (DO-1..DO-6), each call carrying the
owner's signed grant (an in-memory rule decides here, as the owner's document_grant would) and
the events recorded with each change."""
import io
from datetime import date, timedelta

import pytest

from consignations_shared import grants
from consignations_shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from documents_service import documents, samples
from documents_service.documents import FileTooLarge, IntegrityFailure


ALICE = {"id": "alice", "email": "alice@example.com", "profile": "PARTICULIER", "is_staff": False}
BOB = {"id": "bob", "email": "bob@example.com", "profile": "PARTICULIER", "is_staff": False}
AGENT = {"id": "agent", "email": "agent@caissedesdepots.fr", "profile": "GESTIONNAIRE", "is_staff": True}

OWNER = {"owner_service": "accounts", "owner_id": "acct-of-alice"}


def upload(gw, data, person=ALICE, **metadata):
    meta = {**OWNER, "kind": "RIB", "file_name": "rib.pdf", **metadata}
    return gw.upload(meta, person, io.BytesIO(data), len(data))


def test_upload_is_pending_then_attached(gw, ctx, events, rules):
    pending = upload(gw, samples.pdf())
    assert pending["status"] == "pending" and pending["review"]["status"] == "pending"
    assert pending["content_type"] == "application/pdf" and pending["file_name"] == "rib.pdf"
    assert rules.calls[-1] == ("accounts", "acct-of-alice", "alice", "write")
    attached = gw.attach(pending["id"], ALICE)
    assert attached["status"] == "attached" and attached["attached_at"]
    assert gw.attach(pending["id"], ALICE)["status"] == "attached"  # idempotent
    [uploaded] = events("document_uploaded")
    assert uploaded["document_id"] == pending["id"] and uploaded["sha256"] == pending["sha256"]
    [state] = uploaded["documents"]  # the whole state, for the owner's read model
    assert (state["id"], state["status"], state["revision"], state["file_name"]) == (pending["id"], "pending", 1, "rib.pdf")
    [attached_event] = events("document_attached")
    assert [(d["id"], d["status"], d["revision"]) for d in attached_event["documents"]] == [(pending["id"], "attached", 2)]


def test_rights_are_the_owner_services(gw, ctx):
    with pytest.raises(Forbidden):
        upload(gw, samples.pdf(), person=BOB)
    mine = upload(gw, samples.pdf())
    for call in (lambda: gw.get_document(mine["id"], BOB),
                 lambda: gw.open_content(mine["id"], BOB),
                 lambda: gw.attach(mine["id"], BOB),
                 lambda: gw.delete(mine["id"], BOB),
                 lambda: gw.list_documents("accounts", "acct-of-alice", BOB)):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(Unauthenticated):
        documents.get_document(ctx, mine["id"], {"email": "no-id@example.com"}, None)
    with pytest.raises(NotFound):
        gw.get_document("not-a-uuid", ALICE)


def test_a_gestionnaire_changes_only_the_documents_they_joined(gw, ctx, rules, monkeypatch):
    """Owners let gestionnaires write (files joined to their messages): a client's document still
    cannot be validated, replaced or deleted by them, and is left as it was."""
    owner_rule = rules("accounts")
    staff_may_write = lambda owner_id, person, action: True if person["is_staff"] else owner_rule(owner_id, person, action)
    monkeypatch.setattr(gw, "rules", lambda service: staff_may_write)
    clients = upload(gw, samples.pdf())
    for call in (lambda: gw.attach(clients["id"], AGENT),
                 lambda: gw.delete(clients["id"], AGENT),
                 lambda: gw.replace(clients["id"], {}, AGENT, io.BytesIO(samples.pdf()), None)):
        with pytest.raises(Forbidden):
            call()
    assert gw.get_document(clients["id"], ALICE)["status"] == "pending"
    joined = upload(gw, samples.pdf(), person=AGENT, file_name="courrier.pdf")
    assert gw.attach(joined["id"], AGENT)["status"] == "attached"


def test_a_client_never_changes_a_file_the_back_office_joined(gw, ctx, rules, monkeypatch):
    """Issue 18, finding 4: only the uploader's side changes a document. A client who may write
    on the request (their own documents) cannot « Valider », replace nor delete a gestionnaire's
    attachment, which is left as it was (name included)."""
    owner_rule = rules("accounts")
    staff_may_write = lambda owner_id, person, action: True if person["is_staff"] else owner_rule(owner_id, person, action)
    monkeypatch.setattr(gw, "rules", lambda service: staff_may_write)
    joined = upload(gw, samples.pdf(), person=AGENT, file_name="courrier.pdf")
    attached = gw.attach(joined["id"], AGENT)
    pending = upload(gw, samples.pdf(), person=AGENT, file_name="brouillon.pdf")
    for call in (lambda: gw.attach(pending["id"], ALICE),
                 lambda: gw.delete(pending["id"], ALICE),
                 lambda: gw.replace(joined["id"], {}, ALICE, io.BytesIO(samples.pdf()), None),
                 lambda: gw.replace(pending["id"], {}, ALICE, io.BytesIO(samples.pdf()), None)):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.message == documents.STAFF_DOCUMENT
    after = gw.get_document(joined["id"], ALICE)  # reading stays the owner's rule
    assert after["status"] == "attached" and after["file_name"] == "courrier.pdf"
    assert after["sha256"] == attached["sha256"] and after["replaced_by_document_id"] is None
    assert gw.get_document(pending["id"], ALICE)["status"] == "pending"


def test_a_png_renamed_pdf_is_stored_and_served_as_png(gw, ctx):
    stored = upload(gw, samples.png(), file_name="scan.pdf", declared_type="application/pdf")
    assert stored["content_type"] == "image/png" and stored["file_name"] == "scan.png"
    view, stream = gw.open_content(stored["id"], ALICE)
    assert view["content_type"] == "image/png" and stream.read() == samples.png()


def test_a_pdf_declared_as_png_is_a_pdf(gw, ctx):
    stored = upload(gw, samples.pdf(), file_name="photo.png", declared_type="image/png")
    assert stored["content_type"] == "application/pdf" and stored["file_name"] == "photo.pdf"


def test_names_never_reach_the_disk(gw, ctx, tmp_path):
    for name in ("../../../etc/cron.d/evil", "rib\x00.pdf", "a" * 300 + ".pdf", "a.pdf.exe"):
        stored = upload(gw, samples.pdf(), file_name=name)
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
def test_refused_files_leave_nothing_behind(gw, ctx, tmp_path, events, data, code):
    with pytest.raises(ValidationFailed) as refused:
        upload(gw, data)
    assert refused.value.code == code and refused.value.fields["file"] == refused.value.message
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert not list((tmp_path / "work").glob("*"))
    assert events("document_uploaded") == []


def test_five_megabytes_pass_and_one_more_byte_does_not(gw, ctx, tmp_path):
    """DO-1's limit written out (5 MiB, 5,242,880 bytes), not read from the constant it checks."""
    five_mb = 5 * 1024 * 1024
    assert upload(gw, samples.pdf_of_size(five_mb))["size"] == 5_242_880
    exact = samples.pdf_of_size(five_mb)  # length not announced: counted while reading
    assert gw.upload({**OWNER, "kind": "RIB"}, ALICE, io.BytesIO(exact), None)["size"] == five_mb
    too_big = samples.pdf_of_size(five_mb + 1)
    with pytest.raises(FileTooLarge):  # announced length
        upload(gw, too_big)
    with pytest.raises(FileTooLarge):  # length not announced: counted while reading
        gw.upload({**OWNER, "kind": "RIB"}, ALICE, io.BytesIO(too_big), None)
    assert not list((tmp_path / "work").glob("*"))


def test_dated_kinds_and_identity_sides(gw, ctx, clock):
    today = clock.now().date()
    with pytest.raises(ValidationFailed):
        upload(gw, samples.pdf(), kind="KBIS")
    with pytest.raises(ValidationFailed):
        upload(gw, samples.pdf(), kind="KBIS", document_date=(today - timedelta(days=100)).isoformat())
    kbis = upload(gw, samples.pdf(), kind="KBIS", document_date=(today - timedelta(days=80)).isoformat())
    clock.advance(days=15)  # now more than 3 months old: « Valider » checks again
    with pytest.raises(ValidationFailed):
        gw.attach(kbis["id"], ALICE)
    recto = upload(gw, samples.png(), kind="IDENTITY", page="recto")
    assert recto["page"] == "recto"
    with pytest.raises(ValidationFailed):
        upload(gw, samples.png(), kind="IDENTITY")


def test_replace_before_submission_and_delete(gw, ctx, tmp_path):
    first = upload(gw, samples.pdf())
    second = gw.replace(first["id"], {"file_name": "rib2.pdf"}, ALICE,
                               io.BytesIO(samples.pdf(2)), None)
    assert second["version"] == 2 and second["lineage_id"] == first["id"] and second["replaces_document_id"] is None
    with pytest.raises(NotFound):  # a never-attached upload replaced: gone with its bytes
        gw.get_document(first["id"], ALICE)
    assert [d["id"] for d in gw.list_documents("accounts", "acct-of-alice", ALICE)] == [second["id"]]
    assert gw.delete(second["id"], ALICE)["status"] == "deleted"
    assert gw.list_documents("accounts", "acct-of-alice", ALICE) == []
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]


def test_review_then_complement_keeps_the_history(gw, ctx, events):
    original = gw.attach(upload(gw, samples.pdf())["id"], ALICE)["id"]
    with pytest.raises(Forbidden):
        gw.review(original, ALICE, "conforme")  # clients do not review
    with pytest.raises(ValidationFailed):
        gw.review(original, AGENT, "non_conforme")  # a reason is required
    reviewed = gw.review(original, AGENT, "non_conforme", "  RIB illisible,\n merci de le renvoyer ")
    assert reviewed["review"] == {"status": "non_conforme", "reason": "RIB illisible, merci de le renvoyer",
                                  "reviewed_at": reviewed["review"]["reviewed_at"], "reviewed_by": "agent"}
    assert gw.get_document(original, ALICE)["review"]["reason"] == "RIB illisible, merci de le renvoyer"
    with pytest.raises(Conflict):
        gw.delete(original, ALICE)  # reviewed: only replaceable
    complement = gw.replace(original, {"file_name": "rib-lisible.pdf"}, ALICE,
                                   io.BytesIO(samples.pdf(2)), None)
    assert complement["replaces_document_id"] == original and complement["status"] == "pending"
    gw.attach(complement["id"], ALICE)
    history = gw.get_document(complement["id"], ALICE)["versions"]
    assert [(v["version"], v["status"]) for v in history] == [(1, "replaced"), (2, "attached")]
    assert history[0]["review"]["status"] == "non_conforme" and history[0]["download_path"]
    assert history[0]["replaced_by_document_id"] == complement["id"]
    assert [d["id"] for d in gw.list_documents("accounts", "acct-of-alice", ALICE)] == [complement["id"]]
    assert len(gw.list_documents("accounts", "acct-of-alice", ALICE, include_history=True)) == 2
    gw.review(complement["id"], AGENT, "conforme", "ignored")
    with pytest.raises(Conflict):
        gw.replace(complement["id"], {}, ALICE, io.BytesIO(samples.pdf()), None)
    assert [e["review_status"] for e in events("document_reviewed")] == ["non_conforme", "conforme"]
    assert events("document_reviewed")[1]["reason"] is None


def test_a_stored_file_modified_on_disk_is_reported_not_served(gw, ctx, tmp_path):
    stored = upload(gw, samples.pdf())
    [path] = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityFailure):
        gw.open_content(stored["id"], ALICE)
    assert gw.get_document(stored["id"], ALICE)["integrity"] == "altered"


def test_document_date_is_kept(gw, ctx, clock):
    day = clock.now().date() - timedelta(days=3)
    stored = upload(gw, samples.pdf(), kind="BIRTH_CERTIFICATE", owner_service="demandes",
                    owner_id="dem-of-alice", document_date=day.isoformat())
    assert stored["document_date"] == day.isoformat() and stored["owner"] == {"service": "demandes", "id": "dem-of-alice"}
    assert isinstance(day, date)


def test_the_owner_service_lists_its_own_documents_without_a_person(gw, ctx, rules):
    pending = upload(gw, samples.pdf())
    attached = gw.attach(upload(gw, samples.png(), kind="IDENTITY", page="recto")["id"], ALICE)
    calls = len(rules.calls)
    listed = documents.documents_of_owner(ctx, "accounts", "acct-of-alice")
    assert sorted((d["id"], d["status"]) for d in listed) == sorted([(pending["id"], "pending"),
                                                                     (attached["id"], "attached")])
    assert len(rules.calls) == calls  # no rights asked: the owner asks about its own documents
    assert documents.documents_of_owner(ctx, "accounts", "acct-of-bob") == []
    with pytest.raises(ValidationFailed):
        documents.documents_of_owner(ctx, "identity", "x")


def test_without_the_owners_grant_nothing_is_done(gw, ctx, clock):
    """The documents service never asks the owner: a call without a valid grant, with one for
    another person, action, owner or document, or an expired one, is refused (403)."""
    mine = upload(gw, samples.pdf())
    other = upload(gw, samples.pdf(2))
    read = gw.grant_on(mine["id"], ALICE, "read")
    assert documents.get_document(ctx, mine["id"], ALICE, read)["id"] == mine["id"]
    forged = grants.issue(b"not-the-key", owner_service="accounts", owner_id="acct-of-alice", person_id="alice",
                          action="write", document_id=mine["id"], now=clock.now())
    for call in (lambda: documents.get_document(ctx, mine["id"], ALICE, None),
                 lambda: documents.get_document(ctx, mine["id"], BOB, read),  # another person
                 lambda: documents.get_document(ctx, other["id"], ALICE, read),  # another document
                 lambda: documents.attach(ctx, mine["id"], ALICE, read),  # another action
                 lambda: documents.attach(ctx, mine["id"], ALICE, forged),
                 lambda: documents.list_documents(ctx, "accounts", "acct-of-alice", ALICE, False, read),
                 lambda: documents.open_content(ctx, mine["id"], ALICE, read[:-3] + "abc")):
        with pytest.raises(Forbidden):
            call()
    clock.advance(seconds=grants.GRANT_TTL_SECONDS)
    with pytest.raises(Forbidden):
        documents.get_document(ctx, mine["id"], ALICE, read)
    assert documents.get_document(ctx, mine["id"], ALICE, gw.grant_on(mine["id"], ALICE, "read"))


def test_deletion_and_replacement_are_announced_with_the_states(gw, ctx, events):
    first = upload(gw, samples.pdf())
    second = gw.replace(first["id"], {"file_name": "rib2.pdf"}, ALICE, io.BytesIO(samples.pdf(2)), None)
    superseding = events("document_uploaded")[-1]
    assert [(d["id"], d["status"]) for d in superseding["documents"]] == [(second["id"], "pending"),
                                                                          (first["id"], "deleted")]
    gw.delete(second["id"], ALICE)
    [deleted] = events("document_deleted")
    assert deleted["document_id"] == second["id"] and deleted["deleted_by"] == "alice"
    assert [(d["id"], d["status"], d["revision"]) for d in deleted["documents"]] == [(second["id"], "deleted", 2)]


def test_a_snapshot_pages_through_an_owner_services_documents(gw, ctx):
    made = sorted(upload(gw, samples.pdf(n), owner_service="demandes", owner_id="dem-of-alice")["id"] for n in (1, 2, 3))
    upload(gw, samples.pdf())  # accounts: not in the demandes snapshot
    first = documents.documents_snapshot(ctx, "demandes", None, 2)
    assert [d["id"] for d in first["documents"]] == made[:2] and first["next"] == made[1]
    rest = documents.documents_snapshot(ctx, "demandes", first["next"], 2)
    assert [d["id"] for d in rest["documents"]] == made[2:] and rest["next"] is None
    assert rest["documents"][0]["owner"] == {"service": "demandes", "id": "dem-of-alice"}
    with pytest.raises(ValidationFailed):
        documents.documents_snapshot(ctx, "identity")
    assert documents.document_owner(ctx, made[0]) == {"service": "demandes", "id": "dem-of-alice"}
    with pytest.raises(NotFound):
        documents.document_owner(ctx, "not-a-uuid")
