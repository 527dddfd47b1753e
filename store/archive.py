"""Content-addressed store of raw message bytes.

Every fetched message is written here before anything else happens to it, so that no later
failure can lose it. Files are named by their SHA-256, written to a temporary file, fsynced
and renamed into place (atomic on POSIX), and verified against their name when read back.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class ArchiveError(Exception):
    """A stored message is missing or its bytes no longer match their SHA-256."""


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Archive:
    """Raw bytes under ``root/ab/cd/<sha256>``; writing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ArchiveError(f"not a SHA-256 hex digest: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, raw: bytes) -> str:
        """Store ``raw`` durably and return its SHA-256."""
        sha = sha256_hex(raw)
        dest = self.path_for(sha)
        if dest.exists() and dest.stat().st_size == len(raw):
            return sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(dest.parent)
        return sha

    def get(self, sha: str) -> bytes:
        """The stored bytes, verified against their SHA-256."""
        path = self.path_for(sha)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ArchiveError(f"archived message {sha} is missing") from None
        if sha256_hex(raw) != sha:
            raise ArchiveError(f"archived message {sha} is corrupt (SHA-256 mismatch)")
        return raw

    def exists(self, sha: str) -> bool:
        return self.path_for(sha).is_file()


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
