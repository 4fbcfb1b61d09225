"""One small least-recently-used cache that threads can share.

The web server answers requests on several threads, and the boundary solver and the
chart images each keep one cache for the whole process, so every read and write takes
a lock: cachetools' LRUCache reorders itself on every read and is not safe unguarded.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from cachetools import LRUCache

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class SharedLRU(Generic[Key, Value]):
    """Keep at most `size` values, dropping the least recently used; safe across threads."""

    def __init__(self, size: int):
        self._entries: LRUCache[Key, Value] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: Key) -> Value | None:
        """Return the value kept for this key (marking it recently used), or None."""
        with self._lock:
            return self._entries.get(key)

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Value]:
        """Return the values kept for those of these keys that have one, by key."""
        with self._lock:
            return {key: self._entries[key] for key in keys if key in self._entries}

    def put(self, key: Key, value: Value) -> None:
        """Keep a value, dropping the least recently used ones beyond the size."""
        with self._lock:
            self._entries[key] = value

    def put_many(self, values: dict[Key, Value]) -> None:
        """Keep several values at once."""
        with self._lock:
            self._entries.update(values)

    def snapshot(self) -> dict[Key, Value]:
        """Return a copy of every value kept, by key (the order of use is not kept)."""
        with self._lock:
            return dict(self._entries)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
