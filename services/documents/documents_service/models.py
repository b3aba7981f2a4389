"""Documents database tables. The plumbing tables (outbox, processed events) come from the shared library."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
