"""Storage under server-made names, checked against the SHA-256 taken at upload (DO-6)."""
import hashlib
import io
import re

import pytest

from documents_service.storage import LocalStorage, TamperedContent, check_key, verified_copy


def test_local_storage_uses_random_names_and_reports_size_and_hash(tmp_path):
    storage = LocalStorage(tmp_path)
    data = b"%PDF-1.7 contenu"
    stored = storage.put(io.BytesIO(data))
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    check_key(stored.key)
    assert storage.put(io.BytesIO(data)).key != stored.key
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 2
    assert all(re.fullmatch(r"[0-9a-f]{40}", p.name) and p.parent.name == p.name[:2] for p in files)
    assert (storage.path(stored.key).stat().st_mode & 0o777) == 0o600
    with storage.open(stored.key) as handle:
        assert handle.read() == data


def test_keys_never_come_from_outside(tmp_path):
    storage = LocalStorage(tmp_path)
    for key in ("../../etc/passwd", "ab/../../x", "/etc/passwd", "AB/" + "0" * 40, ""):
        with pytest.raises(ValueError):
            storage.path(key)


def test_verified_copy_serves_intact_bytes_and_refuses_altered_ones(tmp_path):
    storage = LocalStorage(tmp_path)
    data = b"x" * 200_000
    stored = storage.put(io.BytesIO(data))
    with verified_copy(storage, stored.key, stored.sha256, stored.size) as copy:
        assert copy.read() == data
    path = storage.path(stored.key)
    altered = bytearray(path.read_bytes())
    altered[100_000] ^= 1  # one bit
    path.write_bytes(bytes(altered))
    with pytest.raises(TamperedContent):
        verified_copy(storage, stored.key, stored.sha256, stored.size)
    path.unlink()
    with pytest.raises(TamperedContent):
        verified_copy(storage, stored.key, stored.sha256, stored.size)


def test_delete_forgets_the_file(tmp_path):
    storage = LocalStorage(tmp_path)
    stored = storage.put(io.BytesIO(b"abc"))
    storage.delete(stored.key)
    storage.delete(stored.key)  # idempotent
    with pytest.raises(TamperedContent):
        storage.open(stored.key)
