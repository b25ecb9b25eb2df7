"""Optimizers with PyTorch's exact rules and parameter groups, and learning-rate schedules
(`optim.lr_scheduler.StepLR`, `CosineAnnealingLR`, `ExponentialLR`, ...)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
