"""Durability barriers: one flush to stable storage for a whole batch instead of one per file.

A batch of archived files needs its bytes on disk before their final names exist, and the names
on disk before the server forgets the mail. ``fsync`` per file and per directory costs a disk
flush each (milliseconds apiece, for every message); Linux's ``syncfs`` flushes the whole file
system once, which is the same guarantee for every file of the batch. Where ``syncfs`` is
missing, files and directories are fsynced one by one.

SQLite runs with ``synchronous=NORMAL`` in WAL mode: a commit is safe against a crash of the
process but not of the machine until the WAL is synced. ``sync_database`` is that sync, done
once per batch before the batch's mail is marked processed on the server.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.engine import Engine


def _libc_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return func


_SYNCFS: Callable[[int], int] | None = None
_LOOKED_UP = False


def _syncfs_call() -> Callable[[int], int] | None:
    """libc's syncfs, looked up on first use (nothing is loaded at import time)."""
    global _SYNCFS, _LOOKED_UP
    if not _LOOKED_UP:
        _SYNCFS, _LOOKED_UP = _libc_syncfs(), True
    return _SYNCFS


def fsync_path(path: Path) -> None:
    """fsync one file or directory (a directory's fsync makes a rename in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(anchor: Path) -> bool:
    """Flush the file system holding ``anchor`` to stable storage; False when the call is unavailable."""
    call = _syncfs_call()
    if call is None:
        return False
    fd = os.open(anchor, os.O_RDONLY)
    try:
        if call(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs: {os.strerror(err)}")
    finally:
        os.close(fd)
    return True


def barrier(anchor: Path, paths: Iterable[Path]) -> None:
    """Everything written under ``anchor``'s file system is on disk: one syncfs, else fsync of each path."""
    if syncfs(anchor):
        return
    for path in paths:
        try:
            fsync_path(path)
        except OSError:
            if not path.is_dir():  # some file systems refuse to fsync a directory: nothing more to do there
                raise


def sync_database(engine: Engine) -> None:
    """Make every committed SQLite transaction durable (fsync of the WAL); PostgreSQL's commits already are."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    wal = Path(f"{engine.url.database}-wal")
    if wal.exists():
        fsync_path(wal)
