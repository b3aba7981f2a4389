"""Document grants (consignations_shared.grants): the owner signs, the documents service verifies."""
from datetime import timedelta

import pytest

from consignations_shared import grants
from consignations_shared.clock import FrozenClock
from consignations_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

KEY = b"k" * 32
CALL = {"owner_service": "demandes", "owner_id": "dem-1", "person_id": "alice", "action": "read"}


@pytest.fixture
def clock():
    return FrozenClock()


def _grant(clock, **changes):
    return grants.issue(KEY, now=clock.now(), **{**CALL, **changes})


def test_a_grant_covers_exactly_its_call_until_it_expires(clock):
    token = _grant(clock, document_id="doc-1")
    grant = grants.verify(KEY, token, now=clock.now(), document_id="doc-1", **CALL)
    assert (grant.owner_id, grant.person_id, grant.action, grant.document_id) == ("dem-1", "alice", "read", "doc-1")
    clock.advance(seconds=grants.GRANT_TTL_SECONDS - 1)
    grants.verify(KEY, token, now=clock.now(), document_id="doc-1", **CALL)
    clock.advance(seconds=1)
    with pytest.raises(grants.InvalidGrant, match="expired"):
        grants.verify(KEY, token, now=clock.now(), document_id="doc-1", **CALL)


@pytest.mark.parametrize("change", [
    {"owner_service": "accounts"}, {"owner_id": "dem-2"}, {"person_id": "bob"}, {"action": "write"},
    {"document_id": "doc-2"}, {"document_id": None},
])
def test_a_grant_for_another_owner_person_action_or_document_is_refused(clock, change):
    token = _grant(clock, document_id="doc-1")
    call = {**CALL, "document_id": "doc-1", **change}
    with pytest.raises(grants.InvalidGrant, match="another"):
        grants.verify(KEY, token, now=clock.now(), **call)


def test_an_owner_level_grant_does_not_cover_one_document(clock):
    with pytest.raises(grants.InvalidGrant):
        grants.verify(KEY, _grant(clock), now=clock.now(), document_id="doc-1", **CALL)


def test_a_tampered_or_foreign_grant_is_refused(clock):
    token = _grant(clock)
    body, signature = token.split(".")
    forged_claims = grants._b64(grants._unb64(body).replace(b'"alice"', b'"bobby"'))
    for bad in (f"{forged_claims}.{signature}", f"{body}.{signature[:-2]}AA", f"{body}.",
                grants.issue(b"other-key", now=clock.now(), **CALL), "", None, 42, "a.b.c", "x" * 5000):
        with pytest.raises(grants.InvalidGrant):
            grants.verify(KEY, bad, now=clock.now(), **CALL)
    with pytest.raises(grants.InvalidGrant):
        grants.verify(b"", token, now=clock.now(), **CALL)


def test_the_expiry_is_signed_too(clock):
    token = _grant(clock)
    body, signature = token.split(".")
    later = grants._unb64(body).replace(str(int(clock.now().timestamp()) + 60).encode(),
                                        str(int((clock.now() + timedelta(days=1)).timestamp())).encode())
    with pytest.raises(grants.InvalidGrant, match="signature"):
        grants.verify(KEY, f"{grants._b64(later)}.{signature}", now=clock.now(), **CALL)


def test_grant_for_runs_the_owner_rule_first(clock):
    person = {"id": "alice"}
    answer = grants.grant_for(KEY, clock.now(), owner_service="demandes", owner_id="dem-1", person=person,
                              action="read", document_id=None, rule=lambda: True)
    grants.verify(KEY, answer["grant"], now=clock.now(), **CALL)

    def refuse(error):
        def rule():
            raise error
        return rule

    for error, expected in ((NotFound("Ce document est introuvable."), NotFound),
                            (Forbidden("Votre profil ne permet pas cette action."), Forbidden),
                            (Conflict("Autre chose"), Forbidden)):
        with pytest.raises(expected) as refused:
            grants.grant_for(KEY, clock.now(), owner_service="demandes", owner_id="dem-1", person=person,
                             action="read", document_id=None, rule=refuse(error))
        if expected is not Forbidden or not isinstance(error, Conflict):
            assert refused.value.message == error.message
    for action, rule in (("read", lambda: False), ("delete", lambda: True)):
        with pytest.raises(Forbidden):
            grants.grant_for(KEY, clock.now(), owner_service="demandes", owner_id="dem-1", person=person,
                             action=action, document_id=None, rule=rule)


def test_check_owner_answers_the_documents_service_messages():
    assert grants.check_owner("accounts", "acct-1") == ("accounts", "acct-1")
    with pytest.raises(ValidationFailed) as refused:
        grants.check_owner("identity", "x")
    assert refused.value.fields == {"owner_service": grants.UNKNOWN_OWNER}
    with pytest.raises(ValidationFailed) as refused:
        grants.check_owner("demandes", None)
    assert refused.value.fields == {"owner_id": grants.MISSING_OWNER_ID}


class Settings(dict):
    def __init__(self, var_dir, **values):
        super().__init__(values)
        self.var_dir = var_dir


def test_the_key_is_the_setting_or_one_generated_file(tmp_path):
    assert grants.grant_key(Settings(tmp_path, DOCUMENTS_GRANT_KEY=" s3cret ")) == b"s3cret"
    first = grants.grant_key(Settings(tmp_path))
    assert first and first == grants.grant_key(Settings(tmp_path))
    assert (tmp_path / grants.KEY_FILE).stat().st_mode & 0o777 == 0o600
