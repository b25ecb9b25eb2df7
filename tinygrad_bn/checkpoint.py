"""Checkpoints: a module's parameters and buffers in one `.npz` file, no pickle.

`save` writes atomically (temporary file, fsync, rename), so a crash never leaves half a file
under the real name; `load` checks everything before it touches the module.
"""
import io
import os
import tempfile
import zipfile
import zlib

import numpy as np

from .nn.module import state_mismatches

FORMAT_KEY = "__format__"
FORMAT = "tinygrad_bn.checkpoint/1"
_UNREADABLE = (OSError, ValueError, EOFError, KeyError, RuntimeError,  # NotImplementedError too
               zipfile.BadZipFile, zlib.error)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, or does not fit the module it is loaded into."""


def save(module, path):
    """Write module.state_dict() (parameters, running stats, num_batches_tracked) to `path`."""
    path = os.fspath(path)
    state = module.state_dict()
    if FORMAT_KEY in state:
        raise ValueError(f"save: {type(module).__name__} has a key named {FORMAT_KEY!r}, "
                         "which the file format reserves; rename that parameter or buffer")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{FORMAT_KEY: np.array(FORMAT)}, **state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)                  # atomic on POSIX and Windows
    except BaseException:
        os.unlink(tmp)
        raise


def load(module, path):
    """Load a checkpoint written by `save` into `module`, in place; returns the module.

    Raises CheckpointError (listing every missing, unexpected, mis-shaped or mis-typed key)
    and leaves the module unchanged when the file is unreadable or does not fit.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:                # a missing file stays a FileNotFoundError
        raw = f.read()
    arrays = _read_arrays(raw, path)
    problems = state_mismatches(module.state_dict(), arrays, dtypes=True)
    if problems:
        raise CheckpointError(f"load {path!r} into {type(module).__name__}: " + "; ".join(problems)
                              + ". Fix: build the same architecture (layers, sizes, dtype) "
                              "as the model that was saved")
    module.load_state_dict(arrays)
    return module


def _read_arrays(raw, path):
    """Every array of the .npz bytes as name -> ndarray, after checking the format marker."""
    fix = "Fix: re-create it with tinygrad_bn.save(model, path)"
    try:
        npz = np.load(io.BytesIO(raw), allow_pickle=False)
        arrays = {k: npz[k] for k in npz.files} if hasattr(npz, "files") else None  # CRC-checked
    except _UNREADABLE as e:
        raise CheckpointError(f"load: {path!r} is truncated or corrupt ({type(e).__name__}: {e}). "
                              f"{fix}") from e
    if arrays is None:                         # a bare .npy holds one array, not an archive
        raise CheckpointError(f"load: {path!r} is a single .npy array, not a checkpoint. {fix}")
    marker = arrays.pop(FORMAT_KEY, None)
    if marker is None or marker.shape != () or str(marker) != FORMAT:
        raise CheckpointError(f"load: {path!r} is an .npz file but not a tinygrad_bn checkpoint "
                              f"(no {FORMAT_KEY!r} = {FORMAT!r} entry). {fix}")
    return arrays
