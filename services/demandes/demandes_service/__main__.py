import consignations_shared.boot  # noqa: F401  (eventlet first: cooperative sockets and PostgreSQL)

import sys

from consignations_shared.runner import main

from demandes_service.cli import COMMANDS

sys.exit(main("demandes", commands=COMMANDS))
