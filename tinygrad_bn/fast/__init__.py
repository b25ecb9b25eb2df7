"""The fast layer: implementations registered under the engine's op names in KERNELS; the engine
never imports it. Each runs the maths of its reference op in engine/ops/ and saves at least the
same keys, so records, graphs and step views are the same with it on or off.

blas.py       matmul, linear and the convolutions with small products on one BLAS thread
allocator.py  the glibc malloc policy, process-wide, so only when asked: allocator.apply_policy()
jit.py        tg.jit: a recorded step (recording.py) replayed as a program (replay.py)
"""
from . import blas

blas.register()
