"""The allocator policy: off by default, applied at import on glibc with TINYGRAD_BN_MALLOC=reuse,
never when the user set a MALLOC_* variable themselves (checked in fresh interpreters, not timing)."""
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
def test_opting_in_applies_the_policy_at_import_on_glibc():
    assert applied_in_fresh_process(TINYGRAD_BN_MALLOC="reuse")


@pytest.mark.parametrize("env", [{}, {"TINYGRAD_BN_MALLOC": "default"},
                                 {"TINYGRAD_BN_MALLOC": "reuse", "MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"TINYGRAD_BN_MALLOC": "reuse", "MALLOC_ARENA_MAX": "2"}])
def test_by_default_and_with_the_users_own_malloc_settings_malloc_is_left_alone(env):
    assert not applied_in_fresh_process(**env)


def test_wanted_reads_only_the_opt_in_and_malloc_variables():
    assert memory._wanted({"PATH": "/bin", "TINYGRAD_BN_MALLOC": "Reuse"})
    assert not memory._wanted({"PATH": "/bin"})
    assert not memory._wanted({"TINYGRAD_BN_MALLOC": "reuse", "MALLOC_TRIM_THRESHOLD_": "0"})
