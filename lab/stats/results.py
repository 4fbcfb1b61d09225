"""One result vocabulary for every test: estimate, ci_low, ci_high, p_value, method, note."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Result:
    """One comparison: an estimate, its interval, a p-value and how they were obtained.

    Degenerate but legal data give NaN with a ``note`` saying why, never a made-up number.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    note: str = ""

    def confidence_interval(self) -> tuple[float, float]:
        """Return (ci_low, ci_high)."""
        return self.ci_low, self.ci_high

    def flipped(self) -> Result:
        """Return the result for the opposite difference (control − pilot)."""
        return Result(-self.estimate, -self.ci_high, -self.ci_low, self.p_value,
                      self.method, self.note)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (NaN becomes None)."""
        return {"estimate": finite_or_none(self.estimate), "ci_low": finite_or_none(self.ci_low),
                "ci_high": finite_or_none(self.ci_high),
                "p_value": finite_or_none(self.p_value), "method": self.method,
                "note": self.note}


@dataclass(frozen=True)
class Results:
    """Many comparisons at once: numpy arrays in the same vocabulary as `Result`."""

    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    method: str
    notes: np.ndarray = field(default=None)  # object array of str, "" when nothing to say

    def __post_init__(self) -> None:
        if self.notes is None:
            object.__setattr__(self, "notes", np.full(np.shape(self.estimate), "", dtype=object))

    def __len__(self) -> int:
        return len(self.estimate)

    def __getitem__(self, index: int) -> Result:
        return Result(float(self.estimate[index]), float(self.ci_low[index]),
                      float(self.ci_high[index]), float(self.p_value[index]), self.method,
                      str(self.notes[index]))

    def oriented(self, sign) -> Results:
        """Return the results multiplied by ``sign`` (+1 or −1 per comparison)."""
        sign = np.asarray(sign, dtype=float)
        low, high = sign * self.ci_low, sign * self.ci_high
        return Results(sign * self.estimate, np.minimum(low, high), np.maximum(low, high),
                       self.p_value, self.method, self.notes)


def finite_or_none(value) -> float | None:
    """Return a plain float, or None for NaN and infinities (JSON has neither)."""
    if type(value) is float:  # the common case, called hundreds of thousands of times
        return value + 0.0 if value - value == 0.0 else None  # x − x is NaN unless finite
    if value is None:
        return None
    value = float(value)
    return value + 0.0 if math.isfinite(value) else None  # + 0.0 turns -0.0 into 0.0


def add_note(notes: np.ndarray, mask: np.ndarray, text: str) -> np.ndarray:
    """Append ``text`` to the notes where ``mask`` holds."""
    notes = notes.copy()
    for index in np.flatnonzero(mask):
        notes[index] = f"{notes[index]}; {text}" if notes[index] else text
    return notes
