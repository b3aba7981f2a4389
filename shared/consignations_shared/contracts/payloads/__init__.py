"""Every payload type, one module per producing service; importing this package fills the
registry of `contracts.messages`."""
from . import accounts, identity  # noqa: F401
