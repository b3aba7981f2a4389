"""SPEC ID-1 and NF-1: password policy, common-password blocklist, argon2id hashing."""
from __future__ import annotations

import argon2
import pytest

from consignations_shared.errors import ValidationFailed
from identity_service.domain import passwords
from identity_service.domain.passwords import (
    MAX_LENGTH,
    PasswordHasher,
    PasswordRule,
    check_password_policy,
    common_passwords,
    ensure_password_policy,
    password_policy_error_message,
)

VALID = "Vrai-Secret7"


# --- ID-1 rules -------------------------------------------------------------------------------

def test_valid_password_has_no_failure():
    assert check_password_policy(VALID) == {}


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Abcde1!", PasswordRule.MIN_LENGTH),       # 7 characters
        ("Abcdefg!", PasswordRule.DIGIT),
        ("abcdef1!", PasswordRule.UPPERCASE),
        ("ABCDEF1!", PasswordRule.LOWERCASE),
        ("Kiwiroux7", PasswordRule.SPECIAL),
        ("Abcd efg1", PasswordRule.SPECIAL),        # a space is not a special character
    ],
)
def test_each_rule_fails_alone_with_its_own_message(password, rule):
    failures = check_password_policy(password)
    assert list(failures) == [rule.value]
    assert failures[rule] == passwords.RULE_MESSAGES[rule]


def test_messages_are_french_and_name_the_rule():
    messages = passwords.RULE_MESSAGES
    assert messages[PasswordRule.MIN_LENGTH] == "Le mot de passe doit contenir au moins 8 caractères."
    assert "chiffre" in messages[PasswordRule.DIGIT]
    assert "majuscule" in messages[PasswordRule.UPPERCASE]
    assert "minuscule" in messages[PasswordRule.LOWERCASE]
    assert "caractère spécial" in messages[PasswordRule.SPECIAL]
    assert "& - ." in messages[PasswordRule.SPECIAL]
    assert "128 caractères" in messages[PasswordRule.MAX_LENGTH]
    assert len(set(messages.values())) == len(PasswordRule)


def test_length_boundaries_7_and_8():
    assert PasswordRule.MIN_LENGTH in check_password_policy("Abcd-e1")
    assert check_password_policy("Abcd-ef1") == {}


def test_length_boundaries_128_and_129():
    at_limit = "Aa1-" * 32
    assert len(at_limit) == MAX_LENGTH == 128
    assert check_password_policy(at_limit) == {}
    too_long = at_limit + "x"
    assert check_password_policy(too_long) == {
        PasswordRule.MAX_LENGTH: "Le mot de passe ne doit pas dépasser 128 caractères."
    }


def test_every_failed_rule_is_reported():
    assert set(check_password_policy("xq")) == {
        PasswordRule.MIN_LENGTH, PasswordRule.DIGIT, PasswordRule.UPPERCASE,
        PasswordRule.SPECIAL,
    }
    assert set(check_password_policy("")) == {
        PasswordRule.MIN_LENGTH, PasswordRule.DIGIT, PasswordRule.UPPERCASE,
        PasswordRule.LOWERCASE, PasswordRule.SPECIAL,
    }
    assert all(isinstance(key, str) for key in check_password_policy(""))


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Éléphant1!", set()),
        ("éléphant1!", {PasswordRule.UPPERCASE}),
        ("ÉLÉPHANT1!", {PasswordRule.LOWERCASE}),
        ("Мой-пароль1", set()),                                   # Cyrillic has cases
        ("中文中文中文1!", {PasswordRule.UPPERCASE, PasswordRule.LOWERCASE}),
        ("Abcdefg1€", set()),                                     # a symbol is special
        ("Abcdefg٣!", set()),                                     # Arabic-Indic digit
    ],
)
def test_unicode_letters_digits_and_symbols(password, expected):
    assert set(check_password_policy(password)) == expected


def test_length_is_counted_after_nfc_normalisation():
    decomposed = "Ab1!cd" + "e\u0301"   # 8 code points, 7 characters once composed
    assert PasswordRule.MIN_LENGTH in check_password_policy(decomposed)
    assert check_password_policy(decomposed + "x") == {}


def test_non_string_is_a_programming_error():
    with pytest.raises(TypeError):
        check_password_policy(None)


# --- NF-1 blocklist ---------------------------------------------------------------------------

def test_blocklist_has_exactly_10000_distinct_lower_case_entries():
    entries = common_passwords()
    assert isinstance(entries, frozenset)
    assert len(entries) == 10_000
    assert all(entry == entry.lower() and entry.strip() == entry for entry in entries)
    assert common_passwords() is entries  # loaded once
    assert {"123456", "password", "qwerty", "azerty", "desmond1"} <= entries  # first.. last
    assert "loveless1" not in entries  # 10,001st entry of Django's list


def test_common_password_meeting_id1_is_refused():
    assert check_password_policy("P@ssw0rd") == {
        PasswordRule.COMMON: passwords.RULE_MESSAGES[PasswordRule.COMMON]
    }
    assert check_password_policy("1Qaz!qaz") == {
        PasswordRule.COMMON: passwords.RULE_MESSAGES[PasswordRule.COMMON]
    }


@pytest.mark.parametrize("password", ["password", "PASSWORD", "PaSsWoRd", "Azerty", "Desmond1"])
def test_blocklist_is_case_insensitive(password):
    assert PasswordRule.COMMON in check_password_policy(password)


def test_uncommon_variant_is_not_in_blocklist():
    assert PasswordRule.COMMON not in check_password_policy("P@ssw0rd-Vert")


# --- summary sentence -------------------------------------------------------------------------

def test_summary_message():
    assert password_policy_error_message({}) == ""
    assert password_policy_error_message(check_password_policy("Abcdefg!")) == (
        "Le mot de passe doit contenir au moins 1 chiffre."
    )
    assert password_policy_error_message(check_password_policy("quetzalx")) == (
        "Le mot de passe doit contenir au moins 1 chiffre, au moins 1 lettre majuscule et "
        "au moins 1 caractère spécial (tel que & - .)."
    )
    assert password_policy_error_message(check_password_policy("Aa1-" * 40)) == (
        "Le mot de passe ne doit pas dépasser 128 caractères."
    )
    assert password_policy_error_message(check_password_policy("password")) == (
        "Le mot de passe doit contenir au moins 1 chiffre, au moins 1 lettre majuscule et "
        "au moins 1 caractère spécial (tel que & - .), et ne doit pas faire partie des mots de "
        "passe les plus courants."
    )
    assert password_policy_error_message(["min_length"]) == (
        "Le mot de passe doit contenir au moins 8 caractères."
    )
    assert password_policy_error_message(["unknown"]) == passwords.GENERIC_POLICY_MESSAGE


def test_ensure_password_policy_raises_validation_failed():
    ensure_password_policy(VALID)
    with pytest.raises(ValidationFailed) as caught:
        ensure_password_policy("xq", field="new_password")
    summary = password_policy_error_message(check_password_policy("xq"))
    assert caught.value.message == summary
    assert caught.value.fields == {"new_password": summary}


# --- argon2id hasher --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hasher():
    return PasswordHasher()


@pytest.fixture(scope="module")
def stored(hasher):
    return hasher.hash(VALID)


def test_hash_uses_argon2id_with_nf1_parameters(stored):
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    params = argon2.extract_parameters(stored)
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (
        argon2.Type.ID, 2, 19456, 1
    )


def test_verify_round_trip(hasher, stored):
    assert hasher.verify(stored, VALID) is True
    assert hasher.verify(stored, VALID.lower()) is False
    assert hasher.verify(stored, VALID + " ") is False
    assert hasher.verify(stored, "") is False


@pytest.mark.parametrize(
    "bad_hash", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$garbage",
                 "$2b$12$abcdefghijklmnopqrstuv", "$argon2id$é", None]
)
def test_verify_returns_false_on_unusable_hash(hasher, bad_hash):
    assert hasher.verify(bad_hash, VALID) is False


def test_needs_rehash(hasher, stored):
    assert hasher.needs_rehash(stored) is False
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1,
                                   type=argon2.Type.ID).hash(VALID)
    assert hasher.needs_rehash(weaker) is True
    # the weaker hash still logs the person in, then gets re-hashed
    assert hasher.verify(weaker, VALID) is True
    assert hasher.needs_rehash("not-a-hash") is True


def test_long_passwords_are_not_truncated():
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    base = "Aa1-" * 32                     # 128 characters
    other = base[:-1] + "X"
    stored_long = fast.hash(base)
    assert fast.verify(stored_long, base) is True
    assert fast.verify(stored_long, other) is False
    assert fast.verify(stored_long, base[:72]) is False


def test_hash_and_verify_are_nfc_normalised():
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    stored_fast = fast.hash("Cl\u00e9-secr\u00e8te1")
    assert fast.verify(stored_fast, "Cle\u0301-secre\u0300te1") is True


def test_cpu_heavy_calls_go_through_offload():
    calls = []

    def offload(fn, *args):
        calls.append(fn.__name__)
        return fn(*args)

    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, offload=offload)
    stored_fast = fast.hash(VALID)
    assert fast.verify(stored_fast, VALID) is True
    assert fast.verify(stored_fast, "wrong") is False  # exception raised through offload
    assert calls == ["hash", "verify", "verify"]
    assert fast.needs_rehash(stored_fast) is False
    assert calls == ["hash", "verify", "verify"]


def test_dummy_hash_constant_is_lazy_and_never_matches(hasher):
    first = passwords.DUMMY_HASH
    assert first is passwords.DUMMY_HASH
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.needs_rehash(first) is False
    assert hasher.verify(first, VALID) is False
    with pytest.raises(AttributeError):
        passwords.NOT_A_CONSTANT  # noqa: B018


def test_dummy_verify_uses_the_hasher_parameters():
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    assert fast.dummy_verify(VALID) is False
    assert fast.dummy_hash is fast.dummy_hash
    assert fast.needs_rehash(fast.dummy_hash) is False


def test_dummy_verify_runs_one_real_verification_against_the_dummy_hash():
    """NF-1: an unknown address costs one argon2id verification, like a known one."""
    verified = []

    def offload(fn, *args):
        if fn.__name__ == "verify":
            verified.append(args[0])
        return fn(*args)

    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, offload=offload)
    assert fast.dummy_verify(VALID) is False
    assert verified == [fast.dummy_hash]
    assert argon2.extract_parameters(verified[0]) == fast.parameters


def test_every_parameter_given_to_the_hasher_is_used():
    odd = PasswordHasher(time_cost=1, memory_cost=16, parallelism=2, hash_len=20, salt_len=12)
    params = argon2.extract_parameters(odd.hash(VALID))
    assert params == odd.parameters
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism, params.hash_len,
            params.salt_len) == (argon2.Type.ID, 1, 16, 2, 20, 12)


@pytest.mark.parametrize("bad", [None, b"$argon2id$", 42, ""])
def test_verify_refuses_stored_values_that_are_not_hashes(bad):
    assert PasswordHasher(time_cost=1, memory_cost=8).verify(bad, VALID) is False


def test_ensure_password_policy_names_the_password_field_by_default():
    with pytest.raises(ValidationFailed) as caught:
        ensure_password_policy("xq")
    assert list(caught.value.fields) == ["password"]
