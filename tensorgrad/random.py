"""Random numbers: one global generator, reseeded by ``manual_seed``, plus ``Generator``.

The streams are NumPy's PCG64, so the numbers differ from PyTorch's for the same seed; what
is guaranteed is reproducibility: the same seed gives the same numbers.
"""

from __future__ import annotations

from . import _backend
from ._backend import check_device, resolve_device
from ._device import CPU
from ._tracing import observed

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator"]


class Generator:
    """A random-number generator (``tensorgrad.Generator().manual_seed(0)``).

    ``device`` names where its numbers are meant to go; they are drawn on the host for every
    device (so a seed gives a GPU run the CPU's numbers). A device no backend serves raises, as
    PyTorch built without CUDA raises for ``Generator(device="cuda")``.
    """

    def __init__(self, device="cpu"):
        check_device(device, "Generator")
        self._device = CPU if device in (None, "cpu") else resolve_device(device, "Generator")
        self._seed = 67280421310721  # PyTorch's default initial seed
        self._numpy = _backend.default_module.random.default_rng(self._seed)

    @observed
    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns ``self``."""
        self._seed = int(seed)
        self._numpy = _backend.default_module.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        fresh = int(_backend.default_module.random.SeedSequence().entropy % (2**63))
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        """The seed last set."""
        return self._seed

    @property
    def device(self):
        """The device the generator was made for (``device(type='cpu')`` by default)."""
        return self._device

    def get_state(self) -> dict:
        """The generator's state (a dict; restore it with :meth:`set_state`)."""
        return self._numpy.bit_generator.state

    @observed
    def set_state(self, state: dict) -> Generator:
        """Restore a state from :meth:`get_state`."""
        self._numpy.bit_generator.state = state
        return self

    @property
    def numpy_generator(self):
        """The underlying ``numpy.random.Generator``."""
        return self._numpy


default_generator = Generator()


@observed  # inside a compiled call, reseeding is a step the replay repeats
def manual_seed(seed: int) -> Generator:
    """Seed the global generator (every random op that is not given a generator uses it)."""
    return default_generator.manual_seed(seed)


@observed
def seed() -> int:
    """Seed the global generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The global generator's seed."""
    return default_generator.initial_seed()


def numpy_generator(generator: Generator | None):
    """The NumPy generator behind ``generator`` (the global one if None)."""
    return (generator or default_generator)._numpy
