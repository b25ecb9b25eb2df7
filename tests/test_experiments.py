"""Every BN experiment runs end to end at a reduced size; exact claims (6, 8) are asserted exactly."""
import importlib
import os
import sys

import pytest

EXPERIMENTS_DIR = os.path.join(os.path.dirname(__file__), "..", "examples", "experiments")
sys.path.insert(0, EXPERIMENTS_DIR)
run_all = importlib.import_module("run_all")

SCALE = 0.05        # 100 train / 100 test samples, one epoch: seconds, not minutes
EXPECTED = {        # the keys each main() returns besides "plot"
    "exp1_bn_vs_no_bn": {"runs"}, "exp2_lr_sweep": {"curves"},
    "exp3_bad_init": {"runs", "accuracy_spread_with_bn", "accuracy_spread_without_bn"},
    "exp4_deep_sigmoid": {"runs"}, "exp5_bn_relu_order": {"orders"},
    "exp6_conv_bias": {"max_conv_bias_grad", "min_other_grad", "conv_bias_change_after_training",
                       "max_logit_diff_train_mode", "max_logit_diff_eval_mode", "same_predictions"},
    "exp7_running_stats": {"train_mode_acc", "eval_acc_stale_stats", "stale_running_mean_abs_max",
                           "eval_acc_after_recalibration", "eval_acc_momentum_0.1"},
    "exp8_folding": {"mlp", "cnn"},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """All experiments once at the reduced size, plots into a temporary folder."""
    return run_all.main(scale=SCALE, out_dir=str(tmp_path_factory.mktemp("plots")))


def test_run_all_covers_every_script():
    scripts = {f[:-3] for f in os.listdir(EXPERIMENTS_DIR) if f.startswith("exp")}
    assert scripts == set(run_all.EXPERIMENTS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_structure_and_plot(results, name):
    r = results[name]
    assert set(r) == EXPECTED[name] | {"plot"}
    with open(r["plot"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def _accuracies(tree):
    """Every accuracy-like number in a nested result dict."""
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _accuracies(value)
        elif "acc" in key and isinstance(value, float):
            yield value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accuracies_are_fractions(results, name):
    assert all(0.0 <= a <= 1.0 for a in _accuracies(results[name]))


def test_conv_bias_before_bn_gets_zero_gradient_and_same_outputs(results):
    r = results["exp6_conv_bias"]
    # zero exactly in real arithmetic; in floats, sum(g) - N * mean(g) leaves rounding (~1e-16)
    assert r["max_conv_bias_grad"] < 1e-12 * r["min_other_grad"]
    assert r["conv_bias_change_after_training"] < 1e-12
    assert r["max_logit_diff_train_mode"] < 1e-9 and r["same_predictions"]


def test_folding_keeps_predictions_with_fewer_layers(results):
    for kind in ("mlp", "cnn"):
        r = results["exp8_folding"][kind]
        assert r["max_logit_diff"] < 1e-9 and r["same_predictions"]
        assert r["folded_layers"] == r["layers"] - 2            # two BN layers folded away
        assert r["folded_records_per_forward"] < r["records_per_forward"]


def test_forgotten_running_stats_stay_at_their_initial_values(results):
    r = results["exp7_running_stats"]
    assert r["stale_running_mean_abs_max"] == 0.0


def test_run_all_writes_to_a_fresh_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run_all.fresh_folder()
    os.makedirs(first)
    second = run_all.fresh_folder()
    assert first.endswith("run-001") and second.endswith("run-002") and not os.path.exists(second)
    assert "docs" not in first
