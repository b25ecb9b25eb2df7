"""Layers as Modules, PyTorch-shaped: parameter names, shapes and order match torch.nn."""
from .module import Module, Parameter, Sequential
from .batchnorm import BatchNorm1d, BatchNorm2d, fold_into
