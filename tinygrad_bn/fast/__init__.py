"""The fast layer: implementations registered under the engine's op names in KERNELS; the engine
never imports it. Each runs the maths of its reference op in engine/ops/ and saves at least the
same keys, so records, graphs and step views are the same with it on or off.

blas.py       matmul, linear and the convolutions with small products on one BLAS thread
allocator.py  the glibc malloc policy, process-wide, so only when asked: allocator.apply_policy()
batchnorm.py  the fused batch_norm in numba loops (bn_loops.py), imported on first use (loops.py)
pool.py       max_pool2d in numba loops (pool_loops.py)
conv.py       conv2d's col2im in a numba loop (conv_loops.py), products under the blas.py policy
jit.py        tg.jit: a recorded step (recording.py) replayed as a program (replay.py)
tinygrad_bn.kernels (tg.kernels) switches the numba kernels on and off.
"""
from . import blas
from .batchnorm import BatchNormKernel
from .conv import Conv2dKernel
from .pool import MaxPool2dKernel

blas.register()
NUMBA_KERNELS = {"batch_norm": BatchNormKernel,     # op name -> numba implementation
                 "conv2d": Conv2dKernel,
                 "max_pool2d": MaxPool2dKernel}

__all__ = ["NUMBA_KERNELS", "blas"]
