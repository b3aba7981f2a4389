"""Requests in a real browser (issue 9, SPEC GW-4), each scenario as one person would click it:
(2) a company Utilisateur files a saisie immobilière: a draft saved with an IBAN error shown next
    to its field, left, resumed from « Mon suivi », the RIB uploaded, submitted through the
    pop-in, the PDF summary downloaded;
(3) a particulier files an ARS request, refused first with a birth date in 1997 (the 1998 rule
    shown next to the field), then transmitted;
(4) a gestionnaire flags the RIB non conforme and asks for a complement; the client sees the
    reason in red, replaces the RIB and sends the complement; they exchange messages with files
    joined, named in both threads (a reply with an IBAN is refused with the warning, its file kept
    for the reply sent next); the gestionnaire validates and the client downloads the signed
    payment proof from « Mon suivi ».
Accounts are opened through the API (scenario 1 clicks that path); screenshots of the key pages go
to test-artifacts/screenshots/."""
from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from documents_service import samples
from e2e_helpers import Browser, accept_invitation, sign_up_company, sign_up_particulier, wait_account, wait_for

IBAN = "FR7630006000011234567890189"
BIC = "BNPAFRPPXXX"
NUMBER = re.compile(r"^10\d{13}$")


def new_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@demandes.example.com"


def log_in(page, email: str, password: str) -> None:
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def open_signed_in(someone, email: str, password: str, path: str):
    page = someone.open("/connexion?suite=" + path)
    log_in(page, email, password)
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0]) + r"(\?|#|$)"), timeout=30_000)
    return page


def upload(page, zone, name: str, data: bytes) -> None:
    """« Parcourir », then « Valider » (DO-2)."""
    with page.expect_file_chooser() as chooser:
        zone.get_by_role("button", name="Parcourir").click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/pdf", "buffer": data}])
    zone.get_by_role("button", name="Valider").click()
    expect(zone.locator("[data-upload-list]")).to_contain_text(name)


def pdf_at(page, href: str) -> bytes:
    """A link of the page downloaded with the person's session: it must be a PDF."""
    reply = page.context.request.get(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + href)
    assert reply.status == 200, reply.status
    assert reply.headers["content-type"].startswith("application/pdf"), reply.headers
    body = reply.body()
    assert body.startswith(b"%PDF"), body[:20]
    return body


def start_request(page, procedure_label: str) -> None:
    """« Mon suivi » → « Créer une demande » → the procedure → « Commencer la demande »."""
    page.get_by_label(re.compile("^Créer une demande")).select_option(label=procedure_label)
    page.get_by_role("button", name="Créer une demande").click()
    page.get_by_role("button", name="Commencer la demande").click()
    expect(page).to_have_url(re.compile(r"/demandes/[0-9a-f-]+/etape/1$"))
    expect(page.get_by_role("navigation", name=re.compile("Fil d'Ariane"))).to_contain_text("Étape 4 : Confirmation")


def transmit(someone, page) -> str:
    """Step 3: « Transmettre », the pop-in, « Oui »; step 4 gives the number."""
    expect(page).to_have_url(re.compile(r"/etape/3$"))
    page.get_by_role("button", name="Transmettre").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    someone.shot("etape-3-pop-in")
    dialog.get_by_role("button", name="Oui").click()
    expect(page).to_have_url(re.compile(r"/etape/4$"))
    expect(page.locator("main")).to_contain_text("Votre demande a été prise en compte.")
    number = page.locator(".numero-demande").inner_text().strip()
    assert NUMBER.match(number), number
    return number


def test_a_user_files_a_saisie_immobiliere(system, person):
    # A company with an invited Utilisateur (scenario 1 does the same by clicking).
    company = f"SAISIE {uuid.uuid4().hex[:6].upper()} SAS"
    admin_email, user_email = new_email("admin"), new_email("utilisatrice")
    admin = wait_account(Browser(system, admin_email, sign_up_company(system, admin_email, company=company)))
    invited = admin.post("/api/account/users", json={"last_name": "Martin", "first_name": "Chloé",
                                                     "email": user_email, "profile": "UTILISATEUR"})
    assert invited.status_code == 201, invited.text
    password = accept_invitation(system, user_email)

    user = person("2-saisie-immobiliere")
    page = open_signed_in(user, user_email, password, "/suivi")
    expect(page.get_by_role("navigation", name="Onglets du tableau de suivi")).to_contain_text("Demandes brouillons (0)")
    start_request(page, "D – Déconsigner / récupérer des fonds dans le cadre d'une saisie immobilière (débiteur saisi)")

    # Step 1: the structure's name comes from the account; the legal form is suggested after 3 letters.
    expect(page.get_by_label("Nom de la structure")).to_have_value(company)
    page.get_by_label("Forme juridique").fill("Soc")
    expect(page.locator("#demande-legal-form-liste option").first).to_be_attached()
    page.get_by_label("Forme juridique").fill("SAS")
    page.get_by_label("Titulaire du compte bancaire").fill(company)
    page.get_by_label("IBAN").fill("FR7630006000011234567890188")
    page.get_by_label("BIC").fill(BIC)
    expect(page.locator("[data-recap-line=bic]")).to_have_text(BIC)  # the live « Récapitulatif »
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#demande-iban-erreur")).to_be_visible()
    expect(page.locator("#demande-iban")).to_have_attribute("aria-invalid", "true")
    user.shot("etape-1-erreur-iban")
    page.get_by_label("IBAN").fill(IBAN)
    page.get_by_label("Libellé du virement").fill("Saisie 23/01234")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("form .confirmation")).to_contain_text("bien été enregistrée")
    expect(page.locator("[data-recap-line=iban]")).to_have_text("FR76 3000 6000 0112 3456 7890 189")
    expect(page.locator("[data-recap-line=legal_form]")).to_contain_text("Société par actions simplifiée")
    user.shot("etape-1-enregistree")

    # Leave, then resume the draft from « Mon suivi ».
    page.get_by_role("link", name="Mon suivi").click()
    expect(page.get_by_role("navigation", name="Onglets du tableau de suivi")).to_contain_text("Demandes brouillons (1)")
    row = page.get_by_role("row", name=re.compile("Demande enregistrée"))
    expect(row).to_contain_text("Chloé Martin")
    expect(row).to_contain_text("Total")
    user.shot("suivi-brouillon")
    row.get_by_role("link", name=re.compile("^Reprendre")).click()
    expect(page.get_by_label("IBAN")).to_have_value(IBAN)
    page.get_by_role("button", name="Suivant").click()

    # Step 2: the RIB, then « Suivant ».
    expect(page).to_have_url(re.compile(r"/etape/2$"))
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator("#confirmer-justificatifs .resume-erreurs")).to_be_visible()  # the RIB is missing
    rib = page.locator("[data-upload][data-kind=RIB]")
    expect(rib).to_contain_text("Formats acceptés : PNG, JPEG ou PDF")
    upload(page, rib, "rib-acme.pdf", samples.pdf(text="RIB ACME"))
    user.shot("etape-2-justificatifs")
    page.get_by_role("button", name="Suivant").click()

    # Step 3: the summary, « Transmettre » and its pop-in; step 4: the number and the PDF summary.
    expect(page.locator(".recapitulatif")).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    expect(page.locator("main")).to_contain_text("rib-acme.pdf")
    number = transmit(user, page)
    user.shot("etape-4-confirmation")
    summary = page.get_by_role("link", name=re.compile("Télécharger le récapitulatif"))
    pdf_at(page, summary.get_attribute("href"))

    page.get_by_role("link", name="Revenir à votre espace").click()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("Envoyé")
    expect(row.get_by_role("link", name=re.compile("^Récapitulatif PDF"))).to_be_visible()
    user.shot("suivi-transmise")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table reflows, labelled cells
    expect(row.get_by_role("link", name=re.compile("^Détail"))).to_be_visible()
    user.shot("suivi-mobile")
    page.set_viewport_size({"width": 1200, "height": 900})

    # « Dupliquer » (holder information only), « Supprimer » the copy (pop-in), « Réaffecter » the request.
    row.get_by_role("button", name=re.compile("^Dupliquer")).click()
    expect(page.locator("#message-page")).to_contain_text("dupliquée")
    tabs = page.get_by_role("navigation", name="Onglets du tableau de suivi")
    expect(tabs).to_contain_text("Demandes brouillons (1)")
    page.get_by_role("row", name=re.compile("Demande enregistrée")).get_by_role("button", name=re.compile("^Supprimer")).click()
    expect(page.get_by_role("dialog")).to_contain_text("Voulez-vous vraiment supprimer cette demande ?")
    page.get_by_role("dialog").get_by_role("button", name="Oui").click()
    expect(page.locator("#message-page")).to_contain_text("supprimée")
    expect(tabs).to_contain_text("Demandes brouillons (0)")
    page.get_by_role("link", name=re.compile("^Demandes transmises")).click()
    page.get_by_role("row", name=re.compile(number)).get_by_role("button", name=re.compile("^Réaffecter")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label(re.compile("Nouveau propriétaire")).locator("option")).to_have_count(2)
    dialog.get_by_label(re.compile("Nouveau propriétaire")).select_option(index=1)
    user.shot("reaffectation")
    dialog.get_by_role("button", name="Réaffecter").click()
    expect(page.locator("#message-page")).to_contain_text("réaffectée")
    expect(tabs).to_contain_text("Demandes transmises (0)")  # a Utilisateur sees the requests they own


def test_a_particulier_files_an_ars_request(system, person):
    email = new_email("particulier")
    sign_up_particulier(system, email, last_name="Dupont", first_name="Élodie")
    someone = person("3-ars")
    page = open_signed_in(someone, email, "Consign-2026!", "/suivi")
    start_request(page, "D – Déconsigner / récupérer l'allocation de rentrée scolaire")

    expect(page.locator("#demande-last-name")).to_have_value("Dupont")  # from the profile
    expect(page.locator("#demande-first-name")).to_have_value("Élodie")
    page.get_by_label("Date de naissance").fill("1997-06-15")
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator("#demande-birth-date-erreur")).to_contain_text("avant le 1er janvier 1998")
    expect(page.locator("#demande-birth-date")).to_have_attribute("aria-invalid", "true")
    someone.shot("etape-1-refus-1998")

    page.get_by_label("Date de naissance").fill("2008-06-15")
    page.locator("#demande-caf-msa-number").fill("1234567")
    page.locator("#demande-address").fill("3 rue des Écoles")
    page.locator("#demande-postal-code").fill("69003")
    page.locator("#demande-city").fill("Lyon")
    page.locator("#demande-country").select_option(label="France")  # a list in French, not a code
    expect(page.locator("[data-recap-line=country]")).to_have_text("France")
    residence = page.locator("#demande-residence-country")
    expect(residence).to_be_hidden()
    page.locator("label[for=demande-tax-residence-non]").click()
    expect(residence).to_be_visible()  # required_when: not the tax residence → country of residence
    residence.select_option(label="Belgique")
    expect(page.locator("[data-recap-line=residence_country]")).to_have_text("Belgique")
    page.locator("label[for=demande-tax-residence-oui]").click()
    expect(residence).to_be_hidden()
    page.get_by_label("Titulaire du compte bancaire").fill("Élodie Dupont")
    page.get_by_label("IBAN").fill(IBAN)
    page.get_by_label("BIC").fill(BIC)
    expect(page.locator("[data-recap-line=birth_date]")).to_have_text("15/06/2008")
    someone.shot("etape-1-informations")
    page.get_by_role("button", name="Suivant").click()

    expect(page).to_have_url(re.compile(r"/etape/2$"))
    upload(page, page.locator("[data-upload][data-kind=IDENTITY]"), "cni.pdf", samples.pdf(text="CNI"))
    upload(page, page.locator("[data-upload][data-kind=RIB]"), "rib.pdf", samples.pdf(text="RIB"))
    birth = page.locator("[data-upload][data-kind=BIRTH_CERTIFICATE]")
    birth.get_by_label("Date du document").fill((date.today() - timedelta(days=20)).isoformat())
    upload(page, birth, "acte.pdf", samples.pdf(text="Acte de naissance"))
    someone.shot("etape-2-justificatifs")
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator(".recapitulatif")).to_contain_text("La déconsignation totale")
    transmit(someone, page)
    someone.shot("etape-4-confirmation")


def staff_member(system) -> tuple[str, str]:
    """A gestionnaire created by the operator command (BO-4), password chosen from the invitation."""
    email = f"agent-{uuid.uuid4().hex[:8]}@caissedesdepots.example.com"
    created = subprocess.run([sys.executable, "-m", "identity_service", "create-staff", "--email", email,
                              "--first-name", "Anne", "--last-name", "Martin"],
                             env=system.env, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    return email, accept_invitation(system, email, "Gestion-2026!")


def submitted_saisie(client: Browser, company: str) -> str:
    """A saisie immobilière transmitted with its RIB through the API (scenario 2 clicks it): its number."""
    created = client.post("/api/demandes", json={"procedure_code": "SAISIE_IMMO_D"})
    assert created.status_code == 201, created.text
    demande_id = created.json()["id"]
    saved = client.put(f"/api/demandes/{demande_id}/informations", json={"complete": True, "values": {
        "company_name": company, "legal_form": "SAS", "account_holder": company, "iban": IBAN, "bic": BIC}})
    assert saved.status_code == 200, saved.text
    uploaded = client.post("/api/documents", files={"file": ("rib.pdf", samples.pdf(1), "application/pdf")},
                           data={"owner_service": "demandes", "owner_id": demande_id, "kind": "RIB"})
    assert uploaded.status_code == 201, uploaded.text
    assert client.post(f"/api/documents/{uploaded.json()['id']}/attach").status_code == 200
    assert client.post(f"/api/demandes/{demande_id}/justificatifs/confirm").status_code == 200
    sent = client.post(f"/api/demandes/{demande_id}/submit")
    assert sent.status_code == 200, sent.text
    return sent.json()["number"]


def review(page, file_name: str, status_label: str, reason: str | None = None) -> None:
    form = page.locator("#documents li", has_text=file_name).locator("form.controle")
    form.get_by_label(status_label, exact=True).check()
    if reason:
        form.get_by_label("Motif de non-conformité").fill(reason)
    form.get_by_role("button", name=re.compile("^Enregistrer le contrôle")).click()
    expect(page.locator("#message-page")).to_contain_text("contrôle du document")


def test_complement_messages_validation_and_proof(system, person):
    company = f"GESTION {uuid.uuid4().hex[:6].upper()} SAS"
    client_email = new_email("client")
    client_password = sign_up_company(system, client_email, company=company)
    number = submitted_saisie(wait_account(Browser(system, client_email, client_password)), company)
    agent_email, agent_password = staff_member(system)
    reason = "RIB illisible : merci de transmettre un RIB récent et complet."

    # The gestionnaire finds the request in the queue, flags the RIB and asks for a complement.
    agent = person("4-gestionnaire")
    page = agent.open("/connexion")
    log_in(page, agent_email, agent_password)
    expect(page).to_have_url(re.compile("/gestion$"), timeout=30_000)
    page.get_by_text("Filtrer les demandes").click()
    page.get_by_label("Numéro de demande").fill(number)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("row", name=re.compile(number))).to_contain_text(company)
    agent.shot("file-des-demandes")
    page.get_by_role("link", name=re.compile(number)).click()
    review(page, "rib.pdf", "Non conforme", reason)
    expect(page.locator("#documents .alerte")).to_contain_text(reason)
    expect(page.get_by_role("button", name="Fonds reçus")).to_have_count(0)  # a deconsignation
    agent.shot("controle-non-conforme")
    page.get_by_role("button", name="Demander un complément").click()
    expect(page.locator(".entete-demande")).to_contain_text("En attente complément")
    detail_url = page.url.split("#")[0]

    # The client sees the reason in red, replaces the RIB and sends the complement (« VALIDER »).
    client = person("4-client")
    page_c = open_signed_in(client, client_email, client_password, "/suivi?tab=TRANSMITTED")
    row = page_c.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("En attente complément")
    client.shot("suivi-en-attente-complement")
    row.get_by_role("link", name=re.compile("^Compléter")).click()
    refused = page_c.locator("#justificatifs li.non-conforme")
    expect(refused).to_contain_text(reason)
    assert refused.locator(".alerte").evaluate("e => getComputedStyle(e).color") == "rgb(176, 0, 32)"  # red
    client.shot("complement-motif-en-rouge")
    upload(page_c, refused.locator("[data-upload]"), "rib-2026.pdf", samples.pdf(2))
    page_c.locator("form[data-api$='/complete']").get_by_role("button", name="Valider").click()
    expect(page_c.locator("#message-page")).to_contain_text("complément a bien été transmis")
    expect(page_c.locator(".entete-demande")).to_contain_text("Envoyé")

    # The gestionnaire writes (free subject); the client reads, first replies with an IBAN (refused).
    page.goto(detail_url)
    page.get_by_label("Objet du message").select_option("FREE")
    page.get_by_label("Objet libre").fill("Votre nouveau RIB")
    page.locator("#message-corps").fill("Bonjour, nous avons bien reçu votre nouveau RIB. Est-il à jour ?")
    page.get_by_label(re.compile("rib-2026.pdf")).check()  # MS-6: a document of the request joined
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("#messages")).to_contain_text("nous avons bien reçu votre nouveau RIB")
    agent.shot("message-envoye")

    page_c.get_by_role("link", name="Mon suivi").click()
    expect(page_c.locator(".menu")).to_contain_text("1 message non lu")
    page_c.get_by_role("link", name="Demandes transmises").click()
    row = page_c.get_by_role("row", name=re.compile(number))
    expect(row.locator(".pastille")).to_be_visible()
    client.shot("suivi-point-rouge")
    row.get_by_role("link", name=re.compile("message non lu")).click()
    expect(page_c.locator("#messages .de-la-gestion")).to_contain_text("Votre nouveau RIB")
    joined = page_c.locator("#messages .de-la-gestion").get_by_role("link", name=re.compile("^rib-2026.pdf"))
    expect(joined).to_be_visible()
    pdf_at(page_c, joined.get_attribute("href"))
    page_c.get_by_label("Votre réponse").fill(f"Oui, mon IBAN est {IBAN}.")
    page_c.get_by_label("Joindre des fichiers").set_input_files(files=[
        {"name": "attestation-banque.pdf", "mimeType": "application/pdf", "buffer": samples.pdf(1)}])
    page_c.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page_c.locator("#reponse-message-erreur")).to_contain_text("données")
    client.shot("reponse-refusee-donnees-personnelles")
    page_c.get_by_label("Votre réponse").fill("Oui, il est à jour depuis ce mois-ci. Ci-joint l'attestation.")
    page_c.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page_c.locator("#message-page")).to_contain_text("réponse a bien été envoyée")
    mine = page_c.locator("#messages .du-client")
    expect(mine).to_contain_text("il est à jour")
    pdf_at(page_c, mine.get_by_role("link", name=re.compile("^attestation-banque.pdf")).get_attribute("href"))
    # the file sent once, though the reply was sent twice: one more document of the request
    expect(page_c.locator("#justificatifs li", has_text="attestation-banque.pdf")).to_have_count(1)
    page_c.get_by_role("button", name=re.compile("^Marquer comme non lu")).click()
    expect(page_c.locator("#message-page")).to_contain_text("non lu")
    client.shot("fil-de-messages")

    # The gestionnaire reads the reply, checks the new RIB and validates (pop-in).
    page.goto(detail_url)
    expect(page.locator("#messages")).to_contain_text("il est à jour")
    expect(page.locator("#messages .du-client").get_by_role("link", name=re.compile("^attestation-banque.pdf"))).to_be_visible()
    review(page, "rib-2026.pdf", "Conforme")
    page.get_by_role("button", name="Valider la demande").click()
    page.get_by_role("dialog").get_by_role("button", name="Oui").click()
    expect(page.locator(".entete-demande")).to_contain_text(re.compile("Demande validée|Justificatif de déconsignation disponible"))
    agent.shot("demande-validee")

    # The client downloads the signed payment proof from « Mon suivi », once it is issued (right
    # after the validation, out of the gestionnaire's call: NO-10 tells the client).
    validated_tab = page_c.url.split("/demandes/")[0] + "/suivi?tab=VALIDATED"

    def proof_link():
        page_c.goto(validated_tab)
        link = page_c.get_by_role("row", name=re.compile(number)).get_by_role("link", name=re.compile("^Justificatif PDF"))
        return link if link.count() else None

    proof = wait_for(proof_link, timeout=30)
    assert proof is not None, "no « Justificatif PDF » link 30 s after the validation"
    expect(proof).to_be_visible()
    client.shot("suivi-validee-justificatif")
    pdf_at(page_c, proof.get_attribute("href"))
