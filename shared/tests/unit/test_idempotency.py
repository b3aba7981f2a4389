"""first_delivery (SPEC EV-3): an event's effect once per consumer, in the handler's transaction."""
from datetime import datetime, timezone

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from consignations_shared.idempotency import first_delivery
from consignations_shared.plumbing import plumbing_metadata, processed_events

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def test_once_per_consumer_and_event_and_only_if_its_transaction_commits(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/events.db")
    plumbing_metadata.create_all(engine)
    with Session(engine) as session:
        assert first_delivery(session, "notifier.x", "e1", NOW) is True
        assert first_delivery(session, "notifier.x", "e1", NOW) is False  # redelivered
        assert first_delivery(session, "demandes.x", "e1", NOW) is True  # another consumer of it
        session.rollback()  # the handler failed: nothing recorded
        assert first_delivery(session, "notifier.x", "e1", NOW) is True
        session.commit()
        assert first_delivery(session, "notifier.x", "e1", NOW) is False
        assert first_delivery(session, "notifier.x", "e2", NOW) is True
        session.commit()
        rows = session.execute(select(processed_events.c.consumer, processed_events.c.event_id,
                                      processed_events.c.processed_at).order_by(processed_events.c.event_id)).all()
        assert [(c, e) for c, e, _ in rows] == [("notifier.x", "e1"), ("notifier.x", "e2")]
        assert session.execute(select(func.count()).select_from(processed_events)).scalar_one() == 2
