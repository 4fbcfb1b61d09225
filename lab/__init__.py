"""lab: the social-CRM pilot laboratory.

For notebooks::

    import lab
    rec = lab.check(spec, observations)      # pure: a plan dict and a DataFrame
    db = lab.connect()                       # the app's database, read-only
    db.pilots(); db.observations("x-care-1h"); db.check("x-care-1h")

Names are loaded on first use, so `import lab` stays cheap and importing the
statistics never drags in the web stack.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "check": ("lab.analysis.pipeline", "check"),
    "check_portfolio": ("lab.analysis.pipeline", "check_portfolio"),
    "Recommendation": ("lab.analysis.result", "Recommendation"),
    "connect": ("lab.notebook", "connect"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'lab' has no attribute {name!r}") from None
    return getattr(import_module(module), attribute)
