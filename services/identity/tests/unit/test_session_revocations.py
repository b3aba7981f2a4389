"""Every revocation of a session publishes identity.sessions_revoked in the same transaction
(issue 15): the gateways drop the revoked sessions from their caches of resolved sessions."""
import uuid

import pytest

from consignations_shared.contracts.payloads.identity import SessionsRevoked
from consignations_shared.errors import Unauthenticated
from identity_service import access, login, password_flows, sessions
from identity_service.models import Person

PASSWORD, NEW_PASSWORD = "Consign-2026!", "Nouveau-Mdp-42"
REVOKED = "identity.sessions_revoked"


def activated_person(ctx, sent, email="elodie.dupont@example.com"):
    now = ctx.clock.now()
    person = Person(id=str(uuid.uuid4()), email=email, password_hash=ctx.hasher.hash(PASSWORD),
                    profile="PARTICULIER", status="active", created_at=now, activated_at=now,
                    valid_until=now + access.ACCESS_VALIDITY, first_name="Élodie", last_name="Dupont")
    ctx.session.add(person)
    ctx.session.commit()
    return person


def revocations(sent):
    return [SessionsRevoked.read(body["payload"]) for body in sent(REVOKED)]


def two_sessions(ctx, sent):
    person = activated_person(ctx, sent)
    return person, login.login(ctx, person.email, PASSWORD), login.login(ctx, person.email, PASSWORD)


def test_logout_announces_the_one_session_once(ctx, sent):
    person, first, second = two_sessions(ctx, sent)
    sessions.close(ctx, first["session_token"])
    sessions.close(ctx, first["session_token"])  # already closed: nothing more
    assert revocations(sent) == [SessionsRevoked(person_id=person.id, session_ids=[first["session_id"]], reason="logout")]
    assert sessions.resolve(ctx, second["session_token"])


def test_password_change_announces_the_other_sessions_only(ctx, sent):
    person, current, other = two_sessions(ctx, sent)
    third = login.login(ctx, person.email, PASSWORD)
    password_flows.request_change_code(ctx, person.id, NEW_PASSWORD)
    code = sent("notifier.send_password_change_code")[-1]["payload"]["code"]
    password_flows.change_password(ctx, person.id, current["session_id"], NEW_PASSWORD, code)
    [revoked] = revocations(sent)
    assert revoked.reason == "password_change" and revoked.person_id == person.id
    assert revoked.session_ids == sorted([other["session_id"], third["session_id"]])


def test_password_reset_announces_every_session(ctx, sent):
    person, first, second = two_sessions(ctx, sent)
    password_flows.request_reset(ctx, person.email)
    command = sent("notifier.send_password_reset")[-1]["payload"]
    password_flows.reset_password(ctx, command["link_token"], person.email, NEW_PASSWORD, command["code"])
    [revoked] = revocations(sent)
    assert (revoked.reason, revoked.session_ids) == ("password_reset", sorted([first["session_id"], second["session_id"]]))


def test_idle_timeout_found_by_resolve_is_announced(ctx, sent, clock):
    person, first, _ = two_sessions(ctx, sent)
    clock.advance(minutes=31)
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, first["session_token"])
    assert revocations(sent) == [SessionsRevoked(person_id=person.id, session_ids=[first["session_id"]], reason="timeout")]


def test_inactive_person_found_by_resolve_is_announced(ctx, sent):
    person, first, _ = two_sessions(ctx, sent)
    person.status = "deleted"  # changed without revoking (e.g. by hand): resolve still ends the session
    ctx.session.commit()
    with pytest.raises(Unauthenticated):
        sessions.resolve(ctx, first["session_token"])
    assert revocations(sent)[-1].reason == "person_inactive"


def test_deleted_access_announces_its_sessions_and_a_person_without_any_announces_nothing(ctx, sent):
    person, first, second = two_sessions(ctx, sent)
    access.delete_access(ctx, person.id, deleted_by="admin-1")
    [revoked] = revocations(sent)
    assert (revoked.reason, revoked.session_ids) == ("access_deleted", sorted([first["session_id"], second["session_id"]]))
    loner = activated_person(ctx, sent, email="sans.session@example.com")
    access.delete_access(ctx, loner.id, deleted_by="admin-1")
    assert len(revocations(sent)) == 1


def test_expired_access_announces_its_sessions(ctx, sent, clock):
    person, first, second = two_sessions(ctx, sent)
    clock.advance(days=549)
    assert access.sweep_expired(ctx) == 1
    [revoked] = revocations(sent)
    assert (revoked.reason, revoked.session_ids) == ("access_expired", sorted([first["session_id"], second["session_id"]]))
