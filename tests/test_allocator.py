"""The malloc tuning applied at import: on by default on glibc, off on request."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tensorgrad._allocator as allocator


def _applied(env: dict) -> str:
    code = "import tensorgrad._allocator as a; print(a.APPLIED)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt only")
def test_applied_on_glibc_and_switched_off_by_the_environment():
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "TENSORGRAD_"))}
    assert _applied(base) == "True"
    assert _applied({**base, "TENSORGRAD_KEEP_FREED_MEMORY": "0"}) == "False"
    assert _applied({**base, "MALLOC_TRIM_THRESHOLD_": "131072"}) == "False"  # the user's wins


def test_not_applied_off_linux(monkeypatch):
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.keep_freed_memory() is False
