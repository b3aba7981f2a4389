"""Documents service entrypoints (thin: parse, call the use case, shape the reply)."""
from consignations_shared.health import HealthEndpoints
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock


class DocumentsService(HealthEndpoints):
    name = "documents"

    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()
    clock = ServiceClock()
