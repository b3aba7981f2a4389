"""Import first in a service process: cooperative I/O for eventlet, PostgreSQL included.

eventlet's monkey_patch() also installs psycopg2's wait callback (eventlet.support.
psycopg2_patcher, the mechanism psycogreen packages), so a query waits on the hub instead of
blocking the whole process: two slow queries of two workers overlap
(shared/tests/integration/test_db_green.py).
"""
import eventlet

eventlet.monkey_patch()

import psycopg2.extensions  # noqa: E402

if psycopg2.extensions.get_wait_callback() is None:  # pragma: no cover - eventlet without it
    raise RuntimeError("psycopg2 is not cooperative under eventlet: PostgreSQL would block the hub")
