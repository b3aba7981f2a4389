"""The outbox relay against the real broker and both databases of the services (SQLite, the
embedded default, and PostgreSQL): a batch is published in order and marked in one statement that
also scrubs its private rows; a broker that lost the exchanges gets them declared again and nothing
written meanwhile is lost."""
from __future__ import annotations

import pytest
from amqp.exceptions import NotFound
from kombu import Connection
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.events import COMMANDS_EXCHANGE, EVENTS_EXCHANGE
from consignations_shared.outbox import OutboxRelay, OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, postgres_database):
    url = f"sqlite:///{tmp_path / 'relay.db'}" if request.param == "sqlite" else postgres_database("relay")
    made = create_engine(url)
    plumbing_metadata.create_all(made)
    yield made
    made.dispose()


def write(engine, *messages: tuple[str, str, dict]) -> list[str]:
    """Commit ("event" | "command", name, payload) messages from the service `relaytest`."""
    writer = OutboxWriter("relaytest")
    with Session(engine) as session:
        ids = [(writer.event(session, name, payload) if kind == "event" else
                writer.command(session, "relaytarget", name, payload)).event_id
               for kind, name, payload in messages]
        session.commit()
    return ids


def stored(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        return {row.event_id: (row.body, row.published_at is not None)
                for row in connection.execute(select(outbox.c.event_id, outbox.c.body, outbox.c.published_at))}


def test_a_batch_is_published_in_order_and_its_private_rows_scrubbed_in_the_same_statement(engine, amqp_uri, spy):
    events = spy(EVENTS_EXCHANGE, "relaytest.#")
    codes = spy(COMMANDS_EXCHANGE, "relaytarget.send_code")
    first, code, last = write(engine, ("event", "thing_happened", {"note": "first"}),
                              ("command", "send_code", {"code": "482913"}),
                              ("event", "thing_happened", {"note": "last"}))
    relay = OutboxRelay(engine, amqp_uri)
    try:
        assert relay.publish_pending() == 3
        assert relay.publish_pending() == 0  # all marked published
    finally:
        relay.close()

    assert [(b["event_id"], b["payload"]) for b in events.wait_for(2)] == [
        (first, {"note": "first"}), (last, {"note": "last"})]
    assert [(b["event_id"], b["payload"]) for b in codes.wait_for(1)] == [(code, {"code": "482913"})]
    rows = stored(engine)
    assert all(published for _, published in rows.values())
    assert rows[first][0]["payload"] == {"note": "first"} and rows[last][0]["payload"] == {"note": "last"}
    scrubbed = rows[code][0]
    assert scrubbed["payload"] == {"scrubbed": True}
    # The rest of the envelope is kept: what was sent, when and to whom can still be told.
    assert (scrubbed["event_id"], scrubbed["type"], scrubbed["source"]) == (code, "send_code", "relaytest")


def test_a_batch_without_private_rows_keeps_every_body(engine, amqp_uri, spy):
    events = spy(EVENTS_EXCHANGE, "relaytest.#")
    [only] = write(engine, ("event", "thing_happened", {"note": "kept"}))
    relay = OutboxRelay(engine, amqp_uri)
    try:
        assert relay.publish_pending() == 1
    finally:
        relay.close()
    assert [b["event_id"] for b in events.wait_for(1)] == [only]
    body, published = stored(engine)[only]
    assert published and body["payload"] == {"note": "kept"}


def test_exchanges_lost_by_the_broker_are_declared_again_and_the_refused_batch_waits_in_the_outbox(engine, amqp_uri):
    relay = OutboxRelay(engine, amqp_uri)
    try:
        write(engine, ("event", "thing_happened", {"note": "before"}))
        assert relay.publish_pending() == 1  # connection made, exchanges declared
        with Connection(amqp_uri) as connection:  # a broker reset: the exchange is gone
            connection.default_channel.exchange_delete(EVENTS_EXCHANGE)
        [after] = write(engine, ("event", "thing_happened", {"note": "after"}))
        with pytest.raises(NotFound):
            relay.publish_pending()  # the broker refuses the publish: the batch stays unpublished
        assert stored(engine)[after][1] is False
        # Nobody else declares it: the relay's next connection does, then publishes the batch.
        assert relay.publish_pending() == 1
    finally:
        relay.close()
    assert stored(engine)[after][1] is True
    with Connection(amqp_uri) as connection:
        connection.default_channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True, passive=True)
