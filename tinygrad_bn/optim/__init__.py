"""Optimizers with PyTorch's exact rules and parameter groups, and learning-rate schedules
(`optim.lr_scheduler.StepLR`, `CosineAnnealingLR`)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
