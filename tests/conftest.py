"""Hypothesis profiles: ``dev`` (default, fast) and ``ci`` (derandomized, no deadline).

Select with ``HYPOTHESIS_PROFILE=ci`` or ``pytest --hypothesis-profile=ci``.
"""

import numpy as np
import pytest

# Registers the ``dev`` and ``ci`` profiles (the same ones users get) and loads
# $HYPOTHESIS_PROFILE, ``dev`` by default.
import tensorgrad.testing.pytest_plugin  # noqa: F401


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same random state."""
    import tensorgrad

    tensorgrad.manual_seed(0)
    np.random.seed(0)
    yield
