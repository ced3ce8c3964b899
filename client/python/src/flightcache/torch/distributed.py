"""Rank and world size of the training process, and gathering state dicts across ranks."""

from __future__ import annotations

import os
from typing import Any, Optional

import torch.distributed as dist


def _env_int(name: str) -> Optional[int]:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from None


def resolve_rank(rank: Optional[int] = None, world_size: Optional[int] = None) -> tuple[int, int]:
    """(rank, world size): the arguments if given, else torch.distributed if initialised, else RANK and WORLD_SIZE
    (both or neither), else (0, 1)."""
    if rank is not None or world_size is not None:
        if rank is None or world_size is None:
            raise ValueError("pass rank and world_size together")
    elif dist.is_available() and dist.is_initialized():
        rank, world_size = dist.get_rank(), dist.get_world_size()
    else:
        rank, world_size = _env_int("RANK"), _env_int("WORLD_SIZE")
        if rank is None and world_size is None:
            rank, world_size = 0, 1
        elif rank is None or world_size is None:
            # One without the other would make every rank read everything (rank 0 of 1): refuse it.
            present, missing = ("RANK", "WORLD_SIZE") if world_size is None else ("WORLD_SIZE", "RANK")
            raise ValueError(
                f"environment variable {present} is set but {missing} is not: set both RANK and WORLD_SIZE "
                "(or neither, for rank 0 of 1), or pass rank= and world_size="
            )
    if not (world_size >= 1 and 0 <= rank < world_size):
        raise ValueError(f"rank {rank} is out of range for world size {world_size}")
    return rank, world_size


def all_gather(value: Any) -> list[Any]:
    """Every rank's `value` (torch.distributed.all_gather_object); just [value] outside a process group."""
    if not (dist.is_available() and dist.is_initialized()):
        return [value]
    values: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values
