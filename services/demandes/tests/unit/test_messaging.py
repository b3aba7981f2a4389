import string

import pytest

from consignations_shared.errors import ValidationFailed
from demandes_service.domain import messaging as m
from demandes_service.domain.personal_data import find_personal_data

BODY = "Bonjour,\nmerci de compléter votre demande."


def test_the_five_subjects_and_their_labels():
    assert m.SUBJECTS == ("COMPLEMENT_REMINDER_1", "COMPLEMENT_REMINDER_2", "FUNDS_REMINDER_1",
                          "FUNDS_REMINDER_2", "FREE")
    assert m.SUBJECT_LABELS == {
        "COMPLEMENT_REMINDER_1": "Demande en attente de compléments clients – 1ère relance",
        "COMPLEMENT_REMINDER_2": "Demande en attente de compléments clients – 2e relance",
        "FUNDS_REMINDER_1": "Demande en attente de fonds – 1ère relance",
        "FUNDS_REMINDER_2": "Demande en attente de fonds – 2e relance",
    }
    assert list(m.SUBJECT_CHOICES) == list(m.SUBJECTS)
    assert m.SUBJECT_CHOICES["FREE"] == "Saisie libre"


@pytest.mark.parametrize("code", m.REMINDERS)
def test_a_reminder_subject_gives_its_label(code):
    assert m.check_new_message(code, None, BODY) == (m.SUBJECT_LABELS[code], BODY)


def test_free_subject_is_the_typed_text_trimmed():
    assert m.check_new_message("FREE", "  Pièce   manquante :\tRIB  ", BODY) == ("Pièce manquante : RIB", BODY)


def test_free_subject_ignored_for_a_reminder():
    assert m.check_new_message("FUNDS_REMINDER_1", "reste du formulaire", BODY)[0] == \
        "Demande en attente de fonds – 1ère relance"


def test_free_subject_of_exactly_150_characters():
    assert m.check_new_message("FREE", "x" * 150, BODY)[0] == "x" * 150


def _fields(call, *args):
    with pytest.raises(ValidationFailed) as err:
        call(*args)
    assert err.value.status == 422
    return err.value.message, err.value.fields


@pytest.mark.parametrize("code, free, fields", [
    ("RELANCE_3", None, {"subject": "L'objet du message est invalide."}),
    ("free", "Objet", {"subject": "L'objet du message est invalide."}),
    (42, None, {"subject": "L'objet du message est invalide."}),
    (None, None, {"subject": "L'objet du message est obligatoire."}),
    ("  ", None, {"subject": "L'objet du message est obligatoire."}),
    ("FREE", None, {"free_subject": "L'objet du message est obligatoire."}),
    ("FREE", " \n ", {"free_subject": "L'objet du message est obligatoire."}),
    ("FREE", "x" * 151, {"free_subject": "L'objet du message ne doit pas dépasser 150 caractères."}),
    ("FREE", "Objet\x07sonore", {"free_subject": "L'objet du message contient des caractères non autorisés."}),
    ("FREE", "Objet\u202edroite", {"free_subject": "L'objet du message contient des caractères non autorisés."}),
])
def test_bad_subjects(code, free, fields):
    message, errors = _fields(m.check_new_message, code, free, BODY)
    assert errors == fields
    assert message == next(iter(fields.values()))


BAD_BODIES = [
    (None, "Le message est obligatoire."),
    ("", "Le message est obligatoire."),
    (" \n\t\r\n ", "Le message est obligatoire."),
    (42, "Le message est invalide."),
    ("x" * 5001, "Le message ne doit pas dépasser 5000 caractères."),
    ("Bonjour\x00", "Le message contient des caractères non autorisés."),
    ("Bonjour\x1b[31m", "Le message contient des caractères non autorisés."),
    ("Bonjour\u200b", "Le message contient des caractères non autorisés."),
    ("Bonjour \u202e", "Le message contient des caractères non autorisés."),
    ("Bon\x0bjour", "Le message contient des caractères non autorisés."),
]


@pytest.mark.parametrize("body, error", BAD_BODIES)
def test_bad_bodies_of_a_new_message(body, error):
    assert _fields(m.check_new_message, "FREE", "Objet", body) == (error, {"body": error})


@pytest.mark.parametrize("body, error", BAD_BODIES)
def test_bad_bodies_of_a_reply(body, error):
    assert _fields(m.check_reply, body) == (error, {"body": error})


def test_all_problems_are_reported_at_once():
    message, fields = _fields(m.check_new_message, "FREE", "", "")
    assert fields == {"free_subject": "L'objet du message est obligatoire.", "body": "Le message est obligatoire."}
    assert message == m.SEVERAL_ERRORS


def test_body_keeps_its_lines_and_is_tidied():
    body = "\r\n  \r\nBonjour,  \r\n\r\n\tVoici le RIB demandé.\rCordialement   \n\n"
    assert m.check_reply(body) == "Bonjour,\n\n\tVoici le RIB demandé.\nCordialement"


def test_body_is_nfc_normalised():
    assert m.check_reply("Re\u0301ponse") == "Réponse"


def test_body_of_exactly_5000_characters_after_tidying():
    assert m.check_reply("x" * 5000 + "   \n\n") == "x" * 5000
    assert m.check_reply("é" * 5000) == "é" * 5000


def test_emoji_and_typography_are_allowed():
    text = "Merci beaucoup 🙂 — « reçu » ; 1 234,56 € ?"
    assert m.check_reply(text) == text


@pytest.mark.parametrize("code", m.REMINDERS)
def test_default_bodies_are_ready_to_send(code):
    template = m.REMINDER_BODIES[code]
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    assert fields == {"number"}
    body = m.default_body(code, "102611000000042")
    assert "102611000000042" in body and body.startswith("Bonjour,")
    assert body.endswith("Cordialement,\nLe service des consignations")
    label, clean = m.check_new_message(code, None, body)
    assert clean == body and label == m.SUBJECT_LABELS[code]
    assert find_personal_data(body) == []


def test_default_bodies_say_what_is_expected():
    assert "compléter" in m.default_body("COMPLEMENT_REMINDER_1", "1")
    assert "compléter" in m.default_body("COMPLEMENT_REMINDER_2", "1")
    assert "virement" in m.default_body("FUNDS_REMINDER_1", "1")
    assert "virement" in m.default_body("FUNDS_REMINDER_2", "1")
    assert m.default_body("FREE", "1") == ""
    with pytest.raises(ValidationFailed):
        m.default_body("RELANCE_3", "1")


@pytest.mark.parametrize("code", ["RELANCE_3", "complement_reminder_1", ""])
def test_no_default_body_for_an_unknown_subject(code):
    with pytest.raises(ValidationFailed) as err:
        m.default_body(code, "1")
    assert err.value.message == "L'objet du message est invalide."
    assert err.value.fields == {"subject": "L'objet du message est invalide."}


def test_only_line_feeds_around_the_body_are_removed():
    # the indentation of the first line and the letters at both ends are the writer's
    assert m.check_reply("\n\n  \tBonjour,\nVoici le RIB.\n\n") == "  \tBonjour,\nVoici le RIB."
    assert m.check_reply("Xavier\nX") == "Xavier\nX"
