"""Small services used by the plumbing tests (a publisher, a subscriber, RPC caller/callee)."""
import eventlet
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from consignations_shared.consumer import consume_event
from consignations_shared.idempotency import first_delivery
from consignations_shared.providers import Correlation, DatabaseSession, Outbox, ServiceClock
from consignations_shared.rpc import TimedRpcProxy, rpc


class Base(DeclarativeBase):
    pass


class Effect(Base):
    __tablename__ = "effects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(String(100))


class PublisherService:
    name = "testpub"
    correlation = Correlation()
    db = DatabaseSession()
    outbox = Outbox()

    @rpc
    def record(self, note, commit=True):
        self.db.add(Effect(event_id="-", note=note))
        envelope = self.outbox.event(self.db, "thing_happened", {"note": note})
        if commit:
            self.db.commit()
        else:
            self.db.rollback()
        return envelope.to_dict()

    @rpc
    def send_secret(self, code):
        self.outbox.command(self.db, "testsub", "use_secret", {"code": code})
        self.db.commit()


class SubscriberService:
    name = "testsub"
    correlation = Correlation()
    db = DatabaseSession()
    clock = ServiceClock()

    @consume_event("testpub", "thing_happened")
    def on_thing(self, envelope):
        if envelope.payload.get("note") == "poison":
            raise ValueError("this event always fails")
        if first_delivery(self.db, "testsub.on_thing", envelope.event_id, self.clock.now()):
            self.db.add(Effect(event_id=envelope.event_id, note=envelope.payload["note"]))
            self.db.commit()

    @rpc
    def effects(self):
        return [
            {"event_id": e.event_id, "note": e.note}
            for e in self.db.execute(select(Effect).order_by(Effect.id)).scalars()
        ]

    @rpc
    def effect_count(self):
        return self.db.execute(select(func.count()).select_from(Effect)).scalar_one()


class SlowService:
    name = "slowpoke"
    correlation = Correlation()

    @rpc
    def wait(self, seconds):
        eventlet.sleep(seconds)
        return self.correlation


class CallerService:
    name = "caller"
    correlation = Correlation()
    slowpoke = TimedRpcProxy("slowpoke", timeout=0.5)

    @rpc
    def call_slow(self, seconds):
        return {"callee_saw": self.slowpoke.wait(seconds), "caller_saw": self.correlation}
