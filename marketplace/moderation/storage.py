"""Upload storage for appeal attachments: a small interface, a local-folder adapter, and content checks."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app

from ..core.errors import NotFound, ValidationFailed

# Types sniffed from the first bytes; the browser's claimed type is never trusted.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
)
_KEY = re.compile(r"^[a-f0-9]{32}\.(png|jpg|gif|webp|pdf)$")


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image or PDF, judged by its content; None for anything else."""
    for signature, content_type, extension in _SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


@dataclass(frozen=True)
class StoredFile:
    key: str
    content_type: str
    size_bytes: int
    sha256: str


class Storage(Protocol):
    def save(self, data: bytes, extension: str) -> str: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files in one folder under the instance folder, named by a random key (never by the uploader's name)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise NotFound("No such attachment.")
        return self.root / key

    def save(self, data: bytes, extension: str) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        key = f"{secrets.token_hex(16)}.{extension}"
        path = self._path(key)
        path.write_bytes(data)
        path.chmod(0o600)
        return key

    def read(self, key: str) -> bytes:
        path = self._path(key)
        if not path.exists():
            raise NotFound("That attachment is no longer stored.")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def appeal_storage() -> Storage:
    return LocalStorage(Path(current_app.config["UPLOAD_DIR"]) / "appeals")


def check_and_store(storage: Storage, filename: str, data: bytes, *, max_bytes: int) -> StoredFile:
    """Refuse empty, oversized or non-image/PDF files with a message naming the file; store the rest."""
    name = filename or "attachment"
    if not data:
        raise ValidationFailed(f"{name} is empty.", field="attachments")
    if len(data) > max_bytes:
        raise ValidationFailed(f"{name} is larger than {max_bytes // (1024 * 1024)} MB; attach a smaller file.",
                               field="attachments")
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed(f"{name} is not a PNG, JPEG, GIF or WebP image or a PDF.", field="attachments")
    content_type, extension = kind
    key = storage.save(data, extension)
    return StoredFile(key=key, content_type=content_type, size_bytes=len(data),
                      sha256=hashlib.sha256(data).hexdigest())
