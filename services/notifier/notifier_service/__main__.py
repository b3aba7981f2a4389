import consignations_shared.boot  # noqa: F401  (eventlet + psycogreen first)

import sys

from consignations_shared.runner import main

sys.exit(main("notifier"))
