"""One module per lab; importing this package registers them all in EXPERIMENTS."""
from core.experiments import activations, dropout, optimizer_race, schedules, vanishing, variance  # noqa: F401  (each registers itself)
from core.experiments.base import EXPERIMENTS, Experiment

__all__ = ["EXPERIMENTS", "Experiment", "get", "names"]


def get(name: str) -> Experiment:
    return EXPERIMENTS.get(name)


def names() -> list[str]:
    return EXPERIMENTS.names()
