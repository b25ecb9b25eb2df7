"""Shared test set-up: a fixed hypothesis profile under CI, and the optional torch import."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def torch():
    """PyTorch in float64, or a visible skip where it is not installed."""
    return pytest.importorskip("torch", reason="PyTorch not installed: cross-check skipped")
