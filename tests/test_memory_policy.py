"""The allocator policy: applied at import on glibc, off with TINYGRAD_BN_MALLOC=default or when
the user set a MALLOC_* variable themselves (checked in fresh interpreters, not by timing)."""
import os
import platform
import subprocess
import sys

import pytest

from tinygrad_bn.engine import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def applied_in_fresh_process(**env):
    """memory.applied after `import tinygrad_bn` in a new interpreter with these variables."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k != "TINYGRAD_BN_MALLOC"}
    out = subprocess.run([sys.executable, "-c", "import tinygrad_bn.engine.memory as m; "
                          "import tinygrad_bn; print(m.applied)"],
                         env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


@pytest.mark.skipif(not GLIBC, reason="the policy tunes glibc's malloc; a no-op elsewhere")
def test_the_policy_is_applied_at_import_on_glibc():
    assert applied_in_fresh_process()


@pytest.mark.parametrize("env", [{"TINYGRAD_BN_MALLOC": "default"},
                                 {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"MALLOC_ARENA_MAX": "2"}])
def test_opt_out_and_the_users_own_malloc_settings_leave_malloc_alone(env):
    assert not applied_in_fresh_process(**env)


def test_wanted_reads_only_the_opt_out_and_malloc_variables():
    assert memory._wanted({"PATH": "/bin", "TINYGRAD_BN_MALLOC": "on"})
    assert not memory._wanted({"TINYGRAD_BN_MALLOC": "Default"})
    assert not memory._wanted({"MALLOC_TRIM_THRESHOLD_": "0"})
