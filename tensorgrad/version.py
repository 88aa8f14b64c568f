"""``tensorgrad.version``: what this build is, in ``torch.version``'s names.

tensorgrad is a CPU-only NumPy library, so the accelerator toolkits it was built against are
all None, and ``if tensorgrad.version.cuda:`` takes the CPU branch.
"""

from __future__ import annotations

# PyTorch's __all__ also lists cuda, hip, rocm and xpu; they are None here, and a None has
# no documentation page to link to, so they are plain attributes outside __all__.
__all__ = ["__version__", "debug", "git_version"]

__version__ = "0.1.0"  # the package's version (pyproject.toml's, kept equal by a test)
debug = False  # not a debug build of a native library: there is none
cuda: str | None = None  # no CUDA toolkit
git_version = "Unknown"  # PyTorch's word when the build did not record its commit
hip: str | None = None  # no ROCm/HIP
rocm: str | None = None
xpu: str | None = None  # no Intel GPU toolkit
