"""IDOR through the gateway and straight over RPC (issue 10): every service that holds a client's
resources is called with the acting person's real identity (what the gateway resolves from the
session and sends) and another company's identifiers. The services decide who acts from that
identity and their own records — the account and the profile come from the accounts service
(directly, or as the membership identity resolved from its events), never from ids or fields sent
by the client — so each call is refused as if the resource did not exist (404), or for want of
the right (403), and nothing changes."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

import consignations_shared.rpc  # noqa: F401  (domain errors cross RPC as themselves)
from consignations_shared.errors import DomainError

ATTACKERS = ("administrateur", "utilisateur", "particulier")


@pytest.fixture(scope="module")
def rpc(system):
    with ClusterRpcProxy({"AMQP_URI": system.env["AMQP_URI"], "SERIALIZER": "json"}, timeout=20) as proxy:
        yield proxy


def _calls(t: dict, me: dict):
    """(service, method, args) aiming at the victim's resources, as `me`."""
    return [
        ("accounts", "update_member", (me, t["person_id"], {"last_name": "Pirate"})),
        ("accounts", "delete_member", (me, t["person_id"])),
        ("accounts", "renew_member_access", (me, t["person_id"])),
        ("accounts", "set_submit_right", (me, t["person_id"], False)),
        ("accounts", "decide_deletion", (me, t["person_id"], True)),
        ("accounts", "document_grant", (me, t["account_id"], "read", None)),
        ("accounts", "document_grant", (me, t["account_id"], "write", None)),
        ("demandes", "detail", (me, t["demande_id"])),
        ("demandes", "detail", (me, t["submitted_id"])),
        ("demandes", "save_step", (me, t["demande_id"], {"transfer_label": "Pirate"}, False)),
        ("demandes", "go_to_step", (me, t["demande_id"], 1)),
        ("demandes", "confirm_documents", (me, t["demande_id"])),
        ("demandes", "submit", (me, t["demande_id"], None)),
        ("demandes", "duplicate", (me, t["submitted_id"])),
        ("demandes", "delete", (me, t["demande_id"])),
        ("demandes", "reassign_candidates", (me, t["demande_id"])),
        ("demandes", "reassign", (me, t["demande_id"], me["id"])),
        ("demandes", "complete", (me, t["submitted_id"])),
        ("demandes", "summary_document", (me, t["submitted_id"])),
        ("demandes", "proof_document", (me, t["submitted_id"])),
        ("demandes", "thread", (me, t["submitted_id"])),
        ("demandes", "reply", (me, t["submitted_id"], "Bonjour", None, None)),
        ("demandes", "mark_unread", (me, t["message_id"])),
        ("demandes", "document_grant", (me, t["submitted_id"], "read", None)),
        ("demandes", "document_grant", (me, t["demande_id"], "write", t["document_id"])),
        ("demandes", "staff_detail", (me, t["submitted_id"])),
        ("demandes", "staff_export_page", (me, {}, None, 500)),  # every account's requests
        ("demandes", "staff_reject", (me, t["submitted_id"], "Pirate")),
        # Without the owner's grant (the owner refuses it above), the documents service refuses.
        ("documents", "get_document", (t["document_id"], me)),
        ("documents", "get_document", (t["submitted_document_id"], me)),
        ("documents", "list_documents", ("demandes", t["demande_id"], me, True)),
        ("documents", "list_documents", ("accounts", t["account_id"], me, False)),
        ("documents", "attach_document", (t["document_id"], me)),
        ("documents", "delete_document", (t["document_id"], me)),
        ("documents", "review_document", (t["submitted_document_id"], me, "conforme", None)),
        # ... and a grant the victim obtained for their own call covers nothing for another person.
        ("documents", "get_document", (t["document_id"], me, t["victim_grant"])),
        ("documents", "list_documents", ("demandes", t["demande_id"], me, False, t["victim_list_grant"])),
    ]


@pytest.fixture(scope="module")
def targets(world, rpc):
    """The victim's resources, and grants the victim's owners signed for the victim's own calls."""
    victim = world.victim.get("/api/session").json()["person"]
    t = world.targets
    return {**t,
            "victim_grant": rpc.demandes.document_grant(victim, t["demande_id"], "read", t["document_id"])["grant"],
            "victim_list_grant": rpc.demandes.document_grant(victim, t["demande_id"], "read", None)["grant"]}


def _ids(calls):
    return [f"{service}.{method}" for service, method, _ in calls]


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_every_service_refuses_another_companys_resources_over_rpc(world, rpc, targets, attacker):
    me = world.person(attacker)
    accepted = []
    for service, method, args in _calls(targets, me):
        try:
            answer = getattr(getattr(rpc, service), method)(*args)
        except DomainError as refused:
            blind = attacker == "particulier" and method == "reassign"  # nobody to reassign to, whatever the request
            assert refused.status in ((403, 404, 409) if blind else (403, 404)), (
                service, method, refused.status, refused.message)
        else:
            accepted.append((service, method, str(answer)[:200]))
    assert not accepted, accepted
    victim = world.victim
    assert victim.get(f"/api/demandes/{world.targets['demande_id']}").json()["values"]["transfer_label"] != "Pirate"
    assert victim.get(f"/api/documents/{world.targets['document_id']}").status_code == 200
    assert victim.get(f"/api/demandes/{world.targets['submitted_id']}").json()["state"] == "SUBMITTED"


def test_a_forged_profile_or_account_in_the_identity_changes_nothing(world, rpc):
    """The profile and account the client could claim are ignored: the accounts service reads
    the membership of the person id, demandes the membership identity resolved for the session
    (an Utilisateur stays an Utilisateur)."""
    me = {**world.person("utilisateur"), "profile": "ADMINISTRATEUR", "account_id": world.targets["account_id"]}
    for method, args in (("list_members", (me,)), ("fiche", (me,)),
                         ("update_member", (me, world.targets["person_id"], {"last_name": "Pirate"}))):
        with pytest.raises(DomainError) as refused:
            getattr(rpc.accounts, method)(*args)
        assert refused.value.status in (403, 404), (method, refused.value.message)
    with pytest.raises(DomainError) as refused:
        rpc.demandes.detail(me, world.targets["demande_id"])
    assert refused.value.status == 404


def test_a_person_id_that_is_not_a_member_is_refused_everywhere(world, rpc, targets):
    stranger = {"id": "00000000-0000-4000-8000-000000000000", "email": "x@example.com", "profile": "ADMINISTRATEUR",
                "is_staff": False}
    for service, method, args in _calls(targets, stranger):
        if method.startswith("staff_"):
            continue
        with pytest.raises(DomainError) as refused:
            getattr(getattr(rpc, service), method)(*args)
        # 409 account_pending: a company creator's account is being opened (identity says they are
        # its ADMINISTRATEUR): a refusal that says nothing of anyone else's data.
        assert refused.value.status in (403, 404) or refused.value.code == "account_pending", (
            service, method, refused.value.message)


def test_identity_binds_codes_to_their_person(world, rpc):
    """Changing another person's password with one's own session and a made-up code: the code is
    checked for the person named, so it is refused (and their password still works)."""
    me = world.people["administrateur"]
    session_id = None  # the RPC takes the session to keep; none of the victim's is known
    with pytest.raises(DomainError) as refused:
        rpc.identity.change_password(world.targets["person_id"], session_id, "Pirate-2026!x", "ABC123")
    # refused for the code (none issued for the victim, or not this one), not for some other reason
    assert refused.value.status in (410, 422) and set(refused.value.fields) == {"code"}, (
        refused.value.status, refused.value.message, refused.value.fields)
    assert refused.value.fields["code"].startswith(("Aucun code confidentiel", "Le code confidentiel est incorrect"))
    assert me.get("/api/session").status_code == 200
    from e2e_helpers import Browser

    Browser(world.system, world.victim.email, world.victim.password)  # the victim's password still works


@pytest.mark.parametrize("role", ["administrateur", "utilisateur", "consultation", "particulier"])
def test_idor_through_the_gateway_on_the_transmitted_request(world, role):
    """The transmitted request, its RIB and its thread of another company, through the gateway
    (the matrix aims at the draft; this aims at what the back office has seen)."""
    browser, t = world.people[role], world.targets
    for method, path in (("get", f"/api/demandes/{t['submitted_id']}"),
                         ("get", f"/api/demandes/{t['submitted_id']}/messages"),
                         ("get", f"/api/demandes/{t['submitted_id']}/summary"),
                         ("get", f"/api/demandes/{t['submitted_id']}/summary.pdf"),
                         ("get", f"/api/documents/{t['submitted_document_id']}"),
                         ("get", f"/api/documents/{t['submitted_document_id']}/content"),
                         ("get", f"/api/documents?owner_service=demandes&owner_id={t['submitted_id']}"),
                         ("get", f"/api/documents?owner_service=accounts&owner_id={t['account_id']}"),
                         ("post", f"/api/demandes/{t['submitted_id']}/duplicate"),
                         ("post", f"/api/messages/{t['message_id']}/unread")):
        reply = getattr(browser, method)(path, allow_redirects=False)
        expected = {403, 404} if role == "consultation" and method == "post" and "duplicate" in path else {404}
        assert reply.status_code in expected, (role, method, path, reply.status_code, reply.text[:200])
