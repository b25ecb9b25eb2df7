"""The allocator policy: only when asked (never at import), on glibc, off with
TINYGRAD_BN_MALLOC=default or when the user set a MALLOC_* variable themselves (checked in fresh
interpreters, not by timing)."""
import os
import platform
import subprocess
import sys

import pytest

from tinygrad_bn.fast import allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def applied_in_fresh_process(code, **env):
    """allocator.applied after running `code` in a new interpreter with these variables."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k != "TINYGRAD_BN_MALLOC"}
    out = subprocess.run([sys.executable, "-c", "import tinygrad_bn.fast.allocator as m; "
                          f"{code}; print(m.applied)"],
                         env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_importing_the_package_leaves_malloc_alone():
    assert not applied_in_fresh_process("import tinygrad_bn")


@pytest.mark.skipif(not GLIBC, reason="the policy tunes glibc's malloc; a no-op elsewhere")
def test_the_policy_is_applied_when_asked_on_glibc():
    assert applied_in_fresh_process("import tinygrad_bn; m.apply_policy()")


@pytest.mark.parametrize("env", [{"TINYGRAD_BN_MALLOC": "default"},
                                 {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"MALLOC_ARENA_MAX": "2"}])
def test_opt_out_and_the_users_own_malloc_settings_leave_malloc_alone(env):
    assert not applied_in_fresh_process("m.apply_policy()", **env)


def test_wanted_reads_only_the_opt_out_and_malloc_variables():
    assert allocator.wanted({"PATH": "/bin", "TINYGRAD_BN_MALLOC": "on"})
    assert not allocator.wanted({"TINYGRAD_BN_MALLOC": "Default"})
    assert not allocator.wanted({"MALLOC_TRIM_THRESHOLD_": "0"})
