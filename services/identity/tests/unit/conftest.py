import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import outbox, plumbing_metadata
from identity_service.context import IdentityContext
from identity_service.domain.passwords import PasswordHasher
from identity_service.models import Base


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def ctx(clock):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    plumbing_metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield IdentityContext(
            session=session, outbox=OutboxWriter("identity", clock=clock), clock=clock,
            hasher=PasswordHasher(time_cost=1, memory_cost=1024), secret_key=b"k" * 32,
        )


@pytest.fixture
def sent(ctx):
    """sent(routing_key) -> bodies of the outbox messages with that routing key, oldest first."""
    def bodies(routing_key):
        rows = ctx.session.execute(
            select(outbox.c.body).where(outbox.c.routing_key == routing_key).order_by(outbox.c.id)).all()
        return [row.body for row in rows]
    return bodies
