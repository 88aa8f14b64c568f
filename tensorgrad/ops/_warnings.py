"""NumPy's floating-point warnings inside tensorgrad: silenced by one filter.

Like PyTorch, ops give no warnings for log(0), overflow in exp, 0/0…: the value (inf, NaN)
says it. The filter is scoped to tensorgrad's own modules, so NumPy code of the user still
warns; and it is free, unlike ``numpy.errstate`` around every call. (``Op.apply`` handles
``-W error``, see ``_op.py``.) :func:`silenced` tells code that would otherwise pay for
``errstate`` (a compiled replay's backward) whether the filter still decides.
"""

from __future__ import annotations

import warnings

__all__ = ["silenced"]

_MESSAGES = ("divide by zero", "overflow", "invalid value", "underflow")
warnings.filterwarnings(
    "ignore",
    message=rf"({'|'.join(_MESSAGES)}) encountered",
    category=RuntimeWarning,
    module=r"tensorgrad(\.|$)",
)
_ours = warnings.filters[0]
# The filter list, its length and its head when last scanned, and the answer then.
_checked: list = [None, 0, None, False]


def silenced() -> bool:
    """True while no filter in front of tensorgrad's could match NumPy's floating-point
    warnings raised in tensorgrad's modules (a user's ``"error"``, ``"always"``…), so they
    are ignored. Scans the filters only when the list changed."""
    filters = warnings.filters
    checked = _checked
    unchanged = filters is checked[0] and len(filters) == checked[1]
    if unchanged and (not filters or filters[0] is checked[2]):
        return checked[3]
    head = filters[0] if filters else None
    checked[:] = filters, len(filters), head, _decides(filters)
    return checked[3]


def _decides(filters: list) -> bool:
    for entry in filters:
        if entry is _ours:
            return True
        action, message, category, module, _ = entry
        if action == "ignore" or not issubclass(RuntimeWarning, category):
            continue
        if module is not None and not module.match("tensorgrad.ops"):
            continue
        if message is None or any(message.match(f"{m} encountered") for m in _MESSAGES):
            return False
    return False  # removed (warnings.resetwarnings()): NumPy's warnings show
