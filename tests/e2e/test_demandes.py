"""Requests through the gateway with every service running (issue 5): a company Utilisateur files
a « saisie immobilière » step by step and submits it (number, NO-8 e-mail, PDF summary, « Mon
suivi »), a particulier files an ARS request (eligibility, holder, once only), and the refusals
of DM-9 (other accounts, Consultation, withdrawn submit right) and DM-8 (delete, reassign,
duplicate). One company and one particulier per module: the e2e suites share two cores."""
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from documents_service import samples
from e2e_helpers import (
    Browser, accept_invitation, emails_to, plain_text, sign_up_company, sign_up_particulier, wait_account,
    submit_right_in_effect, wait_email, wait_for,
)

IBAN, BIC = "FR7630006000011234567890189", "BNPAFRPPXXX"
SAISIE = {"company_name": "ACME SAS", "legal_form": "SAS", "account_holder": "ACME SAS", "iban": IBAN,
          "bic": BIC, "transfer_label": "Saisie 23/01234"}
ARS = {"last_name": "Dupont", "first_name": "Élodie", "birth_date": "1998-01-01", "address": "3 rue des Lilas",
       "postal_code": "69003", "city": "Lyon", "country": "FR", "tax_residence": True,
       "account_holder": "Mme Élodie DUPONT", "iban": IBAN, "bic": BIC}
ARS_TOO_OLD = ("Si vous êtes nés avant le 1er janvier 1998, il ne faut donc pas effectuer de demande de "
               "reversement à la Caisse des Dépôts. En effet, les allocations de rentrée scolaire antérieures "
               "à cette date étaient versées directement aux parents par les organismes déposants.")
NOBODY = "00000000-0000-4000-8000-000000000000"


def new_email(label):
    return f"{label}-{uuid.uuid4().hex[:8]}@demandes.example.com"


@pytest.fixture(scope="module")
def company(system):
    """A company account: its administrator, two Utilisateurs and a Consultation."""
    email = new_email("admin")
    admin = wait_account(Browser(system, email, sign_up_company(system, email)))
    admin.person_id = admin.person["id"]
    people = {"admin": admin}
    for label, profile, first_name, last_name in (("user_a", "UTILISATEUR", "Paul", "Martin"),
                                                  ("user_b", "UTILISATEUR", "Chloé", "Bernard"),
                                                  ("consult", "CONSULTATION", "Denis", "Roux")):
        address = new_email(label)
        invited = admin.post("/api/account/users", json={"last_name": last_name, "first_name": first_name,
                                                         "email": address, "profile": profile})
        assert invited.status_code == 201, invited.text
        people[label] = wait_account(Browser(system, address, accept_invitation(system, address)))
        people[label].person_id = invited.json()["person_id"]
    return people


@pytest.fixture(scope="module")
def other_company(system):
    email = new_email("autre")
    other = wait_account(Browser(system, email, sign_up_company(system, email, company="AUTRE SA")))
    other.person_id = other.person["id"]
    return other


@pytest.fixture(scope="module")
def particulier(system):
    return sign_up_particulier(system, new_email("particulier"))


def attach(browser, demande_id, kind, data=None, name="rib.pdf", **fields):
    """Upload a justificatif of the request, then « Valider »."""
    uploaded = browser.post("/api/documents", files={"file": (name, data or samples.pdf(), "application/pdf")},
                            data={"owner_service": "demandes", "owner_id": demande_id, "kind": kind, **fields})
    assert uploaded.status_code == 201, uploaded.text
    attached = browser.post(f"/api/documents/{uploaded.json()['id']}/attach")
    assert attached.status_code == 200, attached.text
    return attached.json()


def draft(browser, procedure_code="SAISIE_IMMO_D", values=None, complete=True):
    created = browser.post("/api/demandes", json={"procedure_code": procedure_code})
    assert created.status_code == 201, created.text
    if values is not None:
        saved = browser.put(f"/api/demandes/{created.json()['id']}/informations",
                            json={"values": values, "complete": complete})
        assert saved.status_code == 200, saved.text
        return saved.json()
    return created.json()


def file_saisie(browser):
    """A « saisie immobilière » transmitted without detours."""
    demande = draft(browser, values=SAISIE)
    attach(browser, demande["id"], "RIB")
    assert browser.post(f"/api/demandes/{demande['id']}/justificatifs/confirm").status_code == 200
    submitted = browser.post(f"/api/demandes/{demande['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


@pytest.fixture(scope="module")
def transmitted(company):
    return file_saisie(company["user_a"])


def test_a_company_user_files_a_saisie_immobiliere(system, company):
    user = company["user_a"]
    created = user.post("/api/demandes", json={"procedure_code": "SAISIE_IMMO_D"})
    assert created.status_code == 201, created.text
    demande = created.json()
    assert (demande["state"], demande["state_label"], demande["step"], demande["sens"]) == (
        "DRAFT", "Demande enregistrée", 1, "D")
    path = f"/api/demandes/{demande['id']}"

    # « Enregistrer » keeps an incomplete step; « Suivant » needs the mandatory fields, a valid IBAN and BIC
    saved = user.put(path + "/informations", json={"values": {"company_name": "ACME SAS", "legal_form": "SAS"}})
    assert saved.status_code == 200 and saved.json()["step"] == 1, saved.text
    assert saved.json()["values"]["company_name"] == "ACME SAS"
    refused = user.put(path + "/informations", json={"values": {
        "company_name": "ACME SAS", "iban": "FR7630006000011234567890188", "bic": "BNPAFRPPX"}, "complete": True})
    assert refused.status_code == 422, refused.text
    fields = refused.json()["error"]["fields"]
    assert fields["iban"] == "L'IBAN saisi n'est pas valide (clé de contrôle incorrecte)."
    assert "8 ou 11 caractères" in fields["bic"]
    assert fields["legal_form"] == "Le champ « Forme juridique » est obligatoire."
    assert fields["account_holder"] == "Le champ « Titulaire du compte bancaire » est obligatoire."
    assert user.get(path).json()["step"] == 1

    step2 = user.put(path + "/informations", json={"values": SAISIE, "complete": True})
    assert step2.status_code == 200 and step2.json()["step"] == 2, step2.text
    assert step2.json()["amount"] == "Total" and step2.json()["documents_expected"]["required"] == ["RIB"]
    missing = user.post(path + "/justificatifs/confirm")
    assert missing.status_code == 422 and "Relevé d'identité bancaire" in missing.json()["error"]["fields"]["documents"]
    attach(user, demande["id"], "RIB", samples.pdf(text="RIB ACME SAS"))
    assert user.post(path + "/justificatifs/confirm").json()["step"] == 3
    assert user.put(path + "/step", json={"step": 2}).json()["step"] == 2  # « Précédent »
    assert user.post(path + "/justificatifs/confirm").json()["step"] == 3

    resumed = user.get(path)  # the draft resumes at the summary, with its live « Récapitulatif »
    assert resumed.status_code == 200 and resumed.json()["step"] == 3
    assert "resume" in resumed.json()["actions"]
    recap = {line["name"]: line["value"] for section in resumed.json()["recap"] for line in section["lines"]}
    assert recap["iban"] == "FR76 3000 6000 0112 3456 7890 189"
    assert recap["transfer_label"] == SAISIE["transfer_label"]

    key = {"Idempotency-Key": f"submit-{uuid.uuid4()}"}
    first = user.post(path + "/submit", headers=key)
    assert first.status_code == 200, first.text
    again = user.post(path + "/submit", headers=key)
    assert again.status_code == 200, again.text
    number = first.json()["number"]
    assert again.json()["number"] == number and first.json()["state"] == "SUBMITTED"
    months = {datetime.now(ZoneInfo("Europe/Paris")).strftime("%y%m"),
              (datetime.now(ZoneInfo("Europe/Paris")) - timedelta(minutes=5)).strftime("%y%m")}
    assert len(number) == 15 and number.isdigit() and number[:2] == "10" and number[2:6] in months
    third = user.post(path + "/submit")  # without the key: already transmitted
    assert third.status_code == 409 and number in third.json()["error"]["message"]

    mail = wait_email(system, user.email, f"Votre demande n° {number} a bien été transmise")  # NO-8
    assert number in plain_text(mail)

    summary = user.get(path + "/summary")
    assert summary.status_code == 200, summary.text
    pdf = user.get(path + "/summary.pdf", allow_redirects=False)  # streamed at once, no redirect
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
    assert pdf.content == user.get(summary.json()["download_path"]).content  # the stored document
    assert user.get(path + "/proof").status_code == 409  # validated requests only

    board = user.get("/api/demandes", params={"tab": "TRANSMITTED"})
    assert board.status_code == 200, board.text
    row = next(item for item in board.json()["items"] if item["id"] == demande["id"])
    assert (row["number"], row["state_label"], row["amount"], row["owner_name"], row["sens"]) == (
        number, "Envoyé", "Total", "Paul Martin", "D")
    assert board.json()["date_label"] == "Date de soumission"
    assert demande["id"] not in {i["id"] for i in user.get("/api/demandes").json()["items"]}  # not a draft any more
    history = user.get(path).json()["history"]
    assert [(h["from_state"], h["to_state"]) for h in history][-1] == ("DRAFT", "SUBMITTED")
    unknown = user.get("/api/demandes", params={"tab": "TRANSMITTED", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["fields"]


def test_a_particulier_files_an_ars_request_once(particulier):
    demande = draft(particulier, "ARS_D")
    path = f"/api/demandes/{demande['id']}"
    too_old = particulier.put(path + "/informations", json={"values": {**ARS, "birth_date": "1997-12-31"},
                                                            "complete": True})
    assert too_old.status_code == 422 and too_old.json()["error"]["fields"] == {"birth_date": ARS_TOO_OLD}
    someone_else = particulier.put(path + "/informations", json={"values": {**ARS, "account_holder": "Jean Dupont"},
                                                                 "complete": True})
    assert someone_else.status_code == 422
    assert "à votre nom" in someone_else.json()["error"]["fields"]["account_holder"]
    accepted = particulier.put(path + "/informations", json={"values": ARS, "complete": True})
    assert accepted.status_code == 200 and accepted.json()["step"] == 2, accepted.text

    attach(particulier, demande["id"], "IDENTITY", samples.pdf(text="CNI"), "cni.pdf", page="recto_verso")
    attach(particulier, demande["id"], "RIB", samples.pdf(text="RIB Dupont"))
    attach(particulier, demande["id"], "BIRTH_CERTIFICATE", samples.pdf(text="Acte"), "acte.pdf",
           document_date=(date.today() - timedelta(days=10)).isoformat())
    assert particulier.post(path + "/justificatifs/confirm").json()["step"] == 3
    submitted = particulier.post(path + "/submit")
    assert submitted.status_code == 200 and submitted.json()["state"] == "SUBMITTED", submitted.text

    again = particulier.post("/api/demandes", json={"procedure_code": "ARS_D"})  # DM-4: once only
    assert again.status_code == 409
    assert "qu'une seule fois" in again.json()["error"]["message"]
    company_only = particulier.post("/api/demandes", json={"procedure_code": "SAISIE_IMMO_D"})
    assert company_only.status_code == 403


def test_another_account_never_sees_the_request(company, other_company, transmitted):
    other, user = other_company, company["user_a"]
    mine = draft(user, values=SAISIE)
    for demande in (transmitted, mine):
        path = f"/api/demandes/{demande['id']}"
        for reply in (other.get(path), other.post(path + "/submit"), other.get(path + "/summary"),
                      other.post(path + "/duplicate"), other.delete(path),
                      other.put(path + "/informations", json={"values": {"legal_form": "SA"}})):
            assert reply.status_code == 404, reply.text
            assert reply.json()["error"]["message"] == "Cette demande est introuvable."
        listed = other.get("/api/documents", params={"owner_service": "demandes", "owner_id": demande["id"]})
        assert listed.status_code == 404, listed.text
        added = other.post("/api/documents", files={"file": ("rib.pdf", samples.pdf(), "application/pdf")},
                           data={"owner_service": "demandes", "owner_id": demande["id"], "kind": "RIB"})
        assert added.status_code == 404, added.text
    assert other.get("/api/demandes", params={"tab": "TRANSMITTED"}).json()["total"] == 0
    assert user.get(f"/api/demandes/{mine['id']}").json()["values"]["legal_form"] == "SAS"


def test_consultation_reads_only(company, transmitted):
    consult = company["consult"]
    assert consult.post("/api/demandes", json={"procedure_code": "SAISIE_IMMO_D"}).status_code == 403
    for method, suffix in (("post", "/duplicate"), ("delete", "")):
        reply = getattr(consult, method)(f"/api/demandes/{transmitted['id']}{suffix}")
        assert reply.status_code == 403 and "Consultation" in reply.json()["error"]["message"], reply.text
    assert consult.get(f"/api/demandes/{transmitted['id']}").status_code == 404  # transmitted: not for them
    assert [t["code"] for t in consult.get("/api/demandes", params={"tab": "VALIDATED"}).json()["tabs"]] == [
        "VALIDATED", "REJECTED"]


def test_actions_on_a_transmitted_request(company, other_company, transmitted):
    user = company["user_a"]
    path = f"/api/demandes/{transmitted['id']}"
    deleted = user.delete(path)
    assert deleted.status_code == 409 and "brouillons" in deleted.json()["error"]["message"]
    stranger = company["admin"].post(path + "/reassign", json={"person_id": other_company.person_id})
    assert stranger.status_code == 404, stranger.text
    copy = user.post(path + "/duplicate")
    assert copy.status_code == 201, copy.text
    copy = copy.json()
    assert (copy["state"], copy["number"], copy["duplicated_from_id"]) == ("DRAFT", None, transmitted["id"])
    assert {k: copy["values"].get(k) for k in ("company_name", "legal_form", "account_holder", "iban", "bic")} == {
        k: SAISIE[k] for k in ("company_name", "legal_form", "account_holder", "iban", "bic")}
    assert "amount" not in copy["values"] and copy["amount"] == "Total"
    gone = user.delete(f"/api/demandes/{copy['id']}")
    assert gone.status_code == 200 and gone.json() == {"status": "deleted", "id": copy["id"]}
    assert user.get(f"/api/demandes/{copy['id']}").status_code == 404


def test_bad_procedures_and_fields(company):
    user = company["user_a"]
    unknown = user.post("/api/demandes", json={"procedure_code": "NOPE_D"})
    assert unknown.status_code == 404 and unknown.json()["error"]["message"]
    demande = draft(user)
    refused = user.put(f"/api/demandes/{demande['id']}/informations",
                       json={"values": {**SAISIE, "amount": "1000", "is_admin": True}})
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {"amount", "is_admin"}
    assert "is_admin" not in user.get(f"/api/demandes/{demande['id']}").json()["values"]
    assert user.get(f"/api/demandes/{NOBODY}").status_code == 404


def test_the_administrator_reassigns_requests(system, company, transmitted):
    admin, user_a, user_b = company["admin"], company["user_a"], company["user_b"]
    demande = draft(user_a, values=SAISIE, complete=False)
    path = f"/api/demandes/{demande['id']}"
    assert user_b.get(path).status_code == 404  # an Utilisateur sees their own requests
    candidates = admin.get(path + "/reassign-candidates")
    assert candidates.status_code == 200, candidates.text
    assert {c["person_id"] for c in candidates.json()} >= {user_b.person_id}
    assert company["consult"].person_id not in {c["person_id"] for c in candidates.json()}
    moved = admin.post(path + "/reassign", json={"person_id": user_b.person_id})
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_person_id"] == user_b.person_id and moved.json()["owner_name"] == "Chloé Bernard"
    assert user_b.get(path).status_code == 200 and user_a.get(path).status_code == 404

    sent = admin.post(f"/api/demandes/{transmitted['id']}/reassign", json={"person_id": user_b.person_id})
    assert sent.status_code == 200, sent.text
    mail = wait_email(system, user_b.email, f"Une demande vous a été réaffectée – demande n° {transmitted['number']}")
    assert transmitted["number"] in plain_text(mail)  # NO-12


def test_the_new_owner_of_a_draft_gets_the_no12_email(system, company):
    admin, user_a, user_b = company["admin"], company["user_a"], company["user_b"]
    subject = "Une demande vous a été réaffectée"
    before = len(emails_to(system, user_b.email, subject))
    demande = draft(user_a)
    assert admin.post(f"/api/demandes/{demande['id']}/reassign", json={"person_id": user_b.person_id}).status_code == 200
    assert wait_for(lambda: len(emails_to(system, user_b.email, subject)) > before, timeout=6)


def test_an_utilisateur_without_the_submit_right_prepares_only(company):
    admin, user_b = company["admin"], company["user_b"]
    withdrawn = admin.put(f"/api/account/users/{user_b.person_id}/submit-right", json={"allowed": False})
    assert withdrawn.status_code == 200, withdrawn.text
    try:
        submit_right_in_effect(user_b, False)
        demande = draft(user_b, values=SAISIE)
        refused = user_b.post(f"/api/demandes/{demande['id']}/submit")
        assert refused.status_code == 403 and "retiré le droit" in refused.json()["error"]["message"], refused.text
        assert user_b.get(f"/api/demandes/{demande['id']}").json()["state"] == "DRAFT"
    finally:
        admin.put(f"/api/account/users/{user_b.person_id}/submit-right", json={"allowed": True})
        submit_right_in_effect(user_b, True)  # the company's next tests submit as user_b
