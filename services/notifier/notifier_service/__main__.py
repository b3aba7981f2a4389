import consignations_shared.boot  # noqa: F401  (eventlet first: cooperative sockets and PostgreSQL)

import sys

from consignations_shared.runner import main

from notifier_service.preview import preview_command

sys.exit(main("notifier", commands={"preview": preview_command}))
