"""The embedded SQLite default under eventlet: a transaction waiting for another one of the same
process waits cooperatively (the hub keeps running, the holder finishes), instead of SQLite's
blocking busy wait freezing the whole process until its timeout."""
import eventlet
import eventlet.event
from sqlalchemy import text

from consignations_shared.db import dispose_engine, get_engine


def test_a_second_transaction_waits_without_freezing_the_process(tmp_path):
    """No clock involved: the holder keeps its transaction open until another green thread has
    run while the waiter was inside ``begin()``. If the waiter's wait blocked the hub (SQLite's
    busy wait), that green thread could never run, the holder never finish, and the waiter would
    fail with « database is locked » after the busy timeout."""
    url = f"sqlite:///{tmp_path}/gate.db"
    engine = get_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        order = []
        holder_in, hub_ran = eventlet.event.Event(), eventlet.event.Event()

        def holder():
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
                order.append("holder in")
                holder_in.send()
                hub_ran.wait()  # released only by a green thread that ran during the waiter's wait
                order.append("holder out")

        def waiter():
            holder_in.wait()
            order.append("waiter trying")
            with engine.begin() as conn:  # the first yield of this thread is in here
                order.append("waiter in")
                conn.execute(text("INSERT INTO t VALUES (2)"))

        def bystander():
            while "waiter trying" not in order:
                eventlet.sleep(0)
            # The waiter has yielded from inside begin(): it is waiting, and the hub runs.
            order.append("hub ran")
            hub_ran.send()

        threads = [eventlet.spawn(f) for f in (holder, waiter, bystander)]
        for thread in threads:
            thread.wait()
        assert order == ["holder in", "waiter trying", "hub ran", "holder out", "waiter in"]
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
