"""Drafts (DM-2) and who may change them (DM-9), the acting person's membership sent with each call."""
from datetime import timedelta

import pytest

from consignations_shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from consignations_shared.clock import as_utc
from demandes_service import drafts
from demandes_service.models import Request

IBAN = "FR76 3000 6000 0112 3456 7890 189"
ARS_OK = {"last_name": "Dupont", "first_name": "Éloïse", "birth_date": "14/09/2003", "address": "1 rue de la Paix",
          "postal_code": "75002", "city": "Paris", "country": "FR", "tax_residence": "true",
          "account_holder": "MME ELOISE DUPONT", "iban": IBAN, "bic": "BNPAFRPPXXX"}


@pytest.fixture
def people(accounts):
    return {
        "admin": accounts.add("admin", "acme", "ADMINISTRATEUR"),
        "alice": accounts.add("alice", "acme", "UTILISATEUR"),
        "bob": accounts.add("bob", "acme", "UTILISATEUR"),
        "carol": accounts.add("carol", "acme", "CONSULTATION"),
        "other_admin": accounts.add("other_admin", "globex", "ADMINISTRATEUR"),
        "eloise": accounts.add("eloise", "perso-eloise", "PARTICULIER", kind="PARTICULIER"),
    }


def test_a_draft_is_created_for_the_acting_person_and_account(ctx, people, clock):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    assert draft["state"] == "DRAFT" and draft["state_label"] == "Demande enregistrée"
    assert draft["tab"] == "DRAFTS" and draft["step"] == 1 and draft["values"] == {}
    assert draft["sens"] == "D" and draft["number"] is None and draft["owner_person_id"] == "alice"
    stored = ctx.session.get(Request, draft["id"])
    assert stored.account_id == "acme" and as_utc(stored.created_at) == clock.now() and stored.version == 1


@pytest.mark.parametrize("who,code", [("eloise", "SAISIE_IMMO_D"), ("alice", "ARS_D")])
def test_a_procedure_of_the_other_audience_is_refused(ctx, people, who, code):
    with pytest.raises(Forbidden):
        drafts.create_draft(ctx, people[who], code)
    assert ctx.session.query(Request).count() == 0


def test_consultation_cannot_create_nor_change(ctx, people):
    with pytest.raises(Forbidden) as error:
        drafts.create_draft(ctx, people["carol"], "SAISIE_IMMO_D")
    assert "Consultation" in error.value.message
    draft = drafts.create_draft(ctx, people["admin"], "SAISIE_IMMO_D")
    with pytest.raises(Forbidden):
        drafts.save_step(ctx, people["carol"], draft["id"], {"company_name": "X"})


@pytest.mark.parametrize("who", [{"id": "agent", "is_staff": True, "profile": "GESTIONNAIRE"},
                                 {"id": "stranger", "is_staff": False, "profile": "UTILISATEUR", "membership": None}])
def test_strangers_and_gestionnaires_have_no_drafts(ctx, people, who):
    with pytest.raises(Forbidden) as refused:
        drafts.create_draft(ctx, who, "SAISIE_IMMO_D")
    assert refused.value.message == "Aucun compte client n'est associé à votre accès."


@pytest.mark.parametrize("who", [None, {}, {"id": "x", "membership": {"account_id": "acme"}}, "admin"])
def test_a_malformed_acting_person_is_not_the_gateways(ctx, people, who):
    with pytest.raises(Unauthenticated):
        drafts.create_draft(ctx, who, "SAISIE_IMMO_D")


def test_a_sign_up_whose_account_is_being_opened_is_told_so(ctx, people):
    with pytest.raises(Conflict) as pending:
        drafts.create_draft(ctx, {"id": "newcomer", "is_staff": False, "profile": "ENTREPRISE"}, "SAISIE_IMMO_D")
    assert pending.value.code == "account_pending" and "en cours de création" in pending.value.message


def test_unknown_procedure(ctx, people):
    with pytest.raises(NotFound):
        drafts.create_draft(ctx, people["alice"], "NOPE")


def test_enregistrer_keeps_what_was_typed_and_suivant_moves_to_step_2(ctx, people, clock):
    draft = drafts.create_draft(ctx, people["eloise"], "ARS_D")
    clock.advance(timedelta(minutes=5))
    saved = drafts.save_step(ctx, people["eloise"], draft["id"], {"last_name": "Dupont"}, False)
    assert saved["values"]["last_name"] == "Dupont" and saved["values"]["iban"] is None
    assert saved["step"] == 1 and saved["updated_at"] == clock.now().isoformat() and saved["version"] == 2
    with pytest.raises(ValidationFailed) as error:
        drafts.save_step(ctx, people["eloise"], draft["id"], {"last_name": "Dupont"}, True)
    assert "iban" in error.value.fields
    ctx.session.rollback()
    done = drafts.save_step(ctx, people["eloise"], draft["id"], ARS_OK, True)
    assert done["step"] == 2 and done["values"]["birth_date"] == "2003-09-14"
    assert done["values"]["iban"] == "FR7630006000011234567890189"
    # « Enregistrer » on step 1 again (going back) keeps the furthest step reached
    back = drafts.save_step(ctx, people["eloise"], draft["id"], {**ARS_OK, "city": "Lyon"}, False)
    assert back["step"] == 2 and back["values"]["city"] == "Lyon"


def test_invalid_values_are_refused_with_french_messages_and_nothing_is_stored(ctx, people):
    draft = drafts.create_draft(ctx, people["eloise"], "ARS_D")
    with pytest.raises(ValidationFailed) as error:
        drafts.save_step(ctx, people["eloise"], draft["id"], {"birth_date": "01/01/1990", "hack": "x"}, False)
    assert "1998" in error.value.fields["birth_date"] and "hack" in error.value.fields
    ctx.session.rollback()
    assert ctx.session.get(Request, draft["id"]).values == {}
    with pytest.raises(ValidationFailed):
        drafts.save_step(ctx, people["eloise"], draft["id"], ["not", "a", "form"], False)


def test_owner_or_administrator_of_the_same_account_only(ctx, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    assert drafts.save_step(ctx, people["admin"], draft["id"], {"company_name": "ACME"})["values"]["company_name"] == "ACME"
    for who in ("bob", "other_admin", "eloise"):
        with pytest.raises(NotFound):
            drafts.save_step(ctx, people[who], draft["id"], {"company_name": "X"})
    for bad_id in ("nope", None, 42, ""):
        with pytest.raises(NotFound):
            drafts.save_step(ctx, people["alice"], bad_id, {})


def test_only_drafts_can_be_saved(ctx, people):
    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    ctx.session.get(Request, draft["id"]).state = "SUBMITTED"
    ctx.session.commit()
    with pytest.raises(Conflict):
        drafts.save_step(ctx, people["alice"], draft["id"], {"company_name": "X"})


def test_a_save_that_loses_a_race_is_refused_and_nothing_is_half_written(ctx, people, monkeypatch):
    """Two saves of the same draft at once: the loser's UPDATE matches no row of its version
    (StaleDataError at commit); it gets a French Conflict and its session is clean."""
    from sqlalchemy.orm.exc import StaleDataError

    draft = drafts.create_draft(ctx, people["alice"], "SAISIE_IMMO_D")
    real_commit = ctx.session.commit

    def lose_the_race():
        ctx.session.rollback()
        raise StaleDataError("UPDATE statement on table 'requests' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(ctx.session, "commit", lose_the_race)
    with pytest.raises(Conflict) as refused:
        drafts.save_step(ctx, people["alice"], draft["id"], {"company_name": "Second"})
    assert refused.value.message == drafts.SAVED_ELSEWHERE
    monkeypatch.setattr(ctx.session, "commit", real_commit)
    ctx.session.expire_all()
    assert ctx.session.get(Request, draft["id"]).values == {}
