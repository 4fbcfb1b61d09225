"""lab.caching: one least-recently-used cache that threads can share."""

from __future__ import annotations

import threading

from lab.caching import SharedLRU


def test_the_least_recently_used_value_goes_first():
    cache: SharedLRU[str, int] = SharedLRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_many_at_once_and_clear():
    cache: SharedLRU[str, int] = SharedLRU(3)
    cache.put_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "x", "b"]) == {"a": 1, "b": 2}
    cache.get_many(["a"])
    cache.put_many({"c": 3, "d": 4})  # "b" was used least recently
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": 1, "c": 3, "d": 4}
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_threads_share_one_cache_safely():
    cache: SharedLRU[int, int] = SharedLRU(8)
    failures: list[Exception] = []
    start = threading.Barrier(8)

    def hammer(offset: int) -> None:
        start.wait()
        try:
            for i in range(20_000):
                key = (i * 7 + offset) % 32
                cache.put(key, key)
                found = cache.get(key ^ 1)
                assert found is None or found == key ^ 1
        except Exception as error:  # a thread cannot fail the test itself: report it
            failures.append(error)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(cache) <= 8
