"""Demandes service entrypoints (thin: parse, call the use case, shape the reply)."""
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock


class DemandesService(HealthEndpoints):
    name = "demandes"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
