"""Where document bytes live (SPEC DO-6): outside the database, under names the server makes.

`Storage` is the interface: `put(stream)` stores a stream under a new random key and returns
(key, size, sha256); `open(key)` returns a readable binary stream; `delete(key)` forgets it.
`LocalStorage` (default) keeps files under `<CONSIGNATIONS_VAR_DIR>/documents/`; `S3Storage`
uses an S3-compatible object store (boto3) when `DOCUMENTS_STORAGE=s3`:
`DOCUMENTS_S3_BUCKET`, `DOCUMENTS_S3_ENDPOINT_URL` (optional: AWS otherwise),
`DOCUMENTS_S3_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`.

No client-supplied name ever reaches a path or an object key. `verified_copy` reads a stored
object while hashing it and hands back a spooled copy only when the SHA-256 recorded at upload
matches: a file changed behind the service's back is reported (TamperedContent), never served.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{40}$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


class TamperedContent(Exception):
    """The stored bytes no longer match the SHA-256 recorded at upload (or are gone)."""


class Storage(Protocol):
    backend: str

    def put(self, stream: BinaryIO) -> StoredObject: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


def new_key() -> str:
    token = secrets.token_hex(20)
    return f"{token[:2]}/{token}"


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files under `root`, named by 160 random bits, written to a temporary name, flushed to
    disk, then renamed into place (a crash never leaves a half-written document)."""

    backend = "local"

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, stream: BinaryIO) -> StoredObject:
        key = new_key()
        target = self.path(key)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredObject(key, size, digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError as exc:
            raise TamperedContent(f"{key} is missing") from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in one bucket of an S3-compatible store; the key is the same random name."""

    backend = "s3"

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "documents/"):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1",
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          connect_timeout=5, read_timeout=30, s3={"addressing_style": "path"}),
        )

    def _object(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, stream: BinaryIO) -> StoredObject:
        key = new_key()
        digest, size = hashlib.sha256(), 0

        class _Hashing:
            def read(self, n=-1):
                nonlocal size
                chunk = stream.read(n)
                digest.update(chunk)
                size += len(chunk)
                return chunk

        # Single-part upload below the threshold: the hash is over what was sent, once.
        from boto3.s3.transfer import TransferConfig

        self.client.upload_fileobj(
            _Hashing(), self.bucket, self._object(key),
            ExtraArgs={"ContentType": "application/octet-stream"},
            Config=TransferConfig(multipart_threshold=64 * 1024 * 1024, use_threads=False),
        )
        return StoredObject(key, size, digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise TamperedContent(f"{key} is missing") from exc
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)


def storage_from_settings(settings) -> Storage:
    backend = (settings.get("DOCUMENTS_STORAGE") or "local").lower()
    if backend == "local":
        return LocalStorage(settings.get("DOCUMENTS_STORAGE_DIR") or Path(settings.var_dir) / "documents")
    if backend == "s3":
        bucket = settings.get("DOCUMENTS_S3_BUCKET")
        if not bucket:
            raise RuntimeError("DOCUMENTS_STORAGE=s3 needs DOCUMENTS_S3_BUCKET")
        return S3Storage(
            bucket, endpoint_url=settings.get("DOCUMENTS_S3_ENDPOINT_URL"),
            region=settings.get("DOCUMENTS_S3_REGION"), access_key=settings.get("AWS_ACCESS_KEY_ID"),
            secret_key=settings.get("AWS_SECRET_ACCESS_KEY"),
        )
    raise RuntimeError(f"DOCUMENTS_STORAGE must be local or s3, not {backend!r}")


def verified_copy(storage: Storage, key: str, sha256: str, size: int | None = None,
                  spool_dir: str | None = None) -> BinaryIO:
    """A rewound copy of the stored bytes, checked against the SHA-256 taken at upload."""
    digest, read = hashlib.sha256(), 0
    copy = tempfile.SpooledTemporaryFile(max_size=1024 * 1024, dir=spool_dir)
    try:
        source = storage.open(key)
        try:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                read += len(chunk)
                copy.write(chunk)
        finally:
            source.close()
        if digest.hexdigest() != sha256 or (size is not None and read != size):
            raise TamperedContent(f"{key}: stored bytes do not match the recorded SHA-256")
        copy.seek(0)
        return copy
    except BaseException:
        copy.close()
        raise
