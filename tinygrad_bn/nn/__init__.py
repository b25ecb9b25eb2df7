"""Layers as Modules, PyTorch-shaped: parameter names, shapes and order match torch.nn."""
from .module import Module, Parameter
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from . import init
from .linear import Linear, Identity
from .embedding import Embedding
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .activation import (ReLU, Sigmoid, Tanh, Flatten, Dropout, LeakyReLU, ELU, Hardtanh, ReLU6,
                         Softplus, SiLU, GELU, LogSigmoid, Hardsigmoid, Hardswish, Mish, Softmax,
                         LogSoftmax, Softmin, Dropout2d, Unflatten, CosineSimilarity)
from .loss import (MSELoss, L1Loss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss,
                   HuberLoss, SmoothL1Loss, KLDivLoss)
from .pooling import MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, fold_into
from .normalization import LayerNorm, GroupNorm, InstanceNorm1d, InstanceNorm2d
from . import utils
