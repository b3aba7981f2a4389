"""Values shown by the portal in the form people write them (issue 19), display only."""
import pytest

from gateway_service.display import french_phone


@pytest.mark.parametrize("stored, shown", [
    ("+33142334455", "01 42 33 44 55"),   # typed « 01 42 33 44 55 », stored in E.164
    ("+33612345678", "06 12 34 56 78"),
    ("+33987654321", "09 87 65 43 21"),
    ("+33800123456", "08 00 12 34 56"),   # in pairs, as written in France (not « 0 800 … »)
    ("+3225551234", "+32 2 555 12 34"),   # a foreign number: its international form
    (" +33142334455 ", "01 42 33 44 55"),
    ("+330142334455", "01 42 33 44 55"),  # the same number, with the national 0 kept
])
def test_a_stored_number_is_shown_in_the_french_national_format(stored, shown):
    assert french_phone(stored) == shown


@pytest.mark.parametrize("value, shown", [
    (None, ""), ("", ""), ("01 42 33 44 55", "01 42 33 44 55"), ("+3314233", "+3314233"),
    ("pas un numéro", "pas un numéro"), ("+999123", "+999123"),
])
def test_anything_else_is_shown_as_given(value, shown):
    assert french_phone(value) == shown
