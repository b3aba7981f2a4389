"""Form checks shared by the identity flows (French message per field, all at once)."""
from __future__ import annotations

from typing import Any, Callable

from consignations_shared.errors import ValidationFailed

from .domain.passwords import check_password_policy, password_policy_error_message

PASSWORD_REQUIRED = "Le mot de passe est obligatoire."


def collect(form: dict[str, Any], checks: dict[str, Callable[..., str]], errors: dict[str, str]) -> dict[str, str]:
    """Run each field's check; values of the valid ones, messages of the others into `errors`."""
    values = {}
    for field, check in checks.items():
        try:
            values[field] = check(form.get(field), field=field)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    return values


def password_error(password: Any) -> str | None:
    if not isinstance(password, str) or not password:
        return PASSWORD_REQUIRED
    failures = check_password_policy(password)
    return password_policy_error_message(failures) if failures else None


def raise_if(errors: dict[str, str], message: str | None = None) -> None:
    if errors:
        raise ValidationFailed(message, errors)
