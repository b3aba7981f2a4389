"""Accounts use cases (AC-1..AC-9) on SQLite, with fakes standing for identity and documents."""
import pytest

from accounts_service import members, opening, wizard
from accounts_service.models import AccountMember, ClientAccount
from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from consignations_shared.events import new_envelope

STRUCTURE = {"structure_type": "AUTRES", "service": "Direction financière", "address": "12 rue de la Paix",
             "postal_code": "75002", "commune": "Paris", "country": "FR", "siret": "732 829 320 00074"}
ADMIN_INFO = {"civility": "MADAME", "last_name": "Dupont", "first_name": "Claire", "function": "Directrice",
              "mobile": "06 12 34 56 78"}


def company(ctx, email="direction@acme.example.com", person_id="admin-1"):
    opening.open_draft_account(ctx.session, new_envelope("signup_verified", {
        "signup_id": f"s-{person_id}", "person_id": person_id, "profile": "ENTREPRISE", "company_name": "ACME SAS",
        "email": email, "mobile": "+33612345678", "verified_at": "2026-01-15T09:00:00+00:00"}, source="identity"),
        ctx.clock, ctx.outbox)
    return {"id": person_id, "email": email, "profile": "ENTREPRISE", "is_staff": False}


def finalised_company(ctx, person_id="admin-1"):
    admin = company(ctx, person_id=person_id, email=f"{person_id}@acme.example.com")
    account_id = ctx.session.get(AccountMember, person_id).account_id
    wizard.save_structure(ctx, admin, STRUCTURE, complete=True)
    ctx.documents.attach(account_id, "IDENTITY")
    wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=True)
    ctx.documents.attach(account_id, "KBIS")
    wizard.save_documents(ctx, admin, {"administrator_on_kbis": True}, complete=True)
    wizard.finalise(ctx, admin)
    return admin


def activate(ctx, invited_person_id, profile):
    opening.on_account_activated(ctx.session, new_envelope("account_activated", {
        "person_id": invited_person_id, "profile": profile, "email": "x@acme.example.com", "first_name": "A",
        "last_name": "B", "activated_at": "2026-01-15T09:00:00+00:00"}, source="identity"), ctx.clock, ctx.outbox)


def invite(ctx, admin, profile, email, activate_now=True):
    invited = members.invite_member(ctx, admin, {"last_name": "Martin", "first_name": "Paul", "email": email,
                                                 "profile": profile})
    if activate_now:
        activate(ctx, invited["person_id"], profile)
    return {"id": invited["person_id"], "profile": profile, "is_staff": False}


# --- AC-1 wizard -----------------------------------------------------------------------------

def test_wizard_from_draft_to_finalised_account(ctx, events):
    admin = company(ctx)
    assert [e["type"] for e in events("accounts.account_created")] == ["account_created"]
    state = wizard.state(ctx, admin)
    assert state["wizard_step"] == 1 and state["structure"]["company_name"] == "ACME SAS"
    assert {"code": "AUTRES", "label": "AUTRES"} in state["choices"]["structure_types"]
    saved = wizard.save_structure(ctx, admin, {"service": "Direction"}, complete=False)  # « Enregistrer »
    assert saved["wizard_step"] == 1 and saved["structure"]["service"] == "Direction"
    with pytest.raises(Conflict):  # step 2 not reached yet
        wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=False)
    state = wizard.save_structure(ctx, admin, STRUCTURE, complete=True)  # « Suivant »
    assert state["wizard_step"] == 2 and state["structure"]["siren"] == "732829320"
    with pytest.raises(ValidationFailed) as refused:
        wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=True)
    assert set(refused.value.fields) == {"identity_document"}
    account_id = ctx.session.get(AccountMember, "admin-1").account_id
    ctx.documents.attach(account_id, "IDENTITY")
    assert wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=True)["wizard_step"] == 3
    with pytest.raises(ValidationFailed) as refused:
        wizard.save_documents(ctx, admin, {"administrator_on_kbis": False}, complete=True)
    assert set(refused.value.fields) == {"kbis", "delegation"}
    ctx.documents.attach(account_id, "KBIS")
    ctx.documents.attach(account_id, "DELEGATION_SIGNATURE")
    assert wizard.save_documents(ctx, admin, {"administrator_on_kbis": False}, complete=True)["wizard_step"] == 4
    wizard.save_structure(ctx, admin, {**STRUCTURE, "service": "Trésorerie"}, complete=True)  # going back
    final = wizard.finalise(ctx, admin)
    assert final["finalised"] is True
    assert events("accounts.account_finalised")[0]["payload"]["siret"] == "73282932000074"
    with pytest.raises(Conflict) as locked:
        wizard.save_structure(ctx, admin, STRUCTURE, complete=True)
    assert "finalisé" in locked.value.message


@pytest.mark.parametrize("siret,message", [
    ("7328293200007", "14 chiffres"), ("732829320000745", "14 chiffres"), ("7328293200007A", "14 chiffres"),
    ("73282932000075", "clé de contrôle"), ("", "obligatoire"),
])
def test_siret_checks_in_france(ctx, siret, message):
    admin = company(ctx)
    with pytest.raises(ValidationFailed) as refused:
        wizard.save_structure(ctx, admin, {**STRUCTURE, "siret": siret}, complete=True)
    assert message in refused.value.fields["siret"]


def test_siret_optional_abroad_and_postal_codes_checked_in_france(ctx):
    admin = company(ctx)
    abroad = wizard.save_structure(ctx, admin, {**STRUCTURE, "country": "DE", "postal_code": "10115",
                                                 "commune": "Berlin", "siret": ""}, complete=True)
    assert abroad["structure"]["siret"] is None and abroad["wizard_step"] == 2
    with pytest.raises(ValidationFailed) as unknown:
        wizard.save_structure(ctx, admin, {**STRUCTURE, "postal_code": "00000"}, complete=True)
    assert unknown.value.fields == {"postal_code": "Ce code postal n'existe pas."}
    with pytest.raises(ValidationFailed) as mismatch:
        wizard.save_structure(ctx, admin, {**STRUCTURE, "commune": "Lyon"}, complete=True)
    assert "ne correspond pas" in mismatch.value.fields["commune"]


def test_company_name_and_siren_are_not_editable_in_the_wizard(ctx):
    admin = company(ctx)
    with pytest.raises(ValidationFailed) as refused:
        wizard.save_structure(ctx, admin, {**STRUCTURE, "company_name": "Autre"}, complete=False)
    assert refused.value.fields == {"company_name": "Ce champ n'est pas modifiable."}


def test_finalise_needs_every_step(ctx):
    admin = company(ctx)
    with pytest.raises(Conflict):
        wizard.finalise(ctx, admin)


# --- AC-5 users and roles ----------------------------------------------------------------------

def test_at_most_two_administrators(ctx, events):
    admin = finalised_company(ctx)
    invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com")
    with pytest.raises(Conflict) as refused:
        invite(ctx, admin, "ADMINISTRATEUR", "troisieme@acme.example.com")
    assert refused.value.message == "Un compte client ne peut pas avoir plus de 2 administrateurs."
    assert ctx.identity.invited[0][2] == "ACME SAS"
    assert len(events("accounts.person_invited")) == 1


def test_a_second_administrator_still_invited_counts_towards_the_two(ctx):
    """AC-5: the limit counts invitations not yet accepted, or a third could be invited meanwhile."""
    admin = finalised_company(ctx)
    invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com", activate_now=False)
    with pytest.raises(Conflict) as refused:
        invite(ctx, admin, "ADMINISTRATEUR", "troisieme@acme.example.com")
    assert refused.value.code == "too_many_administrators"
    assert [f[0]["email"] for f in ctx.identity.invited] == ["second@acme.example.com"]
    invite(ctx, admin, "UTILISATEUR", "user@acme.example.com", activate_now=False)  # other profiles: no limit


def test_an_invited_administrator_does_not_replace_the_only_active_one(ctx):
    """AC-5/AC-6: while the second administrator has not accepted the invitation, the first is
    still the only one who can act, so they cannot delete themself."""
    admin = finalised_company(ctx)
    second = invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com", activate_now=False)
    with pytest.raises(Conflict) as refused:
        members.delete_member(ctx, admin, "admin-1")
    assert refused.value.code == "only_administrator"
    assert ctx.identity.deleted == []
    activate(ctx, second["id"], "ADMINISTRATEUR")
    members.delete_member(ctx, admin, "admin-1")
    assert ctx.identity.deleted == [("admin-1", "admin-1")]


def test_a_deletion_request_goes_to_the_active_administrators_only(ctx, events):
    admin = finalised_company(ctx)
    invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com", activate_now=False)
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    members.request_deletion(ctx, user)
    [requested] = events("accounts.deletion_requested")
    assert requested["payload"]["administrator_person_ids"] == ["admin-1"]


def test_second_administrator_has_the_rights_of_the_first(ctx):
    admin = finalised_company(ctx)
    second = invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com")
    user = invite(ctx, second, "UTILISATEUR", "user@acme.example.com")
    assert {m["email"] for m in members.list_members(ctx, second)} >= {"user@acme.example.com", "second@acme.example.com"}
    members.update_member(ctx, second, user["id"], {"landline": "01 23 45 67 89"})
    assert members.fiche(ctx, second)["siret"] == "73282932000074"


@pytest.mark.parametrize("role", ["UTILISATEUR", "CONSULTATION"])
def test_non_administrators_cannot_manage_users_nor_the_fiche(ctx, role):
    admin = finalised_company(ctx)
    person = invite(ctx, admin, role, f"{role.lower()}@acme.example.com")
    for call in (lambda: members.list_members(ctx, person),
                 lambda: members.invite_member(ctx, person, {"last_name": "A", "first_name": "B", "email": "c@acme.example.com", "profile": "UTILISATEUR"}),
                 lambda: members.fiche(ctx, person),
                 lambda: members.update_fiche(ctx, person, {"service": "x"}),
                 lambda: members.delete_member(ctx, person, "admin-1"),
                 lambda: wizard.state(ctx, person)):
        with pytest.raises(Forbidden):
            call()
    assert members.my_profile(ctx, person)["profile"] == role


@pytest.mark.parametrize("person", [None, {}, {"id": "nobody"}, {"id": "agent", "is_staff": True}])
def test_anonymous_strangers_and_gestionnaires_have_no_account(ctx, person):
    finalised_company(ctx)
    with pytest.raises(Forbidden):
        members.my_profile(ctx, person)
    with pytest.raises(Forbidden):
        members.list_members(ctx, person)


def test_another_accounts_people_are_unknown(ctx):
    admin = finalised_company(ctx)
    other_admin = finalised_company(ctx, person_id="admin-2")
    stranger = invite(ctx, other_admin, "UTILISATEUR", "autre@acme.example.com")
    for call in (lambda: members.update_member(ctx, admin, stranger["id"], {"last_name": "Pirate"}),
                 lambda: members.delete_member(ctx, admin, stranger["id"]),
                 lambda: members.set_submit_right(ctx, admin, stranger["id"], False),
                 lambda: members.renew_access(ctx, admin, stranger["id"])):
        with pytest.raises(NotFound):
            call()
    assert ctx.session.get(AccountMember, stranger["id"]).last_name == "Martin"


@pytest.mark.parametrize("field", ["email", "profile", "account_id", "valid_until", "can_submit"])
def test_mass_assignment_is_refused(ctx, field):
    admin = finalised_company(ctx)
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    with pytest.raises(ValidationFailed) as refused:
        members.update_member(ctx, admin, user["id"], {"last_name": "Durand", field: "x"})
    assert refused.value.fields == {field: "Ce champ n'est pas modifiable."}
    assert ctx.session.get(AccountMember, user["id"]).last_name == "Martin"
    with pytest.raises(ValidationFailed):
        members.update_my_profile(ctx, user, {field: "x"})
    with pytest.raises(ValidationFailed):
        members.update_fiche(ctx, admin, {field: "x"})


def test_profile_changes_only_allowed_fields(ctx, events):
    admin = finalised_company(ctx)
    profile = members.update_my_profile(ctx, admin, {"function": "Gérante", "landline": "01 23 45 67 89"})
    assert profile["function"] == "Gérante" and profile["landline"] == "+33123456789"
    with pytest.raises(ValidationFailed) as refused:
        members.update_my_profile(ctx, admin, {"mobile": "0700000000"})
    assert refused.value.fields == {"mobile": "Ce champ n'est pas modifiable."}
    assert events("accounts.person_updated")[-1]["payload"]["function"] == "Gérante"


def test_only_administrator_cannot_delete_themself(ctx):
    admin = finalised_company(ctx)
    with pytest.raises(Conflict) as refused:
        members.delete_member(ctx, admin, "admin-1")
    assert "unique Administrateur" in refused.value.message
    invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com")
    members.delete_member(ctx, admin, "admin-1")
    assert ctx.identity.deleted == [("admin-1", "admin-1")]


def test_deletion_request_accepted_or_refused(ctx, events):
    admin = finalised_company(ctx)
    second = invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com")
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    members.request_deletion(ctx, user)
    [requested] = events("accounts.deletion_requested")
    assert sorted(requested["payload"]["administrator_person_ids"]) == sorted(["admin-1", second["id"]])
    members.decide_deletion(ctx, second, user["id"], False)
    assert events("accounts.deletion_refused")
    with pytest.raises(Conflict):
        members.decide_deletion(ctx, admin, user["id"], True)  # no pending request any more
    members.request_deletion(ctx, user)
    members.decide_deletion(ctx, admin, user["id"], True)
    assert ctx.identity.deleted[-1][0] == user["id"]
    with pytest.raises(Forbidden):
        members.my_profile(ctx, user)
    with pytest.raises(Forbidden):
        members.request_deletion(ctx, admin)


def test_submit_right_of_an_utilisateur(ctx, events):
    admin = finalised_company(ctx)
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    consult = invite(ctx, admin, "CONSULTATION", "lecture@acme.example.com")
    assert members.set_submit_right(ctx, admin, user["id"], False)["can_submit"] is False
    assert events("accounts.submit_right_changed")[-1]["payload"]["can_submit"] is False
    with pytest.raises(Conflict):
        members.set_submit_right(ctx, admin, consult["id"], False)


def test_renewal_is_asked_of_identity_for_a_member_and_the_new_end_date_is_kept(ctx):
    """ID-7 through accounts: only an administrator renews, only a member of their own account,
    and the end date identity answers (not one accounts computes) is what the member list shows."""
    admin = finalised_company(ctx)
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    other_admin = finalised_company(ctx, person_id="admin-9")
    asked = []
    ctx.identity.renew_access = lambda person_id, renewed_by: asked.append((person_id, renewed_by)) or {
        "id": person_id, "valid_until": "2029-03-04T23:30:00+00:00"}

    with pytest.raises(Forbidden):
        members.renew_access(ctx, user, "admin-1")  # not an administrator
    with pytest.raises(NotFound):
        members.renew_access(ctx, other_admin, user["id"])  # not a member of their account
    assert asked == []

    assert members.renew_access(ctx, admin, user["id"])["valid_until"] == "2029-03-04"
    assert asked == [(user["id"], "admin-1")]
    listed = {m["email"]: m["valid_until"] for m in members.list_members(ctx, admin)}
    assert listed["user@acme.example.com"] == "2029-03-04"


# --- AC-2, AC-8, activation --------------------------------------------------------------------

def test_welcome_page_once_after_finalisation(ctx):
    admin = company(ctx)
    assert members.welcome(ctx, admin)["show"] is False  # draft
    admin = finalised_company(ctx, person_id="admin-3")
    assert members.welcome(ctx, admin)["show"] is True
    members.welcome_seen(ctx, admin)
    assert members.welcome(ctx, admin)["show"] is False


def test_invited_person_becomes_active_with_the_identity_event(ctx, events):
    admin = finalised_company(ctx)
    pending = invite(ctx, admin, "CONSULTATION", "lecture@acme.example.com", activate_now=False)
    assert ctx.session.get(AccountMember, pending["id"]).status == "invited"
    activate(ctx, pending["id"], "CONSULTATION")
    assert ctx.session.get(AccountMember, pending["id"]).status == "active"
    assert events("accounts.person_activated")[0]["payload"]["person_id"] == pending["id"]
    assert members.welcome(ctx, pending)["show"] is True


def test_particulier_account_from_activation(ctx):
    opening.on_account_activated(ctx.session, new_envelope("account_activated", {
        "person_id": "p-1", "profile": "PARTICULIER", "email": "elodie@example.com", "first_name": "Élodie",
        "last_name": "Dupont", "mobile": "+33612345678", "activated_at": "2026-01-15T09:00:00+00:00"},
        source="identity"), ctx.clock, ctx.outbox)
    person = {"id": "p-1", "profile": "PARTICULIER"}
    profile = members.my_profile(ctx, person)
    assert profile["account_kind"] == "PARTICULIER" and profile["first_name"] == "Élodie"
    assert members.welcome(ctx, person)["show"] is True
    with pytest.raises(Forbidden):
        wizard.state(ctx, person)
    with pytest.raises(Forbidden):
        members.invite_member(ctx, person, {"last_name": "A", "first_name": "B", "email": "c@example.com", "profile": "UTILISATEUR"})


# --- AC-9 documents ---------------------------------------------------------------------------

def test_document_access_rule(ctx):
    admin = finalised_company(ctx)
    account_id = ctx.session.get(AccountMember, "admin-1").account_id
    consult = invite(ctx, admin, "CONSULTATION", "lecture@acme.example.com")
    assert members.authorize_document(ctx, account_id, admin, "write") is True
    assert members.authorize_document(ctx, account_id, admin, "read") is True
    with pytest.raises(Forbidden):
        members.authorize_document(ctx, account_id, consult, "write")
    other = finalised_company(ctx, person_id="admin-2")
    with pytest.raises(NotFound):
        members.authorize_document(ctx, account_id, other, "read")
    assert members.authorize_document(ctx, account_id, {"id": "agent", "is_staff": True}, "review") is True
    assert ctx.session.get(ClientAccount, account_id).status == "active"


def test_the_document_grant_is_signed_for_what_the_rule_allows(ctx):
    """document_grant: the rule decides; the grant names the account, person, action and document."""
    from consignations_shared import grants

    admin = finalised_company(ctx)
    account_id = ctx.session.get(AccountMember, "admin-1").account_id
    consult = invite(ctx, admin, "CONSULTATION", "lecture@acme.example.com")
    key = b"accounts-unit-key"
    token = members.document_grant(ctx, key, admin, account_id, "write", "doc-1")["grant"]
    grants.verify(key, token, owner_service="accounts", owner_id=account_id, person_id=admin["id"], action="write",
                  document_id="doc-1", now=ctx.clock.now())
    with pytest.raises(Forbidden) as refused:
        members.document_grant(ctx, key, consult, account_id, "write")
    assert refused.value.message == "Les documents du compte client sont réservés à ses administrateurs."
    other = finalised_company(ctx, person_id="admin-2")
    with pytest.raises(NotFound):
        members.document_grant(ctx, key, other, account_id, "read")


def test_colleagues_are_the_people_of_the_same_account_only(ctx):
    admin = finalised_company(ctx)
    user = invite(ctx, admin, "UTILISATEUR", "user@acme.example.com")
    other_admin = finalised_company(ctx, person_id="admin-2")
    invite(ctx, other_admin, "UTILISATEUR", "autre@acme.example.com")
    seen = members.my_profile_and_colleagues(ctx, user)
    assert seen["me"] == members.my_profile(ctx, user)
    assert {p["person_id"] for p in seen["people"]} == {"admin-1", user["id"]}
    assert all("email" not in p and "mobile" not in p for p in seen["people"])
    names = {p["person_id"]: p["display_name"] for p in seen["people"]}
    assert names[user["id"]] == " ".join(
        (members.my_profile(ctx, user)["first_name"], members.my_profile(ctx, user)["last_name"]))
    with pytest.raises(Forbidden):
        members.my_profile_and_colleagues(ctx, {"id": "agent", "is_staff": True})


@pytest.mark.parametrize("profile", ["UTILISATEUR", "CONSULTATION"])
def test_only_administrators_see_the_accounts_identity_document_and_kbis(ctx, profile):
    """Issue 18, finding 9: the portal's rule (« Mes documents » for administrators only) in the
    service: the account's other members neither list, read, add nor replace its documents."""
    admin = finalised_company(ctx)
    account_id = ctx.session.get(AccountMember, "admin-1").account_id
    member = invite(ctx, admin, profile, f"{profile.lower()}@acme.example.com")
    for action in ("read", "write", "review"):
        with pytest.raises(Forbidden) as refused:
            members.authorize_document(ctx, account_id, member, action)
        assert refused.value.message == members.ACCOUNT_DOCUMENTS_ADMIN_ONLY or action == "review"


def _admin_inviting(ctx, count, admin, start=0):
    return [members.invite_member(ctx, admin, {"last_name": "Martin", "first_name": "Paul",
                                               "email": f"p{start + n}@acme.example.com", "profile": "CONSULTATION"})
            for n in range(count)]


def test_invitations_are_limited_per_administrator_and_per_account(ctx, clock):
    """Issue 18, finding 2: counted in the accounts database; 429 with Retry-After beyond."""
    from datetime import timedelta

    from accounts_service.throttling import InvitationLimits
    from consignations_shared.errors import TooManyRequests
    from consignations_shared.rate_limits import RateLimit

    ctx.limits = InvitationLimits(per_administrator=RateLimit("invitations_per_administrator", 3, timedelta(hours=1), "Admin."),
                                  per_account=RateLimit("invitations_per_account", 4, timedelta(hours=24), "Compte."))
    admin = finalised_company(ctx)
    second = invite(ctx, admin, "ADMINISTRATEUR", "second@acme.example.com")
    _admin_inviting(ctx, 2, admin)  # 3 by this administrator with the second one
    with pytest.raises(TooManyRequests) as per_admin:
        _admin_inviting(ctx, 1, admin, start=10)
    assert per_admin.value.message == "Admin." and 0 < per_admin.value.retry_after <= 3600
    with pytest.raises(TooManyRequests) as per_account:  # the other administrator: the account's 4th is the last
        _admin_inviting(ctx, 2, second, start=20)
    assert per_account.value.message == "Compte."
    assert len(ctx.identity.invited) == 4
    clock.advance(hours=1)
    with pytest.raises(TooManyRequests):  # the administrator could again, the account cannot
        _admin_inviting(ctx, 1, admin, start=30)
    clock.advance(hours=23)
    _admin_inviting(ctx, 1, admin, start=40)


def test_the_default_invitation_limits(ctx):
    from accounts_service.throttling import DEFAULT_LIMITS

    assert DEFAULT_LIMITS.per_administrator.limit == 20 and DEFAULT_LIMITS.per_administrator.window.total_seconds() == 3600
    assert DEFAULT_LIMITS.per_account.limit == 50 and DEFAULT_LIMITS.per_account.window.total_seconds() == 86400


def test_step_2_announces_the_administrators_names(ctx, events):
    """Issue 18: identity (the session's person) and the notifier learn the names of step 2."""
    admin = company(ctx)
    wizard.save_structure(ctx, admin, STRUCTURE, complete=True)
    ctx.documents.attach(ctx.session.get(AccountMember, "admin-1").account_id, "IDENTITY")
    wizard.save_administrator(ctx, admin, ADMIN_INFO, complete=True)
    [updated] = events("accounts.person_updated")
    assert updated["payload"]["person_id"] == "admin-1"
    assert (updated["payload"]["first_name"], updated["payload"]["last_name"]) == ("Claire", "Dupont")


def test_a_company_creator_whose_account_is_not_open_yet_is_told_to_wait(ctx):
    with pytest.raises(Conflict) as pending:
        members.my_profile(ctx, {"id": "new-admin", "profile": "ADMINISTRATEUR", "is_staff": False})
    assert pending.value.code == "account_pending"
