import pytest
from stdnum import luhn
from stdnum.fr import nir, siret

from demandes_service.domain import personal_data as pd
from demandes_service.domain.personal_data import Finding, find_personal_data

# (sentence, kind, excerpt expected)
POSITIVES = [
    # IBAN: spaced, compact, lowercase, other countries, glued to punctuation
    ("Mon IBAN est FR76 3000 6000 0112 3456 7890 189.", "iban", "FR76 3000 6000 0112 3456 7890 189"),
    ("iban : fr7630006000011234567890189, merci d'avance", "iban", "fr7630006000011234567890189"),
    ("Virez sur (FR76-3000-6000-0112-3456-7890-189) svp", "iban", "FR76-3000-6000-0112-3456-7890-189"),
    ("Compte allemand : DE89 3704 0044 0532 0130 00 ; merci.", "iban", "DE89 3704 0044 0532 0130 00"),
    ("Le compte GB82WEST12345698765432 est le bon !", "iban", "GB82WEST12345698765432"),
    ("Compte belge « BE68 5390 0754 7034 ».", "iban", "BE68 5390 0754 7034"),
    ("IBAN\u00a0: FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189", "iban",
     "FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189"),
    ("Banque italienne IT60X0542811101000000123456.", "iban", "IT60X0542811101000000123456"),
    ("Compte postal FR14 2004 1010 0505 0001 3M02 606 ?", "iban", "FR14 2004 1010 0505 0001 3M02 606"),
    # the French national form of bank details (RIB), letters in the account number included
    ("Mon RIB : 30006 00001 12345678901 89.", "iban", "30006 00001 12345678901 89"),
    ("RIB postal 20041 01005 0500013M026 06, merci", "iban", "20041 01005 0500013M026 06"),
    # payment cards: Visa 16/13, Mastercard 5x and 2x, Amex, with spaces or dashes
    ("Ma carte bancaire : 4111 1111 1111 1111, expiration 12/26.", "card_number", "4111 1111 1111 1111"),
    ("Prélevez la carte 4111-1111-1111-1111 !", "card_number", "4111-1111-1111-1111"),
    ("Carte Mastercard 5555555555554444 (CB).", "card_number", "5555555555554444"),
    ("La nouvelle carte 2221 0000 0000 0009 ; l'ancienne est expirée.", "card_number", "2221 0000 0000 0009"),
    ("Amex n° 3782 822463 10005.", "card_number", "3782 822463 10005"),
    ("Vieille Visa 4222222222222, toujours valable ?", "card_number", "4222222222222"),
    ("carte 4970 1012 3456 7893 12/26 cvv 123", "card_number", "4970 1012 3456 7893"),
    # NIR: spaced, compact, Corsica 2A / 2B, women
    ("Mon numéro de sécurité sociale est 1 85 05 78 006 084 91.", "nir", "1 85 05 78 006 084 91"),
    ("NIR : 185057800608491 ; merci.", "nir", "185057800608491"),
    ("Sécu (2 85 05 78 006 084 41) de mon épouse", "nir", "2 85 05 78 006 084 41"),
    ("Né en Corse : 1 85 05 2A 006 084 35.", "nir", "1 85 05 2A 006 084 35"),
    ("Née à Bastia, 2 85 05 2b 006 084 " + nir.calc_check_digits("28505" + "2B" + "006084") + ", voilà.",
     "nir", "2 85 05 2b 006 084 " + nir.calc_check_digits("28505" + "2B" + "006084")),
    # phones: French forms, then international E.164
    ("Appelez-moi au 06 12 34 56 78.", "phone", "06 12 34 56 78"),
    ("Tél. 06.12.34.56.78, de préférence le matin", "phone", "06.12.34.56.78"),
    ("Mon fixe : 01-23-45-67-89 !", "phone", "01-23-45-67-89"),
    ("Joignable au 0612345678 ou par courrier.", "phone", "0612345678"),
    ("Depuis l'étranger : +33 6 12 34 56 78.", "phone", "+33 6 12 34 56 78"),
    ("Depuis l'étranger : +33 (0)6 12 34 56 78.", "phone", "+33 (0)6 12 34 56 78"),
    ("Portable 0033 6 12 34 56 78, merci.", "phone", "0033 6 12 34 56 78"),
    ("Numéro compact +33612345678.", "phone", "+33612345678"),
    ("Appelez le 06 12 34 56 78 12 rue de la Paix", "phone", "06 12 34 56 78"),
    ("Mon frère à Londres : +44 20 7946 0958.", "phone", "+44 20 7946 0958"),
    ("Au Maroc : +212 6 61 23 45 67 ; en Belgique ensuite.", "phone", "+212 6 61 23 45 67"),
    ("Tél. 09 70 80 90 10 (box).", "phone", "09 70 80 90 10"),
    # e-mails
    ("Écrivez-moi à jean.dupont@gmail.com.", "email", "jean.dupont@gmail.com"),
    ("Contact : <marie-claire+cdc@exemple.co.uk>, merci", "email", "marie-claire+cdc@exemple.co.uk"),
    ("Mon adresse (JEAN_DUPONT@Orange.FR) a changé.", "email", "JEAN_DUPONT@Orange.FR"),
    ("Réponse à éloïse.dupont@laposte.net ; merci !", "email", "éloïse.dupont@laposte.net"),
    ("Courriel : jean.dupont (at) gmail.com", "email", "jean.dupont (at) gmail.com"),
    ("Écrivez à jean arobase gmail.com svp", "email", "jean arobase gmail.com"),
]

# Sentences a reply may legitimately contain: nothing must be found.
REQUEST_NUMBER_PASSING_NIR_KEY = "102611000000073"  # a DM-5 number whose last 2 digits are a valid NIR key
NEGATIVES = [
    "Le montant est de 1 234,56 €.",
    "Je vous ai viré 150000.00 euros hier.",
    "Montant : 1.234.567,89 € (solde tout compte).",
    "Total : 1 234 567,89 €, frais compris.",
    "Concernant la demande 102611000000042, voici les pièces.",
    f"Demande n°{REQUEST_NUMBER_PASSING_NIR_KEY} : merci de la traiter.",
    "Ma demande (102008000001029) est-elle validée ?",
    "Le jugement du 12/03/2024 est joint.",
    "Audience fixée au 2024-03-12 à 14h30.",
    "Rendez-vous le 01/02/2024, de 14h30 à 16h.",
    "Signé le 01.02.2024 à Paris.",
    "Le 12.03.2024 à 10.30, j'ai appelé.",
    "SIRET 73282932000074 ; SIREN 732 829 320.",
    "Notre SIRET : 443 061 841 00047.",  # passes Luhn, starts with 4
    "SIRET 44306184100047, Kbis joint.",
    "Société au SIRET 55210055400013.",  # passes Luhn, starts with 5
    "Siège : 12 rue de la Paix, 75008 Paris.",
    "Code postal 13001 (Marseille).",
    "Dossier RG 21/01234 du tribunal judiciaire de Paris.",
    "le dossier RG n° 21/01234, chambre 3",
    "Réf. 2024/0012345 de l'étude.",
    "Vous pouvez joindre vos conseillers au 01 58 50 89 88.",  # the service's own number (SPEC 7)
    "Voir www.consignations.caissedesdepots.fr pour la procédure.",
    "Je suis disponible de 9h à 12h et de 13h à 17h.",
    "Mon numéro de sécurité sociale a une clé fausse : 1 85 05 78 006 084 36.",
    "Une carte 4111 1111 1111 1112 ne passe pas Luhn.",
    "Ceci n'est pas un IBAN : FR76 3000 6000 0112 3456 7890 188.",
    "Ni un RIB : 30006 00001 12345678901 88.",
    "Un BIC (BNPAFRPPXXX) et un ICS FR12ZZZ123456 ne sont pas des comptes.",
    "Un e-mail incomplet : jean.dupont@ ou @gmail.",
    "Facture 2024-001234 du 05/03/2024, article 700.",
    "Soit 4 500,00 € le 05.03.2024 et 1 500 € le 06.03.2024.",
    "La provision est de 2 000 € (deux mille euros) ; j'attends 30 jours.",
]


@pytest.mark.parametrize("text, kind, excerpt", POSITIVES)
def test_personal_data_is_found(text, kind, excerpt):
    findings = find_personal_data(text)
    assert [(f.kind, f.excerpt) for f in findings] == [(kind, excerpt)]
    assert text[findings[0].start:findings[0].end] == excerpt


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_replies_are_clean(text):
    assert find_personal_data(text) == []
    assert not pd.contains_personal_data(text)


def _luhn_number(prefix, length):
    body = prefix + "0" * (length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


@pytest.mark.parametrize("prefix, network, lengths", [
    ("4", "Visa", {13, 16, 19}), ("51", "Mastercard", {16}), ("2221", "Mastercard", {16}),
    ("34", "American Express", {15}), ("37", "American Express", {15}),
])
def test_a_luhn_number_is_a_card_only_at_its_networks_lengths(prefix, network, lengths):
    """Every length from 12 to 20 digits, each passing Luhn: found exactly at the network's lengths
    (a 14-digit SIRET passes Luhn by design and may start with 4 or 5)."""
    found = {n for n in range(12, 21)
             if [f.kind for f in find_personal_data(f"Carte {_luhn_number(prefix, n)} merci.")] == ["card_number"]}
    assert found == lengths, network


def test_sirets_passing_luhn_are_not_cards():
    for number in ("44306184100047", "55210055400013"):
        assert siret.is_valid(number) and luhn.is_valid(number)  # the trap: a bare Luhn check would match
        assert find_personal_data(f"SIRET {number}.") == []


def test_a_request_number_passing_the_nir_key_is_a_nir_only_when_spaced_out_as_one():
    assert nir.is_valid(REQUEST_NUMBER_PASSING_NIR_KEY)  # the trap: a bare NIR check would match
    assert find_personal_data(f"Demande {REQUEST_NUMBER_PASSING_NIR_KEY} svp") == []
    spaced = "1 02 61 10 000 000 73"
    assert [(f.kind, f.excerpt) for f in find_personal_data(f"Mon numéro : {spaced}.")] == [("nir", spaced)]


@pytest.mark.parametrize("number", [
    "NO9386011117947",  # Norway: 15 characters, the shortest IBAN
    "LC55HEMM000100010012001200023015",  # Saint Lucia: 32
    "RU0204452560040702810412345678901",  # Russia: 33
])
def test_ibans_of_every_length_are_found(number):
    assert [(f.kind, f.excerpt) for f in find_personal_data(f"Compte {number} merci")] == [("iban", number)]


def test_several_findings_in_reading_order():
    text = ("Bonjour, je suis joignable au 06 12 34 56 78 ou à jean.dupont@gmail.com ; "
            "mon IBAN FR76 3000 6000 0112 3456 7890 189 et ma sécu 1 85 05 78 006 084 91, "
            "carte 4111 1111 1111 1111. Demande 102611000000042 du 12/03/2024, 1 234,56 €.")
    assert [f.kind for f in find_personal_data(text)] == ["phone", "email", "iban", "nir", "card_number"]


def test_a_span_is_reported_once():
    # The digits inside an IBAN or an e-mail are not also reported as a phone or a card.
    assert [f.kind for f in find_personal_data("FR76 3000 6000 0112 3456 7890 189")] == ["iban"]
    assert [f.kind for f in find_personal_data("0612345678@sfr.fr")] == ["email"]


def test_findings_are_frozen_and_masked_for_logs():
    finding = find_personal_data("Carte 4111 1111 1111 1111.")[0]
    assert finding == Finding("card_number", 6, 25, "4111 1111 1111 1111")
    with pytest.raises(AttributeError):
        finding.kind = "phone"
    assert finding.masked == "•••• •••• •••• ••11"
    assert "jean" not in find_personal_data("jean@exemple.fr")[0].masked


@pytest.mark.parametrize("text", ["", None, 42])
def test_nothing_in_empty_or_non_text(text):
    assert find_personal_data(text) == []


def test_a_long_reply_full_of_numbers():
    sentence = "Demande 102611000000042 du 12/03/2024 : 1 234,56 € réglés, SIRET 73282932000074. "
    text = (sentence * 80)[:5000]
    assert find_personal_data(text) == []
    text = text[:4000] + " Mon portable : 06 12 34 56 78."
    assert [(f.kind, f.start) for f in find_personal_data(text)] == [("phone", 4016)]


def test_warning_is_french_and_names_the_kinds():
    warning = pd.PERSONAL_DATA_WARNING
    assert warning.startswith("Votre message n'a pas été transmis au service de gestion")
    # the seed's own sentences (001, « Messagerie instantanée 4/4 »)
    assert ("Il est important de ne pas saisir de données à caractère personnel lorsque vous "
            "répondez à un message") in warning
    assert "tout message comportant des données sensibles ne sera pas traité par le service de gestion" in warning
    for word in ("coordonnées bancaires", "carte bancaire", "sécurité sociale", "téléphone",
                 "adresse électronique"):
        assert word in warning


def _nir_with_month(month: str, sex: str = "1") -> str:
    first = f"{sex}85{month}78006084"
    key = nir.calc_check_digits(first)
    return f"{first[0]} {first[1:3]} {first[3:5]} {first[5:7]} {first[7:10]} {first[10:13]} {key}"


@pytest.mark.parametrize("month, found", [
    ("00", False), ("01", True), ("12", True), ("13", False), ("19", False), ("20", True), ("21", False),
    ("29", False), ("30", True), ("42", True), ("43", False), ("49", False), ("50", True), ("99", True),
])
def test_nir_months_known_and_unknown(month, found):
    """Months 01-12, and 20, 30-42, 50-99 given when the birth month is unknown."""
    number = _nir_with_month(month)
    assert [f.kind for f in find_personal_data(f"Sécu {number}.")] == (["nir"] if found else [])


@pytest.mark.parametrize("sex, found", [("1", True), ("2", True), ("3", True), ("4", True), ("7", True),
                                        ("8", True), ("5", False), ("6", False), ("9", False)])
def test_nir_first_digit(sex, found):
    number = _nir_with_month("05", sex)
    assert [f.kind for f in find_personal_data(f"Sécu {number}.")] == (["nir"] if found else [])


# --- phones libphonenumber's matcher gives up on: runs of whole tokens (issue 21) -------------
# The matcher gives up on a number followed by more digits (« … 12 rue »): these cases are found
# by the runs alone, with their own rules (national form: 0 then 1-9, ten digits in pairs or in
# one piece, one kind of separator; « + » or « 00 » then a valid international number).

@pytest.mark.parametrize("text, excerpt", [
    ("+44 20 7946 0958 12 rue Oxford", "+44 20 7946 0958"),  # the « + » at the very start of the text
    ("Tél. +44 20 7946 0958 12 rue Oxford", "+44 20 7946 0958"),
    ("Tél. 00 44 20 7946 0958 12 rue Oxford", "00 44 20 7946 0958"),
    ("Tél. 0033 6 12 34 56 78 12 rue", "0033 6 12 34 56 78"),
    ("Tél. 06 01 23 45 67 12 rue", "06 01 23 45 67"),  # a 0 in third place is fine
    ("Tél. 06 12 34 56 78 123 rue", "06 12 34 56 78"),  # the pairs are those of the number
    ("Réf. 2024-06 12 34 56 78 12 rue", "06 12 34 56 78"),  # one separator within the number
    ("06 12 34 56 78 12 rue des Lilas, bâtiment A+", "06 12 34 56 78"),  # a « + » at the end is not its
])
def test_a_phone_followed_by_more_digits_is_found(text, excerpt):
    assert [(f.kind, f.excerpt) for f in find_personal_data(text)] == [("phone", excerpt)]
    assert pd.contains_personal_data(text)


@pytest.mark.parametrize("text", [
    "Tél. 06 12.34 56 78 12 rue",  # two kinds of separators
    "Tél. 00 0 6 12 34 56 78 12 rue",  # « 00 » then 0: no country code
    "Pièce ٣ jointe, page ١٢.",  # digits of another script
])
def test_what_runs_do_not_take_for_a_phone(text):
    assert find_personal_data(text) == []


@pytest.mark.parametrize("text", ["Tél. 06 12 34 56.78 le soir", "Mon numéro (06 12 34 56.78) le soir"])
def test_a_french_number_libphonenumber_reads_with_mixed_separators(text):
    assert [f.kind for f in find_personal_data(text)] == ["phone"]


def test_a_phone_the_matcher_found_does_not_hide_another_the_runs_found():
    text = "06 12 34 56 78 ou 06 87 65 43 21 12 rue"
    assert [f.excerpt for f in find_personal_data(text)] == ["06 12 34 56 78", "06 87 65 43 21"]


@pytest.mark.parametrize("text, excerpts", [
    ("06 12 34 56 78+44 20 7946 0958 12 rue", ["06 12 34 56 78", "+44 20 7946 0958"]),
    ("Réf. 2024-06 12 34 56 78+33612345678", ["06 12 34 56 78", "+33612345678"]),
    ("FR7630006000011234567890189+33612345678", ["FR7630006000011234567890189", "+33612345678"]),
])
def test_numbers_that_touch_without_overlapping_are_each_found(text, excerpts):
    assert [f.excerpt for f in find_personal_data(text)] == excerpts


def test_two_cards_one_after_the_other_are_both_found():
    text = "Cartes 4111 1111 1111 1111 5555 5555 5555 4444"
    assert [(f.kind, f.excerpt) for f in find_personal_data(text)] == [
        ("card_number", "4111 1111 1111 1111"), ("card_number", "5555 5555 5555 4444")]


def test_numbers_of_a_list_are_not_one_number():
    # a comma and a space are two characters: the chain breaks (each item alone is nothing)
    assert find_personal_data("Factures 4111, 1111, 1111, 1111.") == []


def test_the_rib_key_covers_the_whole_branch_code():
    assert [(f.kind, f.excerpt) for f in find_personal_data("RIB 30004 12345 00012345678 43 merci")] == [
        ("iban", "30004 12345 00012345678 43")]
    assert find_personal_data("RIB 30004 12345 00012345678 44 merci") == []


@pytest.mark.parametrize("text, kind, excerpt", [
    ("Appelez-moi au ０６ １２ ３４ ５６ ７８ svp", "phone", "０６ １２ ３４ ５６ ７８"),  # fullwidth digits
    ("رقمي ٠٦ ١٢ ٣٤ ٥٦ ٧٨ merci", "phone", "٠٦ ١٢ ٣٤ ٥٦ ٧٨"),  # Arabic-Indic digits
    ("Joignable au ＋３３ ６ １２ ３４ ５６ ７８.", "phone", "＋３３ ６ １２ ３４ ５６ ７８"),
    ("Mon IBAN : ＦＲ７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９", "iban",
     "ＦＲ７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９"),
    ("Sécu : １ ８５ ０５ ７８ ００６ ０８４ ９１", "nir", "１ ８５ ０５ ７８ ００６ ０８４ ９１"),
])
def test_numbers_written_in_other_digits_are_personal_data_too(text, kind, excerpt):
    """MS-5 is not dodged by typing (or pasting) the digits of another script: the finding's
    excerpt is what the client wrote."""
    assert [(f.kind, f.excerpt) for f in find_personal_data(text)] == [(kind, excerpt)]


def test_other_scripts_digits_do_not_make_ordinary_text_personal_data():
    assert find_personal_data("Montant : ４２０ €, le ０３／０２／２０２６, dossier n° ٤٢.") == []
