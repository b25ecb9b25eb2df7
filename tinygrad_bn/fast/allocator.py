"""The allocator policy: on glibc, large arrays are reused from the heap instead of fresh OS pages.

glibc hands every block over its mmap threshold (128 KB at start) straight from the OS and gives
it back on free, so each new array of a training step pays a page fault per 4 KB page on first
touch, often more than the arithmetic on it (docs/performance.md). Raising the mmap threshold to
32 MB and the trim threshold to 128 MB keeps freed blocks in the process for the next step: faster,
at the cost of memory the process keeps instead of returning to the OS. Process-wide, so applied
only when asked (`tinygrad_bn.fast.allocator.apply_policy()`, as the benchmarks do); skipped if
the user set any MALLOC_* variable or TINYGRAD_BN_MALLOC=default, and off glibc.
"""
import ctypes
import ctypes.util
import os
import sys

MMAP_THRESHOLD = 32 << 20      # bytes: blocks below this come from the heap and are reused
TRIM_THRESHOLD = 128 << 20     # bytes: free heap top kept before giving memory back to the OS
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3     # glibc's mallopt parameter numbers

applied = False                # True once the policy is in force in this process


def wanted(environ):
    """True unless opted out (TINYGRAD_BN_MALLOC=default) or the user tuned malloc themselves."""
    if environ.get("TINYGRAD_BN_MALLOC", "").lower() == "default":
        return False
    return not any(name.startswith("MALLOC_") for name in environ)


def apply_policy(environ=os.environ):
    """Set the thresholds with glibc's mallopt if wanted and available; returns whether it did."""
    global applied
    if applied or not sys.platform.startswith("linux") or not wanted(environ):
        return applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False            # not glibc (e.g. musl): nothing to tune
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                   and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied
