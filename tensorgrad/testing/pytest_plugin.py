"""Hypothesis profiles for tensor tests, ready for pytest.

Load it from your root ``conftest.py`` with
``pytest_plugins = ["tensorgrad.testing.pytest_plugin"]`` (or call :func:`register_profiles`
yourself). It registers

* ``dev`` (the default): 25 examples, no deadline — quick local runs;
* ``ci``: 30 examples, derandomized (the same examples on every run), no deadline;

and loads the one named by ``HYPOTHESIS_PROFILE`` (``dev`` if unset);
``pytest --hypothesis-profile=ci`` works too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["register_profiles"]


def register_profiles() -> None:
    """Register the ``dev`` and ``ci`` hypothesis profiles (does not load either)."""
    settings.register_profile(
        "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile(
        "ci",
        max_examples=30,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
