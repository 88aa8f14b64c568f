"""pytest runs the notebooks in this folder with nbmake (``--nbmake`` in pyproject.toml's
``addopts``), in their fast mode: fewer steps and examples, the same cells.

The kernel that runs a notebook inherits the environment, so it is set around each
notebook's run only: the fast mode, and one BLAS thread (the matrices are small, and a second
thread only costs when the cores are shared). A variable already set is kept:
``TENSORGRAD_NOTEBOOK_FAST=0`` runs the notebooks as the documentation site does.
"""

import os

import pytest

ENVIRONMENT = {
    "TENSORGRAD_NOTEBOOK_FAST": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    added = [name for name in ENVIRONMENT if name not in os.environ]
    os.environ.update({name: ENVIRONMENT[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            del os.environ[name]
