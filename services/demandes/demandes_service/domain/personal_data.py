"""Personal data in a client's reply (SPEC MS-5): such a reply is not forwarded to the back office
and the client gets PERSONAL_DATA_WARNING instead.

Kinds looked for: IBAN (and the RIB, its French national form), payment card number, French
social-security number (NIR), phone number and e-mail address. Every number is confirmed by its
own check (IBAN mod 97 and country layout, RIB key, Luhn with card-network prefix and length, NIR
key, phone numbering plan) so that what a reply legitimately contains - amounts, dates, request
numbers (DM-5), SIRET/SIREN, postal codes, RG case numbers, times - is not mistaken for personal
data.

Numbers are read as *chains*: runs of letters/digits ("tokens") separated by exactly one
separator character (space, no-break space, dash, dot depending on the kind). A candidate is a
run of whole consecutive tokens of a chain, never part of a token, so « 4970 1012 3456 7893 12/26 »
still yields the card and a SIRET is never cut into something else.

The seed (001, « Messagerie instantanée 4/4 ») only says that the client gets « le message
indiqué dans cette zone »: the text of that zone was a screenshot lost in the extraction. The
warning below is therefore written for this product, reusing the seed's own sentences about
personal data.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir

PERSONAL_DATA_WARNING = (
    "Votre message n'a pas été transmis au service de gestion car il contient des données à "
    "caractère personnel (coordonnées bancaires, numéro de carte bancaire, numéro de sécurité "
    "sociale, numéro de téléphone ou adresse électronique). Il est important de ne pas saisir de "
    "données à caractère personnel lorsque vous répondez à un message : tout message comportant "
    "des données sensibles ne sera pas traité par le service de gestion. Merci de rédiger à "
    "nouveau votre réponse sans ces informations."
)

IBAN, CARD_NUMBER, NIR, PHONE, EMAIL = "iban", "card_number", "nir", "phone", "email"
KINDS = (IBAN, CARD_NUMBER, NIR, PHONE, EMAIL)


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text (``text[start:end]``)."""

    kind: str
    start: int
    end: int
    excerpt: str

    @property
    def masked(self) -> str:
        """The excerpt with every letter and digit but the last two hidden: for logs and audit,
        which must not keep the personal data the reply was refused for."""
        visible = 2
        alnum = sum(char.isalnum() for char in self.excerpt)
        out, seen = [], 0
        for char in self.excerpt:
            if char.isalnum():
                seen += 1
                out.append(char if seen > alnum - visible else "•")
            else:
                out.append(char)
        return "".join(out)


def find_personal_data(text: str) -> list[Finding]:
    """Every piece of personal data in ``text``, in reading order; empty when there is none.

    Kinds are searched from the most to the least specific (e-mail, IBAN, NIR, card, phone) and a
    span already found is not reported again under another kind (the digits of an IBAN are not
    also a phone number).
    """
    if not isinstance(text, str) or not text:
        return []
    text = unicodedata.normalize("NFC", text)
    searched = text.translate(_ASCII_LOOKALIKES)  # same length: the spans hold in `text`
    findings: list[Finding] = []
    for finder in (_emails, _ibans, _nirs, _cards, _phones):
        for kind, start, end in finder(searched):
            if not any(start < other.end and other.start < end for other in findings):
                findings.append(Finding(kind, start, end, text[start:end]))
    return sorted(findings, key=lambda finding: finding.start)


def _ascii_lookalikes() -> dict[int, str]:
    """Characters read as their ASCII twin, one for one: every decimal digit of another script
    (Arabic-Indic « ٠٦ », Devanagari, mathematical…), the fullwidth forms of ASCII (« ０６ », « ＦＲ »,
    « ＋ ») and the ideographic space. A phone number typed or pasted in such digits is still one."""
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}  # fullwidth ASCII
    table[0x3000] = " "
    for code in (*range(0x10000), *range(0x1D7CE, 0x1D800)):  # the BMP and the mathematical digits
        char = chr(code)
        if unicodedata.category(char) == "Nd" and not char.isascii():
            table[code] = str(unicodedata.digit(char))
    return table


_ASCII_LOOKALIKES = _ascii_lookalikes()


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))


# --- chains of tokens --------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")
_SPACES = " \u00a0\u202f"  # French typography groups digits with (narrow) no-break spaces


def _chains(text: str, separators: str, token_ok) -> list[list[tuple[int, int]]]:
    """Chains of tokens accepted by ``token_ok``, each token separated from the next by exactly one
    character of ``separators``. A token that is not accepted breaks the chain."""
    chains: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if not token_ok(match.group()):
            if current:
                chains.append(current)
            current = []
            continue
        if current and not (start - current[-1][1] == 1 and text[start - 1] in separators):
            chains.append(current)
            current = []
        current.append((start, end))
    if current:
        chains.append(current)
    return chains


def _longest_runs(text, chains, max_length, accept):
    """For each chain, left to right: the longest run of whole tokens, starting at each token,
    whose compact form is accepted; the search goes on after a run that was found."""
    for chain in chains:
        i = 0
        while i < len(chain):
            found = None
            compact = ""
            for j in range(i, len(chain)):
                compact += text[chain[j][0]:chain[j][1]]
                if len(compact) > max_length:
                    break
                if accept(compact, chain, i, j):
                    found = j
            if found is None:
                i += 1
            else:
                yield chain[i][0], chain[found][1]
                i = found + 1


# --- e-mail ------------------------------------------------------------------------------------

# Local part, then « @ » or the usual ways of hiding it (« (at) », « [at] », « arobase »), then a
# domain with at least one dot and a top-level domain made of letters.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]+"
    r"(?:@|\s?[(\[]at[)\]]\s?|\sarobase\s)"
    r"[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)*\.[^\W\d_]{2,}(?![\w\-]|\.[^\W_])",
    re.IGNORECASE,
)


def _emails(text):
    for match in _EMAIL.finditer(text):
        yield EMAIL, match.start(), match.end()


# --- IBAN --------------------------------------------------------------------------------------

_IBAN_START = re.compile(r"[A-Za-z]{2}[0-9]{2}")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]+")


def _ibans(text):
    chains = _chains(text, _SPACES + "-", _ASCII_ALNUM.fullmatch)

    def accept(compact, chain, i, j):
        # Checksum and the country's BBAN layout only: the country modules' extra checks (bank
        # registries, national keys) would let a real IBAN through whenever they are incomplete.
        return (15 <= len(compact) <= 34 and _IBAN_START.match(compact) is not None
                and std_iban.is_valid(compact, check_country=False))

    for start, end in _longest_runs(text, chains, 34, accept):
        yield IBAN, start, end
    # The French national form of the same bank details (RIB: bank 5 digits, branch 5, account
    # 11 characters, key 2), which clients copy from their chequebook as often as the IBAN.
    for start, end in _longest_runs(text, chains, 23, lambda compact, *_: _rib_ok(compact)):
        yield IBAN, start, end


_RIB = re.compile(r"[0-9]{10}[0-9A-Za-z]{11}[0-9]{2}")
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _rib_ok(compact: str) -> bool:
    if not _RIB.fullmatch(compact):
        return False
    account = int(compact[10:21].upper().translate(_RIB_LETTERS))
    key = 97 - (89 * int(compact[:5]) + 15 * int(compact[5:10]) + 3 * account) % 97
    return key == int(compact[21:])


# --- NIR ---------------------------------------------------------------------------------------

_NIR_TOKEN = re.compile(r"[0-9]*2[ABab][0-9]*|[0-9]+")
# DM-5 request numbers are also 15 digits starting with 1: « 10 » + YYMM + 9 digits.
_REQUEST_NUMBER = re.compile(r"10[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{9}")


def _nir_ok(compact: str) -> bool:
    if len(compact) != 15 or compact[0] not in "123478":
        return False  # sex 1/2, 3 and 7/8 for temporary numbers
    month = int(compact[3:5])
    if not (1 <= month <= 12 or month == 20 or 30 <= month <= 42 or 50 <= month <= 99):
        return False  # 20, 30-42 and 50-99 are given when the birth month is unknown
    return std_nir.is_valid(compact)


def _nirs(text):
    chains = _chains(text, _SPACES + ".-", _NIR_TOKEN.fullmatch)

    def accept(compact, chain, i, j):
        # A request number written in one piece is a request number (about 1 in 97 of them would
        # pass the NIR key); a NIR is caught in that shape only when spaced out as usual.
        if i == j and _REQUEST_NUMBER.fullmatch(compact):
            return False
        return _nir_ok(compact.upper())

    for start, end in _longest_runs(text, chains, 15, accept):
        yield NIR, start, end


# --- payment card ------------------------------------------------------------------------------

# Networks and their lengths (CB cards are Visa or Mastercard). The lengths matter: a SIRET is 14
# digits, passes Luhn by design and may start with 4 or 5.
_CARD_NETWORKS = (
    (re.compile(r"4"), {13, 16, 19}),  # Visa
    (re.compile(r"5[1-5]|2(?:22[1-9]|2[3-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)"), {16}),  # Mastercard
    (re.compile(r"3[47]"), {15}),  # American Express
)


def _card_ok(compact: str) -> bool:
    return any(prefix.match(compact) and len(compact) in lengths
               for prefix, lengths in _CARD_NETWORKS) and luhn.is_valid(compact)


def _cards(text):
    chains = _chains(text, _SPACES + "-", str.isdecimal)

    def accept(compact, chain, i, j):
        return compact.isascii() and _card_ok(compact)

    for start, end in _longest_runs(text, chains, 19, accept):
        yield CARD_NUMBER, start, end


# --- phone -------------------------------------------------------------------------------------

# The service's own number (SPEC 7 contact line): quoting it is not disclosing personal data.
_PUBLIC_NUMBERS = frozenset({"+33158508988"})


def _is_public(number) -> bool:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) in _PUBLIC_NUMBERS


def _phones(text):
    # libphonenumber's own extraction first (it knows « +33 (0)6 … » and the like); only numbers
    # written with a trunk 0 or an international prefix count, so that a bare SIREN is never read
    # as a French mobile without its 0.
    seen = []
    for match in phonenumbers.PhoneNumberMatcher(text, "FR", leniency=phonenumbers.Leniency.VALID):
        raw = match.raw_string.lstrip("(")
        if raw.startswith(("+", "0")) and not _is_public(match.number):
            seen.append((match.start, match.end))
            yield PHONE, match.start, match.end
    # The matcher gives up on a number followed by more digits (« 06 12 34 56 78 12 rue … »):
    # runs of whole tokens catch those.
    for start, end in _phone_runs(text):
        if not any(start < e and s < end for s, e in seen):
            yield PHONE, start, end


def _phone_runs(text):
    chains = _chains(text, _SPACES + ".-", str.isdecimal)

    def accept(compact, chain, i, j):
        if not compact.isascii():
            return False
        start = chain[i][0]
        if start > 0 and text[start - 1] == "+":
            return _valid_phone("+" + compact)
        if compact.startswith("00"):
            return compact[2:3] not in ("", "0") and _valid_phone("+" + compact[2:])
        # French national form: ten digits from 0[1-9], in pairs or in one piece, one separator.
        separators = {text[chain[k][1]] for k in range(i, j)}
        return (len(compact) == 10 and compact[0] == "0" and compact[1] != "0" and len(separators) <= 1
                and all((end - begin) % 2 == 0 for begin, end in chain[i:j + 1])
                and _valid_phone(compact))

    for start, end in _longest_runs(text, chains, 17, accept):
        if start > 0 and text[start - 1] == "+":
            start -= 1
        yield start, end


def _valid_phone(digits: str) -> bool:
    try:
        number = phonenumbers.parse(digits, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and not _is_public(number)
