"""Documents-specific dependency providers: storage, worker processes, signing identity, the
internal token of the HTTP API, and per-key locks of generated documents."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from consignations_shared.config import settings_of
from consignations_shared.grants import secret_from_file

from .signing import signer_description, signing_material
from .storage import storage_from_settings
from .workers import DEFAULT_NICE, WorkerPool, default_worker_count

TOKEN_FILE = "documents.token"


def load_internal_token(settings) -> str:
    """DOCUMENTS_INTERNAL_TOKEN, or a token generated once into <var>/documents.token (the
    gateway reads the same file on the embedded default)."""
    configured = settings.get("DOCUMENTS_INTERNAL_TOKEN")
    if configured:
        return configured.strip()
    return secret_from_file(Path(settings.var_dir) / TOKEN_FILE)


class KeyedLocks:
    """One green lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self):
        self._locks: dict[str, list] = {}

    @contextmanager
    def hold(self, key: str):
        entry = self._locks.setdefault(key, [Semaphore(1), 0])
        entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)


def renderer_count(settings) -> int:
    """The worker processes of the pool (DOCUMENTS_WORKERS, by default cores − 1): also how many
    summary commands the service takes from its queue at a time."""
    return int(settings.get("DOCUMENTS_WORKERS") or default_worker_count())


class DocumentsRuntime(DependencyProvider):
    """Everything the use cases need besides the database, built once per service instance."""

    def setup(self):
        settings = settings_of(self.container)
        self.settings = settings
        self.storage = storage_from_settings(settings)
        self.work_dir = Path(settings.get("DOCUMENTS_WORK_DIR") or Path(settings.var_dir) / "documents-work")
        self.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.internal_token = load_internal_token(settings)
        self.signing = signing_material(settings)
        self.signer = signer_description(self.signing)
        self.workers = WorkerPool(
            size=renderer_count(settings),
            timeout=float(settings.get("DOCUMENTS_WORKER_TIMEOUT") or 120),
            nice=int(settings.get("DOCUMENTS_WORKER_NICE") or DEFAULT_NICE),
        )
        self.locks = KeyedLocks()

    def start(self):
        self.workers.start()

    def stop(self):
        self.workers.stop()

    def kill(self):
        self.workers.stop()

    def get_dependency(self, worker_ctx):
        return self
