"""Pick the fastest device there is (cuda, then mps, then cpu) and describe it in words."""
from __future__ import annotations

import os

import torch

CHOICES = ("auto", "cuda", "mps", "cpu")


def available() -> list[str]:
    """Devices usable in this process, fastest first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def pick(preference: str = "auto") -> torch.device:
    """`auto` gives the fastest available; naming an unavailable device raises ValueError."""
    if preference not in CHOICES:
        raise ValueError(f"unknown device {preference!r}; valid: {', '.join(CHOICES)}")
    have = available()
    if preference == "auto":
        return torch.device(have[0])
    if preference not in have:
        raise ValueError(f"device {preference!r} is not available here; available: {', '.join(have)}")
    return torch.device(preference)


def describe(device: torch.device | str) -> str:
    """E.g. 'CPU (2 threads)', 'CUDA: NVIDIA H100 80GB HBM3', 'MPS (Apple GPU)'."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


THREADS_ENV = "DYNAMICS_TORCH_THREADS"


def configure_threads(cores: int | None = None) -> int:
    """Intra-op threads for the calling thread of a server process: $DYNAMICS_TORCH_THREADS,
    else one per two cores. (Torch's CPU thread count is an OpenMP setting, held per thread.)

    Small MLPs gain little from a second thread (1.15 against 1.23 s/epoch in the benchmark),
    but when a training job, a page's own measurement and other processes share two cores,
    two-thread teams oversubscribe them and each step can slow several-fold.
    """
    n = default_threads(cores)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def default_threads(cores: int | None = None) -> int:
    """$DYNAMICS_TORCH_THREADS, else one thread per two cores (see configure_threads)."""
    env = os.environ.get(THREADS_ENV)
    return int(env) if env else max(1, (cores or os.cpu_count() or 1) // 2)
