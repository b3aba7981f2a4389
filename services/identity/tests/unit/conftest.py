import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from consignations_shared.clock import FrozenClock
from consignations_shared.outbox import OutboxWriter
from consignations_shared.plumbing import plumbing_metadata
from consignations_shared.testing import outbox_bodies
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
    return lambda routing_key: outbox_bodies(ctx.session, routing_key)
