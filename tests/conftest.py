"""Hypothesis profiles: ``dev`` (default, fast) and ``ci`` (derandomized, no deadline).

Select with ``HYPOTHESIS_PROFILE=ci`` or ``pytest --hypothesis-profile=ci``.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same random state."""
    import tensorgrad

    tensorgrad.manual_seed(0)
    np.random.seed(0)
    yield
