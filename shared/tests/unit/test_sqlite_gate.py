"""The embedded SQLite default under eventlet: a transaction waiting for another one of the same
process waits cooperatively (the hub keeps running, the holder finishes), instead of SQLite's
blocking busy wait freezing the whole process until its timeout."""
import eventlet
from sqlalchemy import text

from consignations_shared.db import dispose_engine, get_engine


def test_a_second_transaction_waits_without_freezing_the_process(tmp_path):
    url = f"sqlite:///{tmp_path}/gate.db"
    engine = get_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        order, ticks = [], []

        def holder():
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
                order.append("holder in")
                eventlet.sleep(0.3)  # other green threads run meanwhile
                order.append("holder out")

        def waiter():
            eventlet.sleep(0.05)
            with engine.begin() as conn:
                order.append("waiter in")
                conn.execute(text("INSERT INTO t VALUES (2)"))

        def ticker():
            for _ in range(5):
                ticks.append(len(order))
                eventlet.sleep(0.05)

        threads = [eventlet.spawn(f) for f in (holder, waiter, ticker)]
        for thread in threads:
            thread.wait()
        assert order == ["holder in", "holder out", "waiter in"]
        assert len(ticks) == 5 and ticks[-1] == 1  # the hub ran while the waiter waited
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        dispose_engine(url)


def test_a_failed_transaction_gives_the_turn_back(tmp_path):
    url = f"sqlite:///{tmp_path}/gate.db"
    engine = get_engine(url)
    try:
        try:
            with engine.begin() as conn:
                conn.execute(text("SELECT nonsense FROM nowhere"))
        except Exception:
            pass
        with engine.begin() as conn:  # would wait 30 s if the failed one kept the turn
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        dispose_engine(url)
