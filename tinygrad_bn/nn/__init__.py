"""Layers as Modules, PyTorch-shaped: parameter names, shapes and order match torch.nn."""
from .module import Module, Parameter, Sequential
