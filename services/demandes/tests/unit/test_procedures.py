"""The catalogue as each profile sees it (DM-1) and the legal form autocomplete (DM-3)."""
import pytest

from consignations_shared.errors import Forbidden, NotFound
from demandes_service import procedures

ENTREPRISE_CODES = ["SAISIE_IMMO_D", "AM_EXPERTISE_JUD_C", "AM_EXPERTISE_JUD_D", "AM_EXPERTISE_CPH_C",
                    "AM_EXPERTISE_CPH_D", "FR_EXPERTISE_CPH_C", "FR_EXPERTISE_CPH_D", "JEUX_VIDEO_C"]
PARTICULIER_CODES = ["ESM_D", "ARS_D"]


def person(profile, is_staff=False):
    return {"id": "p1", "email": "p1@example.com", "profile": profile, "is_staff": is_staff}


def codes(items):
    return [item["code"] for item in items]


def test_a_particulier_sees_the_procedures_of_particuliers():
    assert sorted(codes(procedures.list_for(person("PARTICULIER")))) == sorted(PARTICULIER_CODES)


@pytest.mark.parametrize("profile", ["ENTREPRISE", "ADMINISTRATEUR", "UTILISATEUR", "CONSULTATION"])
def test_people_of_a_company_see_the_procedures_of_companies(profile):
    assert sorted(codes(procedures.list_for(person(profile)))) == sorted(ENTREPRISE_CODES)


def test_a_gestionnaire_sees_every_procedure():
    assert sorted(codes(procedures.list_for(person("GESTIONNAIRE", is_staff=True)))) == \
        sorted(ENTREPRISE_CODES + PARTICULIER_CODES)


@pytest.mark.parametrize("who", [None, {}, "p1", {"id": "p1", "profile": "INCONNU", "is_staff": False},
                                 {"profile": "PARTICULIER"}])
def test_anyone_else_is_refused_in_french(who):
    with pytest.raises(Forbidden) as error:
        procedures.list_for(who)
    assert "démarche" in error.value.message


def test_procedures_are_plain_dicts():
    [ars] = [p for p in procedures.list_for(person("PARTICULIER")) if p["code"] == "ARS_D"]
    assert ars["sens"] == "D" and ars["audience"] == "PARTICULIER" and ars["once_only"] is True
    one = procedures.get("ARS_D")
    assert [f["name"] for f in ars["fields"]] == [f["name"] for f in one["fields"]]
    assert {k: v for k, v in one.items() if k != "fields"} == {k: v for k, v in ars.items() if k != "fields"}
    import json
    json.dumps(one)  # crosses RPC as JSON


def test_a_country_field_comes_with_the_countries_in_french():
    """The wizard offers a list (France first, then alphabetical, accents ignored), never a code to type."""
    fields = {f["name"]: f for f in procedures.get("ARS_D")["fields"]}
    countries = fields["country"]["choices"]
    assert countries[0] == {"value": "FR", "label": "France"}
    labels = [c["label"] for c in countries]
    assert {"Allemagne", "Belgique", "Émirats arabes unis", "Suisse"} <= set(labels)
    assert labels.index("Égypte") < labels.index("Émirats arabes unis") < labels.index("Équateur") < labels.index("Espagne")
    assert fields["residence_country"]["choices"] == countries
    assert all("choices" not in f for f in fields.values() if f["type"] not in ("country", "choice"))


@pytest.mark.parametrize("code", ["NOPE", None, 3, ""])
def test_an_unknown_procedure_is_not_found(code):
    with pytest.raises(NotFound):
        procedures.get(code)


def test_legal_forms_after_three_letters():
    assert procedures.legal_forms("sa") == []
    assert procedures.legal_forms(None) == []
    assert codes(procedures.legal_forms("sarl")) == ["SARL"]
