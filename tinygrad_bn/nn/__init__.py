"""Layers as Modules, PyTorch-shaped: parameter names, shapes and order match torch.nn."""
from .module import Module, Parameter
from .container import Sequential, ModuleList, ModuleDict
from . import init
from .linear import Linear
from .conv import Conv2d
from .activation import ReLU, Sigmoid, Tanh, Flatten, Dropout
from .pooling import MaxPool2d, AvgPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, fold_into
