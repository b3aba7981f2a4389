"""Every payload type, one module per producing service; importing this package fills the
registry of `contracts.messages`."""
from . import accounts  # noqa: F401
from . import documents  # noqa: F401
from . import demandes  # noqa: F401
