"""``tensorgrad.distributed``: there is no multi-process backend, so scripts that import
``torch.distributed`` at the top still run, single-process.

``is_available()`` and ``is_initialized()`` are False (nanoGPT and pytorch/examples check one
of them, or the ``RANK`` environment variable, before anything else); ``init_process_group``
raises a RuntimeError; the collectives raise PyTorch's ValueError for a process group that was
never initialised.

*Decision:* PyTorch's Linux builds answer ``is_available()`` True; tensorgrad says False, which
is what PyTorch says when built without distributed support.
"""

from __future__ import annotations

import enum

__all__ = [
    "ReduceOp",
    "is_available",
    "is_initialized",
    "is_nccl_available",
    "is_gloo_available",
    "is_mpi_available",
    "init_process_group",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "get_backend",
    "barrier",
    "all_reduce",
    "broadcast",
    "reduce",
    "all_gather",
]

_NOT_AVAILABLE = (
    "distributed training is not available: tensorgrad runs in one process "
    "(tensorgrad.distributed.is_available() is False)"
)


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines values (PyTorch's names; no collective runs here)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


def _not_initialized(op: str):
    raise ValueError(
        f"{op}: Default process group has not been initialized, please make sure to call "
        f"init_process_group. ({_NOT_AVAILABLE})"
    )


def is_available() -> bool:
    """Always False: there is no distributed backend."""
    return False


def is_initialized() -> bool:
    """Always False: no process group can be initialised."""
    return False


def is_nccl_available() -> bool:
    """Always False."""
    return False


def is_gloo_available() -> bool:
    """Always False."""
    return False


def is_mpi_available() -> bool:
    """Always False."""
    return False


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Raises RuntimeError: tensorgrad cannot start a process group."""
    raise RuntimeError(f"init_process_group: {_NOT_AVAILABLE}")


def destroy_process_group(group=None) -> None:
    """Raises AssertionError, as PyTorch does when no process group exists."""
    raise AssertionError(f"destroy_process_group: Process group cannot be None ({_NOT_AVAILABLE})")


def get_rank(group=None) -> int:
    """Raises ValueError: no process group was initialised."""
    _not_initialized("get_rank")


def get_world_size(group=None) -> int:
    """Raises ValueError: no process group was initialised."""
    _not_initialized("get_world_size")


def get_backend(group=None) -> str:
    """Raises ValueError: no process group was initialised."""
    _not_initialized("get_backend")


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Raises ValueError: no process group was initialised."""
    _not_initialized("barrier")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Raises ValueError: no process group was initialised."""
    _not_initialized("all_reduce")


def broadcast(tensor, src: int | None = None, group=None, async_op: bool = False):
    """Raises ValueError: no process group was initialised."""
    _not_initialized("broadcast")


def reduce(tensor, dst: int | None = None, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Raises ValueError: no process group was initialised."""
    _not_initialized("reduce")


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Raises ValueError: no process group was initialised."""
    _not_initialized("all_gather")
