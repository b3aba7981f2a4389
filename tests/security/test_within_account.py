"""Rights inside one company account (DM-9, AC-7), with the roles' own resources: an Utilisateur
sees and changes their own requests only, an Administrateur all of the account's, Consultation
changes nothing, and an Utilisateur whose right was withdrawn prepares but cannot submit."""
from __future__ import annotations

import pytest

from documents_service import samples
from security_helpers import attached_rib, draft

UNKNOWN_REQUEST = (404, "not_found", "Cette demande est introuvable.")
NO_SUBMIT_RIGHT = ("Votre administrateur vous a retiré le droit de soumettre des demandes : vous pouvez "
                   "préparer cette demande, un administrateur de votre compte la transmettra.")
READ_ONLY = (403, "forbidden", "Votre profil « Consultation » ne permet pas de créer ni de modifier une demande.")


def refusal(reply) -> tuple:
    error = reply.json()["error"]
    return reply.status_code, error["code"], error["message"]


@pytest.fixture(scope="module")
def drafts(world):
    people = world.people
    return {role: draft(people[role]) for role in ("administrateur", "utilisateur", "utilisateur_sans_depot")}


def test_an_utilisateur_without_the_right_prepares_but_cannot_submit(world, drafts):
    person, demande_id = world.people["utilisateur_sans_depot"], drafts["utilisateur_sans_depot"]
    attached_rib(person, demande_id)
    assert person.post(f"/api/demandes/{demande_id}/justificatifs/confirm").status_code == 200
    refused = person.post(f"/api/demandes/{demande_id}/submit")
    assert refusal(refused) == (403, "forbidden", NO_SUBMIT_RIGHT), refused.text
    assert person.get(f"/api/demandes/{demande_id}").json()["state"] == "DRAFT"


@pytest.mark.parametrize("role,owner,expected", [
    ("utilisateur", "administrateur", 404),
    ("utilisateur", "utilisateur_sans_depot", 404),
    ("utilisateur_sans_depot", "utilisateur", 404),
    ("consultation", "utilisateur", 404),  # Consultation sees validated and rejected requests only
    ("administrateur", "utilisateur", 200),
    ("administrateur_2", "utilisateur_sans_depot", 200),
])
def test_who_sees_whose_draft(world, drafts, role, owner, expected):
    reply = world.people[role].get(f"/api/demandes/{drafts[owner]}")
    assert reply.status_code == expected, reply.text
    if expected == 404:
        assert refusal(reply) == UNKNOWN_REQUEST


@pytest.mark.parametrize("role,owner", [("utilisateur", "administrateur"), ("utilisateur_sans_depot", "utilisateur")])
def test_an_utilisateur_cannot_change_a_colleagues_draft(world, drafts, role, owner):
    browser, demande_id = world.people[role], drafts[owner]
    for method, path, kwargs in (("put", f"/api/demandes/{demande_id}/informations", {"json": {"values": {}}}),
                                 ("post", f"/api/demandes/{demande_id}/duplicate", {}),
                                 ("post", f"/api/demandes/{demande_id}/reassign", {"json": {"person_id": browser.person_id}}),
                                 ("delete", f"/api/demandes/{demande_id}", {})):
        reply = getattr(browser, method)(path, **kwargs)
        assert refusal(reply) == UNKNOWN_REQUEST, (method, path, reply.text)
    assert world.people[owner].get(f"/api/demandes/{demande_id}").status_code == 200


def test_consultation_changes_nothing_of_its_account(world, drafts):
    consult, demande_id = world.people["consultation"], drafts["administrateur"]
    for method, path, kwargs in (("post", "/api/demandes", {"json": {"procedure_code": "SAISIE_IMMO_D"}}),
                                 ("put", f"/api/demandes/{demande_id}/informations", {"json": {"values": {}}}),
                                 ("delete", f"/api/demandes/{demande_id}", {}),
                                 ("post", f"/api/demandes/{demande_id}/submit", {})):
        reply = getattr(consult, method)(path, **kwargs)
        assert refusal(reply) == READ_ONLY, (method, path, reply.text)
    assert world.people["administrateur"].get(f"/api/demandes/{demande_id}").json()["state"] == "DRAFT"


def test_an_administrator_reassigns_within_the_account_only(world, drafts):
    admin = world.people["administrateur"]
    outsider = admin.post(f"/api/demandes/{drafts['utilisateur']}/reassign",
                          json={"person_id": world.targets["person_id"]})
    assert refusal(outsider) == (404, "not_found", "Cette personne n'est pas un utilisateur actif de votre compte client.")
    to_consultation = admin.post(f"/api/demandes/{drafts['utilisateur']}/reassign",
                                 json={"person_id": world.people["consultation"].person_id})
    assert refusal(to_consultation) == (
        409, "conflict", "Cette personne a un profil « Consultation » : elle ne peut pas prendre en charge une demande.")


def test_a_gestionnaire_reviews_a_clients_document_but_never_changes_it(world):
    """Demandes lets gestionnaires write on a transmitted request (files joined to their messages):
    the client's own documents stay out of reach of that right — no « Valider », replacement or
    deletion by the back office — and are left as they were."""
    agent, document_id = world.people["gestionnaire"], world.targets["submitted_document_id"]
    before = world.victim.get(f"/api/documents/{document_id}").json()
    answers = [
        agent.post(f"/api/documents/{document_id}/attach"),
        agent.post(f"/api/documents/{document_id}/replace",
                   files={"file": ("rib.pdf", samples.pdf(), "application/pdf")}),
        agent.delete(f"/api/documents/{document_id}"),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert "déposé par le client" in answer.json()["error"]["message"]
    after = world.victim.get(f"/api/documents/{document_id}").json()
    assert after["status"] == before["status"] == "attached" and after["sha256"] == before["sha256"]
