"""The portal in a real browser (issue 9, SPEC GW-4), codes and links read from the outbox as a
person reads their SMS and e-mails:
(1) a company signs up, completes the 4-step wizard with uploads and invites a Utilisateur,
    who activates the invitation and logs in;
(5) a forgotten password is reset in 4 steps.
Screenshots of the key pages go to test-artifacts/screenshots/."""
from __future__ import annotations

import random
import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from documents_service import samples
from e2e_helpers import link_token, plain_text, scalar, sign_up_company, sms_to, wait_email, wait_for

PASSWORD = "Consign-2026!"


def new_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@acme.example.com"


def captcha_answer(system, page) -> str:
    captcha_id = page.locator("[data-captcha-id]").input_value()
    return scalar(system.database_urls["identity"], "SELECT answer FROM captcha_challenges WHERE id = :id", id=captcha_id)


def email_code(mail, length) -> str:
    """The code on its own indented line of the e-mail; `length` as in a regex: 6 or "6,10"."""
    return re.search(rf"^\s+([A-Z0-9]{{{length}}})\s*$", plain_text(mail), re.M).group(1)


def log_in(page, email: str, password: str) -> None:
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def upload_with_browse(page, zone, name: str, data: bytes) -> None:
    """« Parcourir » opens the file chooser; then « Valider » attaches the document (DO-2)."""
    with page.expect_file_chooser() as chooser:
        zone.get_by_role("button", name="Parcourir").click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
    zone.get_by_role("button", name="Valider").click()
    expect(zone.locator("[data-upload-list]")).to_contain_text(name)


def upload_with_drop(page, zone, name: str, data: bytes) -> None:
    """The same through drag and drop: a file dropped on the zone."""
    transfer = page.evaluate_handle(
        """([name, bytes]) => { const transfer = new DataTransfer();
             transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
             return transfer; }""", [name, list(data)])
    zone.locator("[data-drop]").dispatch_event("drop", {"dataTransfer": transfer})
    zone.get_by_role("button", name="Valider").click()
    expect(zone.locator("[data-upload-list]")).to_contain_text(name)


def test_company_signs_up_completes_the_wizard_and_invites_a_user(system, person):
    admin = person("1-entreprise")
    page = admin.open("/connexion")
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()
    expect(page.locator("footer")).to_contain_text("01 58 50 89 88")
    admin.shot("connexion")
    page.get_by_role("link", name="Créer mon compte").click()
    admin.shot("choix-du-profil")
    page.get_by_role("link", name=re.compile("^Entreprise")).click()

    # Authentication 1/3, first with mistakes: each error is shown next to its field.
    email, mobile = new_email("direction"), "0612" + "".join(random.choice("0123456789") for _ in range(6))
    page.get_by_label("Nom de votre société").fill("ACME SAS")
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Téléphone portable").fill(mobile)
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_label("Caractères de l'image").fill("ZZZZZ")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#password-erreur")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#accept-cgu-erreur")).to_be_visible()
    expect(page.locator("#captcha-answer-erreur")).to_be_visible()
    admin.shot("inscription-erreurs")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label(re.compile("J'ai lu et j'accepte")).check()
    page.wait_for_function("document.querySelector('[data-captcha-answer]').value === ''")  # a new captcha
    page.get_by_label("Caractères de l'image").fill(captcha_answer(admin.system, page))
    page.get_by_role("button", name="Créer mon compte").click()

    # 2/3: the SMS code; « Demander un nouveau code confidentiel » is there.
    expect(page).to_have_url(re.compile("/code-sms$"))
    expect(page.get_by_label("Téléphone portable")).to_have_value(re.compile(r"\d{2}$"))
    expect(page.get_by_role("button", name="Demander un nouveau code confidentiel")).to_be_visible()
    e164 = "+33" + mobile[1:]
    code = wait_for(lambda: sms_to(admin.system, e164) and sms_to(admin.system, e164)[-1]["text"][-6:])
    admin.shot("code-sms")
    page.get_by_label("Code confidentiel reçu par SMS").fill(code)
    page.get_by_role("button", name="Valider").click()

    # 3/3: the e-mail code, then the validation page and « Démarrer ».
    expect(page).to_have_url(re.compile("/code-courriel$"))
    page.get_by_label("Code confidentiel reçu par courriel").fill(
        email_code(wait_email(admin.system, email, "Votre code confidentiel"), 6))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("authentification est terminée")
    admin.shot("authentification-terminee")
    page.get_by_role("link", name="Démarrer").click()
    expect(page.get_by_label("Adresse courriel")).to_have_value(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # Step 1 « Votre structure »: postal code autocomplete, SIRET checked by the service.
    expect(page).to_have_url(re.compile("/creation-compte/structure$"), timeout=30_000)
    expect(page.get_by_role("navigation", name=re.compile("Fil d'Ariane"))).to_contain_text("Étape 4 : Vos utilisateurs")
    page.get_by_label("Type de structure").select_option("AUTRES")
    page.get_by_label("Adresse postale du siège").fill("12 rue de la Paix")
    page.get_by_label("Code postal").fill("75002")
    expect(page.get_by_label("Commune")).not_to_have_value("")
    page.get_by_label("Numéro SIRET").fill("73282932000075")
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator("#siret-erreur")).to_contain_text("clé de contrôle")
    admin.shot("etape-1-erreur-siret")
    page.get_by_label("Numéro SIRET").fill("73282932000074")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("form .confirmation")).to_contain_text("enregistrées")
    page.get_by_role("button", name="Suivant").click()

    # Step 2 « Vos informations »: identity document through « Parcourir ».
    expect(page).to_have_url(re.compile("/creation-compte/informations$"))
    page.get_by_label("Civilité").select_option("MADAME")
    page.locator("#last-name").fill("Dupont")
    page.get_by_label("Prénom").fill("Claire")
    page.get_by_label("Fonction").fill("Directrice financière")
    page.get_by_label("Téléphone portable").fill(mobile)
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator("[data-error-for=identity_document]")).to_contain_text("pièce d'identité")
    identity_zone = page.locator("[data-upload][data-kind=IDENTITY]")
    expect(identity_zone).to_contain_text("Formats acceptés : PNG, JPEG ou PDF. Taille maximale : 5 Mo")
    upload_with_browse(page, identity_zone, "cni.png", samples.png())
    admin.shot("etape-2-informations")
    page.get_by_role("button", name="Suivant").click()

    # Step 3 « Vos documents »: a refused file, then the Kbis dropped on the zone.
    expect(page).to_have_url(re.compile("/creation-compte/documents$"))
    kbis = page.locator("[data-upload][data-kind=KBIS]")
    kbis.get_by_label("Date du document").fill((date.today() - timedelta(days=10)).isoformat())
    with page.expect_file_chooser() as chooser:
        kbis.get_by_role("button", name="Parcourir").click()
    chooser.value.set_files(files=[{"name": "kbis.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00 not a document"}])
    expect(kbis.locator("[data-error-for~=file]")).to_be_visible()
    upload_with_drop(page, kbis, "kbis.pdf", samples.pdf(text="Extrait Kbis"))
    page.get_by_label("Oui").check()
    admin.shot("etape-3-documents")
    page.get_by_role("button", name="Suivant").click()

    # Step 4 « Vos utilisateurs »: invite a Utilisateur, then « Valider » and its pop-in.
    expect(page).to_have_url(re.compile("/creation-compte/utilisateurs$"))
    user_email = new_email("utilisateur")
    page.locator("#ajout-last-name").fill("Martin")
    page.get_by_label("Prénom").fill("Chloé")
    page.get_by_label("Adresse courriel").fill(user_email)
    page.get_by_label("Profil").select_option("UTILISATEUR")
    page.get_by_role("button", name="Ajouter cet utilisateur").click()
    expect(page.locator("#message-page")).to_contain_text("courriel d'invitation")
    expect(page.get_by_text(user_email)).to_be_visible()
    admin.shot("etape-4-utilisateurs")
    page.get_by_role("button", name="Valider").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    admin.shot("confirmation-validation")
    dialog.get_by_role("button", name="Oui").click()

    # The welcome page, once, with the procedures; then « Mon compte » and « Mes utilisateurs ».
    expect(page).to_have_url(re.compile("/bienvenue$"))
    expect(page.locator(".procedures")).to_contain_text("saisie immobilière")
    admin.shot("bienvenue")
    page.get_by_role("link", name="Accéder à mon espace").click()
    expect(page.get_by_role("heading", name="Mes identifiants")).to_be_visible()
    expect(page.locator("#mes-documents")).to_contain_text("cni.png")
    admin.shot("mon-compte")
    page.goto(admin.system.url("/espace"))
    expect(page).to_have_url(re.compile("/mon-compte$"))  # the welcome page does not come back
    page.get_by_role("link", name="Mes utilisateurs").click()
    row = page.get_by_role("row", name=re.compile("Chloé Martin"))
    expect(row).to_contain_text("Invitation envoyée")
    admin.shot("mes-utilisateurs")

    # The Utilisateur opens the invitation link, sets a password, then logs in.
    user = person("1-utilisateur")
    mail = wait_email(admin.system, user_email, "Invitation à rejoindre")
    page = user.open("/invitation?token=" + link_token(mail, "/invitation"))
    expect(page.locator("main")).to_contain_text(user_email)
    page.get_by_label("Votre nouveau mot de passe").fill("Invite-2026!")
    page.get_by_label("Mot de passe confidentiel reçu par courriel").fill(email_code(mail, 10))
    page.get_by_label(re.compile("J'ai lu et j'accepte")).check()
    user.shot("invitation")
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile("/connexion"))
    expect(page.locator("#message-page")).to_contain_text("Votre accès est créé")
    log_in(page, user_email, "Invite-2026!")
    expect(page).to_have_url(re.compile("/(bienvenue|mon-compte)$"), timeout=30_000)
    if page.url.endswith("/bienvenue"):
        user.shot("bienvenue-utilisateur")
        page.get_by_role("link", name="Accéder à mon espace").click()
    expect(page.get_by_role("link", name="Mes utilisateurs")).to_have_count(0)  # administrators only
    user.shot("mon-compte-utilisateur")

    # « Mon compte »: personal information, then a new password through the e-mailed code (ID-9).
    page.get_by_label("Téléphone fixe").fill("01 23 45 67 89")
    page.get_by_role("button", name="Valider mes informations personnelles").click()
    expect(page.locator("#message-page")).to_contain_text("ont bien été enregistrées")
    page.get_by_label("Nouveau mot de passe").fill("Change-2026!")
    page.get_by_role("button", name="Recevoir un code").click()
    expect(page.locator("#changer-mot-de-passe .confirmation")).to_contain_text("code confidentiel vous a été envoyé")
    code = email_code(wait_email(user.system, user_email, "Code confidentiel pour changer"), "6,10")
    page.get_by_label("Code confidentiel reçu par courriel").fill(code)
    page.get_by_role("button", name="Valider mon nouveau mot de passe").click()
    expect(page.locator("#message-page")).to_contain_text("mot de passe a bien été modifié")
    user.shot("mot-de-passe-modifie")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile("/connexion$"))
    expect(page.locator("#message-page")).to_contain_text("déconnecté")


def test_forgotten_password_in_four_steps(system, person):
    email = new_email("oubli")
    sign_up_company(system, email, company="OUBLI SARL")
    someone = person("5-mot-de-passe-oublie")
    page = someone.open("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse courriel").fill(email)
    someone.shot("etape-1")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("[data-forgotten-done]")).to_contain_text("vous allez recevoir un courriel")
    someone.shot("etape-2")

    mail = wait_email(system, email, "Réinitialisation de votre mot de passe")
    page = someone.open("/mot-de-passe/reinitialisation?token=" + link_token(mail, "/mot-de-passe/reinitialisation"))
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Nouveau mot de passe").fill("abc")
    page.get_by_label("Code confidentiel reçu par courriel").fill(email_code(mail, 6))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#password-erreur")).to_contain_text("8 caractères")
    someone.shot("etape-4-erreur")
    page.get_by_label("Nouveau mot de passe").fill("Nouveau-2026!")
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile("/connexion$"))
    expect(page.locator("#message-page")).to_contain_text("réinitialisé")
    someone.shot("confirmation")

    log_in(page, email, PASSWORD)
    expect(page.locator(".resume-erreurs")).to_be_visible()  # the old password no longer works
    log_in(page, email, "Nouveau-2026!")
    expect(page).to_have_url(re.compile("/creation-compte/structure$"), timeout=30_000)
