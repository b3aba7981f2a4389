"""Domain errors survive nameko's RPC serialisation; settings come from the environment."""
from nameko.exceptions import deserialize, serialize

import consignations_shared.rpc  # noqa: F401  (registers the domain errors)
from consignations_shared.config import load_settings
from consignations_shared.errors import NotFound, ValidationFailed


def test_validation_error_crosses_rpc_with_its_fields():
    original = ValidationFailed("Informations invalides.", {"email": "Adresse courriel invalide."})
    rebuilt = deserialize(serialize(original))
    assert type(rebuilt) is ValidationFailed
    assert rebuilt.message == "Informations invalides."
    assert rebuilt.fields == {"email": "Adresse courriel invalide."}
    assert rebuilt.status == 422


def test_default_french_message():
    assert NotFound().message == "L'élément demandé est introuvable."
    assert type(deserialize(serialize(NotFound()))) is NotFound


def test_settings_default_to_embedded_sqlite(tmp_path):
    settings = load_settings("identity", {"CONSIGNATIONS_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/identity.db"
    assert settings.http_address == "127.0.0.1:8101"
    assert settings.amqp_uri == "amqp://guest:guest@127.0.0.1:5672/"


def test_settings_read_the_service_own_variables(tmp_path):
    settings = load_settings("accounts", {
        "CONSIGNATIONS_VAR_DIR": str(tmp_path),
        "ACCOUNTS_DATABASE_URL": "postgresql+psycopg2://db/accounts",
        "IDENTITY_DATABASE_URL": "postgresql+psycopg2://db/identity",
        "EVENT_RETRY_DELAYS": "0.5,2",
    })
    assert settings.database_url == "postgresql+psycopg2://db/accounts"
    assert settings.event_retry_delays == (0.5, 2.0)
    assert settings.event_max_attempts == 3


def test_specific_code_crosses_rpc():
    from consignations_shared.errors import Forbidden

    rebuilt = deserialize(serialize(Forbidden("Votre compte est expiré.", None, "access_expired")))
    assert (type(rebuilt), rebuilt.code, rebuilt.status) == (Forbidden, "access_expired", 403)
    assert Forbidden().code == "forbidden"


def test_error_without_specific_code_keeps_its_class_code_across_rpc():
    rebuilt = deserialize(serialize(ValidationFailed(None, {"email": "x"})))
    assert rebuilt.code == "validation_failed" and rebuilt.message == ValidationFailed.default_message
