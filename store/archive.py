"""Content-addressed store of raw message bytes.

Every fetched message is written here before anything else happens to it, so that no later
failure can lose it. Files are named by their SHA-256, written to a temporary file, flushed to
disk and renamed into place (atomic on POSIX), and verified against their name when read back.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from store.durable import barrier


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
        return self.put_many([raw])[0]

    def put_many(self, raws: list[bytes]) -> list[str]:
        """Store a batch durably; return the SHA-256 of each, in order.

        All files are written first, then made durable with one barrier (one ``syncfs`` of the
        archive's file system, or an fsync per file where that call is missing), then renamed,
        then the renames made durable with a second barrier. A file only gets its final name
        once its bytes are on disk, so a crash never leaves a short file there.
        """
        shas = [sha256_hex(raw) for raw in raws]
        pending: dict[Path, Path] = {}  # final path -> temporary file, on disk before renaming
        parents: set[Path] = set()
        try:
            for sha, raw in zip(shas, raws, strict=True):
                dest = self.path_for(sha)
                if dest in pending or (dest.exists() and dest.stat().st_size == len(raw)):
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                pending[dest] = _write_unsynced(dest.parent, raw)
            if pending:
                barrier(self.root, pending.values())
            for dest, tmp in list(pending.items()):
                os.replace(tmp, dest)
                parents.add(dest.parent)
                del pending[dest]
        finally:
            for tmp in pending.values():
                tmp.unlink(missing_ok=True)
        if parents:
            barrier(self.root, sorted(parents | {p.parent for p in parents}))
        return shas

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


def _write_unsynced(directory: Path, raw: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
