"""Backend factories: settings come as a plain dict of strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifier_service.delivery import (
    BackendConfigurationError,
    HttpSmsBackend,
    OutboxEmailBackend,
    OutboxSmsBackend,
    SmtpEmailBackend,
    build_email_backend,
    build_sms_backend,
)


def test_outbox_is_the_default(tmp_path):
    email_backend = build_email_backend({"NOTIFIER_OUTBOX_DIR": str(tmp_path)})
    sms_backend = build_sms_backend({"NOTIFIER_OUTBOX_DIR": str(tmp_path)})
    assert isinstance(email_backend, OutboxEmailBackend)
    assert isinstance(sms_backend, OutboxSmsBackend)
    assert email_backend.directory == tmp_path == sms_backend.directory


def test_outbox_dir_falls_back_to_var_dir(tmp_path):
    backend = build_email_backend({"NOTIFIER_EMAIL_BACKEND": "outbox",
                                   "CONSIGNATIONS_VAR_DIR": str(tmp_path)})
    assert backend.directory == Path(tmp_path) / "outbox"


def test_outbox_without_directory_is_an_error():
    with pytest.raises(BackendConfigurationError, match="NOTIFIER_OUTBOX_DIR"):
        build_email_backend({"NOTIFIER_OUTBOX_DIR": ""})
    with pytest.raises(BackendConfigurationError, match="NOTIFIER_OUTBOX_DIR"):
        build_sms_backend({})


def test_smtp_backend_from_settings():
    backend = build_email_backend(
        {
            "NOTIFIER_EMAIL_BACKEND": "SMTP",
            "SMTP_HOST": "smtp.exemple.fr",
            "SMTP_PORT": "587",
            "SMTP_USER": "notifier",
            "SMTP_PASSWORD": "s3cret!",
            "SMTP_STARTTLS": "true",
        }
    )
    assert isinstance(backend, SmtpEmailBackend)
    assert (backend.host, backend.port, backend.username, backend.password, backend.starttls) == (
        "smtp.exemple.fr", 587, "notifier", "s3cret!", True,
    )
    assert "s3cret!" not in repr(backend)


def test_smtp_defaults():
    backend = build_email_backend({"NOTIFIER_EMAIL_BACKEND": "smtp"})
    assert (backend.host, backend.port, backend.username, backend.starttls) == (
        "127.0.0.1", 25, None, False,
    )


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"NOTIFIER_EMAIL_BACKEND": "sendmail"}, "NOTIFIER_EMAIL_BACKEND"),
        ({"NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_PORT": "twenty-five"}, "SMTP_PORT"),
        ({"NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"NOTIFIER_EMAIL_BACKEND": "smtp", "SMTP_PASSWORD": "x"}, "SMTP_USER"),
    ],
)
def test_invalid_email_settings(settings, message):
    with pytest.raises(BackendConfigurationError, match=message):
        build_email_backend(settings)


@pytest.mark.parametrize("value", ["twilio", "smtp"])
def test_unknown_sms_backend(tmp_path, value):
    with pytest.raises(BackendConfigurationError, match="unknown NOTIFIER_SMS_BACKEND"):
        build_sms_backend({"NOTIFIER_SMS_BACKEND": value, "NOTIFIER_OUTBOX_DIR": str(tmp_path)})


def test_http_sms_backend_from_settings():
    backend = build_sms_backend({
        "NOTIFIER_SMS_BACKEND": "HTTP", "SMS_HTTP_URL": "https://sms.exemple.fr/v1/messages",
        "SMS_HTTP_TOKEN": "t0k3n-secret", "SMS_HTTP_TIMEOUT": "2.5",
    })
    assert isinstance(backend, HttpSmsBackend)
    assert (backend.url, backend.timeout) == ("https://sms.exemple.fr/v1/messages", 2.5)
    assert "t0k3n-secret" not in repr(backend)
    assert build_sms_backend({"NOTIFIER_SMS_BACKEND": "http", "SMS_HTTP_URL": "http://127.0.0.1:9/sms",
                              "SMS_HTTP_TOKEN": "t"}).timeout == 10.0


@pytest.mark.parametrize("settings, message", [
    ({}, "SMS_HTTP_URL"),
    ({"SMS_HTTP_URL": "https://sms.exemple.fr/send"}, "SMS_HTTP_TOKEN"),
    ({"SMS_HTTP_URL": "ftp://sms.exemple.fr/send", "SMS_HTTP_TOKEN": "t"}, "SMS_HTTP_URL"),
    ({"SMS_HTTP_URL": "https://sms.exemple.fr/send", "SMS_HTTP_TOKEN": "t", "SMS_HTTP_TIMEOUT": "soon"},
     "SMS_HTTP_TIMEOUT"),
    ({"SMS_HTTP_URL": "https://sms.exemple.fr/send", "SMS_HTTP_TOKEN": "t", "SMS_HTTP_TIMEOUT": "0"},
     "SMS_HTTP_TIMEOUT"),
])
def test_invalid_http_sms_settings(settings, message):
    with pytest.raises(BackendConfigurationError, match=message):
        build_sms_backend({"NOTIFIER_SMS_BACKEND": "http", **settings})


def test_configuration_error_is_a_value_error():
    assert issubclass(BackendConfigurationError, ValueError)
