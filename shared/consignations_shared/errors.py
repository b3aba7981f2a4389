"""Domain errors shared by every service, mapped by the gateway to SPEC GW-3 JSON errors.

They carry a French message for the person and optional per-field messages. They cross nameko
RPC intact (see consignations_shared.rpc.register_domain_errors), so the gateway can answer with
the right status and text without knowing each service's rules.
"""
from __future__ import annotations

import math


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = "La requête est invalide."

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None,
                 code: str | None = None):
        message = message or self.default_message
        fields = dict(fields or {})
        # Only what was given crosses RPC (nameko turns a None argument into the text "None").
        super().__init__(message, fields, *([code] if code else []))
        self.message = message
        self.fields = fields
        if code:
            self.code = code  # a more precise reason than the class's (e.g. "access_expired")

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    default_message = "Certaines informations saisies sont invalides."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = "Vous devez vous connecter pour accéder à cette page."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = "Vous n'avez pas les droits nécessaires pour cette action."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "L'élément demandé est introuvable."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "Cette action n'est pas possible dans l'état actuel."


class Gone(DomainError):
    status = 410
    code = "gone"
    default_message = "Ce lien ou ce code n'est plus valable."


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = "Trop de tentatives. Veuillez réessayer plus tard."
    default_retry_after = 60  # seconds, when the rule does not know better

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None,
                 code: str | None = None, retry_after: int | float | str | None = None):
        super().__init__(message, fields, code)
        try:
            seconds = math.ceil(float(retry_after))
        except (TypeError, ValueError):  # absent, or nameko's text "None"
            seconds = self.default_retry_after
        # Seconds after which the same action would be accepted (the gateway's Retry-After);
        # it crosses RPC as the 4th argument.
        self.retry_after = max(1, seconds)
        self.args = (self.message, self.fields, self.code, self.retry_after)


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    default_message = (
        "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."
    )


DOMAIN_ERRORS = (
    DomainError, ValidationFailed, Unauthenticated, Forbidden, NotFound, Conflict, Gone,
    TooManyRequests, ServiceUnavailable,
)
