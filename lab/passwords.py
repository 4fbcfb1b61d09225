"""The passwords nobody should choose: the 10,000 most common ones.

The list is the head of the ranked password list that zxcvbn ships (from leaked-password
frequency counts), read the first time a password is set rather than at import.
"""

from __future__ import annotations

from functools import lru_cache

COMMON_COUNT = 10_000


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # 30,000 ranked, most common first

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"][:COMMON_COUNT])


def is_common(password: str) -> bool:
    """Tell whether a password, ignoring case, is one of the most common ones."""
    return password.casefold() in _common()
