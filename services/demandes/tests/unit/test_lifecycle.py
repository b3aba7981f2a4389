from datetime import datetime, timezone

import pytest

from consignations_shared.errors import Conflict
from demandes_service.domain import lifecycle as lc

ALLOWED = [
    ("DRAFT", "SUBMITTED", "C"), ("DRAFT", "SUBMITTED", "D"),
    ("SUBMITTED", "AWAITING_COMPLEMENT", "C"), ("SUBMITTED", "AWAITING_COMPLEMENT", "D"),
    ("SUBMITTED", "AWAITING_FUNDS", "C"),
    ("SUBMITTED", "VALIDATED", "C"), ("SUBMITTED", "VALIDATED", "D"),
    ("SUBMITTED", "REJECTED", "C"), ("SUBMITTED", "REJECTED", "D"),
    ("AWAITING_COMPLEMENT", "SUBMITTED", "C"), ("AWAITING_COMPLEMENT", "SUBMITTED", "D"),
    ("AWAITING_COMPLEMENT", "REJECTED", "C"), ("AWAITING_COMPLEMENT", "REJECTED", "D"),
    ("AWAITING_FUNDS", "SUBMITTED", "C"), ("AWAITING_FUNDS", "REJECTED", "C"),
]


@pytest.mark.parametrize("state, target, sens", ALLOWED)
def test_allowed_transitions(state, target, sens):
    assert lc.transition(state, target, sens) == target


def test_exactly_these_transitions_are_allowed():
    allowed = {(s, t, d) for s in lc.STATES for t in lc.STATES for d in "CD"
               if _ok(s, t, d)}
    assert allowed == set(ALLOWED)


def _ok(state, target, sens):
    try:
        lc.transition(state, target, sens)
        return True
    except Conflict:
        return False


@pytest.mark.parametrize("state, target", [
    ("DRAFT", "VALIDATED"), ("DRAFT", "REJECTED"), ("VALIDATED", "REJECTED"), ("REJECTED", "SUBMITTED"),
    ("AWAITING_COMPLEMENT", "VALIDATED"), ("SUBMITTED", "DRAFT"), ("VALIDATED", "DRAFT"),
])
def test_forbidden_transitions(state, target):
    with pytest.raises(Conflict) as err:
        lc.transition(state, target, "C")
    assert "ne peut pas passer à l'état" in err.value.message


def test_awaiting_funds_refused_for_a_deconsignation():
    with pytest.raises(Conflict) as err:
        lc.transition("SUBMITTED", "AWAITING_FUNDS", "D")
    assert err.value.message == "Seule une demande de consignation peut être mise en attente de fonds."
    assert "AWAITING_FUNDS" not in lc.allowed_targets("SUBMITTED", "D")


def test_unknown_state():
    with pytest.raises(Conflict):
        lc.transition("DRAFT", "ARCHIVED", "C")


def test_labels_and_tabs_as_the_spec():
    assert [lc.label(s) for s in lc.STATES] == ["Demande enregistrée", "Envoyé", "En attente complément",
                                               "En attente de fonds", "Demande validée", "Demande rejetée"]
    assert lc.label("VALIDATED", proof_available=True) == "Justificatif de déconsignation disponible"
    assert [lc.TAB_LABELS[lc.tab(s)] for s in lc.STATES] == [
        "Demandes brouillons", "Demandes transmises", "Demandes transmises", "Demandes transmises",
        "Demandes validées", "Demandes rejetées"]


def test_sens_labels():
    assert (lc.sens_label("C"), lc.sens_label("D")) == ("Consignation", "Déconsignation")
    with pytest.raises(Conflict, match="Sens de demande inconnu"):
        lc.sens_label("X")


def test_number_format():
    assert lc.format_number("2008", 1029) == "102008000001029"
    assert lc.format_number("2512", 999_999_999) == "102512999999999"
    assert len(lc.format_number("2601", 1)) == 15 and lc.is_number("102008000001029")


@pytest.mark.parametrize("yymm, seq", [("2013", 1), ("200", 1), ("2008", 0), ("2008", -1), ("2008", True)])
def test_number_bad_input(yymm, seq):
    with pytest.raises(ValueError):
        lc.format_number(yymm, seq)


def test_number_overflow_is_refused():
    with pytest.raises(lc.NumberingExhausted):
        lc.format_number("2008", 1_000_000_000)


def test_yymm_in_french_time():
    assert lc.yymm(datetime(2020, 8, 31, 21, 30, tzinfo=timezone.utc)) == "2008"
    assert lc.yymm(datetime(2020, 8, 31, 22, 30, tzinfo=timezone.utc)) == "2009"


def test_the_gestionnaire_does_not_complete_for_the_client():
    from demandes_service.domain.lifecycle import staff_decisions

    assert staff_decisions("AWAITING_COMPLEMENT", "D") == ["REJECTED"]  # « VALIDER » is the client's
    assert staff_decisions("AWAITING_FUNDS", "C") == ["REJECTED", "SUBMITTED"]  # « Fonds reçus »
    assert staff_decisions("SUBMITTED", "C") == ["AWAITING_COMPLEMENT", "AWAITING_FUNDS", "REJECTED", "VALIDATED"]
    assert staff_decisions("VALIDATED", "D") == [] and staff_decisions("DRAFT", "D") == ["SUBMITTED"]


def _conflict(call, *args) -> str:
    with pytest.raises(Conflict) as err:
        call(*args)
    return err.value.message


@pytest.mark.parametrize("call, args", [
    (lc.label, ("ARCHIVED",)), (lc.tab, ("ARCHIVED",)), (lc.allowed_targets, ("ARCHIVED", "C")),
    (lc.allowed_targets, ("DRAFT", "X")), (lc.allowed_targets, ("ARCHIVED", "X")),
    (lc.transition, ("DRAFT", "ARCHIVED", "C")), (lc.transition, ("ARCHIVED", "SUBMITTED", "C")),
    (lc.staff_decisions, ("SUBMITTED", "X")),
])
def test_an_unknown_state_or_sens_is_refused_in_french(call, args):
    assert _conflict(call, *args) == "État de demande inconnu."


def test_an_unknown_sens_is_named_as_such():
    assert _conflict(lc.transition, "DRAFT", "SUBMITTED", "X") == "Sens de demande inconnu."


def test_a_deconsignation_awaiting_funds_can_go_nowhere():
    # a state a déconsignation never reaches (transition refuses it): no target, no decision
    assert lc.allowed_targets("AWAITING_FUNDS", "D") == frozenset()
    assert lc.staff_decisions("AWAITING_FUNDS", "D") == []
    assert lc.allowed_targets("AWAITING_FUNDS", "C") == frozenset({"SUBMITTED", "REJECTED"})


def test_the_exhausted_sequence_names_the_number_that_does_not_fit():
    with pytest.raises(lc.NumberingExhausted, match=r"^sequence 1000000000 does not fit in 9 digits$"):
        lc.format_number("2008", 1_000_000_000)


@pytest.mark.parametrize("text", ["102013000000001", "102000000000001", "112008000001029", "10200800000102",
                                  "1020080000010290", "10200800000102a", "", None, 102008000001029])
def test_what_is_not_a_request_number(text):
    assert lc.is_number(text) is False
