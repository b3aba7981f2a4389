"""Plumbing shared by every Consignations service.

Modules without nameko (config, clock, errors, events, outbox, plumbing, db) can be used by pure
business code and unit tests; modules named after nameko concepts (providers, consumer, rpc,
runner) wire them into services.
"""

import warnings

# eventlet warns on import that it is in maintenance mode; nameko 2.14 is built on it (a
# deliberate, documented choice of the project), so the warning is noise in every log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
