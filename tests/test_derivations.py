"""The study-notes check (docs/derivations.md), one test per formula or snippet, in note order.

Seed code is kept as text, translated faithfully to Python 3 (comments in English, bugs kept),
and run with exec: "as written" shows the bug, patch() applies the one named correction.
"""
import dataclasses

import numpy as np
import pytest

from tinygrad_bn import Tape, Tensor, functional as F
from tinygrad_bn.teach.conventions import CS231N, EPS_FOLDED, Convention, eval_output, running_stats
from tinygrad_bn.teach.reference import central_difference, staged_forward

EPS = 1e-5


def problem(shape=(6, 3), seed=0):
    """x with per-feature offsets and scales, non-trivial gamma and beta, an upstream dout."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3, shape[1]).reshape(
        (1, -1) + (1,) * (len(shape) - 2)) + 2.0
    gamma, beta = rng.uniform(0.5, 2.0, shape[1]), rng.standard_normal(shape[1])
    return x, gamma, beta, rng.standard_normal(shape)


def engine(x, gamma, beta, dout=None, **kw):
    """Composed BN in the engine -> (values, grads) of every named node, plus dx, dgamma, dbeta."""
    tx, tgamma, tbeta = (Tensor(a, requires_grad=True) for a in (x, gamma, beta))
    with Tape() as tape:
        out = F.batch_norm(tx, tgamma, tbeta, **kw)
    nodes = {r.output.name: r.output for r in tape if r.output.name}
    if dout is None:
        return {k: t.data for k, t in nodes.items()}, {}
    out.backward(dout)
    grads = {"d" + k: t.grad for k, t in nodes.items()}
    grads.update(dx=tx.grad, dgamma=tgamma.grad, dbeta=tbeta.grad)
    return {k: t.data for k, t in nodes.items()}, grads


def close(a, b, rtol=1e-10):
    """allclose after matching shapes ((D,) vs (1, D)), atol scaled to b."""
    b = np.asarray(b)
    np.testing.assert_allclose(np.reshape(a, b.shape), b, rtol=rtol,
                               atol=rtol * (1 + np.abs(b).max()))


def differs(a, b, rtol=1e-3):
    """The opposite of close: some entry is off by more than rtol of b's largest entry."""
    b = np.asarray(b)
    return np.abs(np.reshape(a, b.shape) - b).max() > rtol * np.abs(b).max()


def numeric_dx(x, gamma, beta, dout):
    return central_difference(lambda a: staged_forward(a, gamma, beta)[0], x, dout)


def patch(code, old, new):
    """Apply one correction to seed code; fails if the seed text is not there (no silent no-op)."""
    assert old in code, f"seed text not found: {old!r}"
    return code.replace(old, new)


def run(code, name):
    """exec seed code in a fresh namespace with only `np`; returns the function `name`."""
    ns = {"np": np}
    exec(code, ns)
    return ns[name]


# --- note 000: the paper's backward formulas ---------------------------------------------------

def test_000_output_line_uses_x_instead_of_xhat():
    x, gamma, beta, _ = problem()
    out = engine(x, gamma, beta)[0]["out"]
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + EPS)
    assert differs(gamma * x + beta, out)          # as written: y = gamma * x + beta
    close(gamma * xhat + beta, out)                # corrected: y = gamma * xhat + beta


def test_eps_keeps_a_constant_channel_finite():
    x, gamma, beta, dout = problem((4, 2))
    x[:, 1] = 3.0                                  # zero variance
    with np.errstate(all="ignore"):
        out0 = staged_forward(x, gamma, beta, eps=0.0)[0]
    assert np.isnan(out0[:, 1]).all()              # 0 / sqrt(0): the forward breaks first
    values, grads = engine(x, gamma, beta, dout, eps=EPS)
    assert np.isfinite(values["out"]).all() and np.isfinite(grads["dx"]).all()
    close(values["out"][:, 1], np.full(4, beta[1]))


def paper_formulas(x, gamma, dout):
    """Note 000's six backward lines in NumPy, literally (m = N, sums over the batch)."""
    m, mu, var = len(x), x.mean(0), x.var(0)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * (var + EPS) ** -1.5, axis=0)
    dmu = np.sum(dxhat * -1 / np.sqrt(var + EPS), axis=0) + dvar * np.sum(-2 * (x - mu), 0) / m
    dx_as_written = dxhat / np.sqrt(var + EPS) + 2 * (x - mu) / m + dmu / m
    dx_corrected = dxhat / np.sqrt(var + EPS) + dvar * 2 * (x - mu) / m + dmu / m
    xhat = (x - mu) / np.sqrt(var + EPS)
    return dict(dxhat=dxhat, dvar=dvar, dmu=dmu, dgamma=np.sum(dout * xhat, 0),
                dbeta=np.sum(dout, 0), dx_as_written=dx_as_written, dx_corrected=dx_corrected)


@pytest.mark.parametrize("name", ["dxhat", "dvar", "dmu", "dgamma", "dbeta"])
def test_000_paper_formula_is_correct(name):
    x, gamma, beta, dout = problem()
    close(paper_formulas(x, gamma, dout)[name], engine(x, gamma, beta, dout)[1][name])


def test_000_dx_formula_drops_the_dvar_factor():
    x, gamma, beta, dout = problem()
    seed = paper_formulas(x, gamma, dout)
    numeric, dx = numeric_dx(x, gamma, beta, dout), engine(x, gamma, beta, dout)[1]["dx"]
    assert differs(seed["dx_as_written"], numeric)
    close(seed["dx_corrected"], numeric, 1e-6)
    close(seed["dx_corrected"], dx)


def test_000_half_of_relu_outputs_are_zero_only_for_symmetric_data():
    rng = np.random.default_rng(1)
    one = np.ones(1)
    for data, lo, hi in ((rng.standard_normal((2000, 1)), 0.45, 0.55),
                         (rng.exponential(size=(2000, 1)), 0.30, 0.42)):   # P(e > mean) = 1/e
        frac = (engine(data, one, 0 * one)[0]["out"] > 0).mean()
        assert lo < frac < hi


# --- notes 001, 002, 003: the forward algorithm -------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 3)])
def test_algorithm_matches_engine(shape):
    """mu = mean, sigma2 = biased var, xhat = (x-mu)/sqrt(sigma2+eps), y = gamma*xhat + beta."""
    x, gamma, beta, _ = problem(shape)
    c = x.shape[1]
    rows = np.moveaxis(x, 1, 0).reshape(c, -1)     # per channel: m = N*H*W values (note 002)
    mu, sigma2 = rows.mean(1, keepdims=True), ((rows - rows.mean(1, keepdims=True)) ** 2).mean(1,
                                                                                 keepdims=True)
    y = gamma[:, None] * (rows - mu) / np.sqrt(sigma2 + EPS) + beta[:, None]
    out = engine(x, gamma, beta)[0]["out"]
    close(np.moveaxis(y.reshape((c, x.shape[0]) + x.shape[2:]), 0, 1), out)


# --- note 001: cs231n-style code with u, z, uz ---------------------------------------------------

SEED001_FORWARD = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        x_mean = np.mean(x, axis=0)
        u = x - x_mean
        u_square = u**2
        u_square_mean = np.mean(u_square, axis=0) + eps
        v = np.sqrt(u_square_mean)
        z = 1.0 / v
        uz = u * z
        out = gamma * uz + beta
        cache = (x_mean, u, u_square, u_square_mean, v, z, uz, gamma)

        running_mean = momentum * running_mean + (1 - momentum) * x_mean
        running_var = momentum * running_var + (1 - momentum) * u_square_mean
    elif mode == 'test':
        xx = (x - running_mean) / np.sqrt(running_var)
        out = gamma * xx + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache
'''

SEED001_BACKWARD = '''
def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = None, None, None
    N, D = dout.shape
    x_mean, u, u_square, u_square_mean, v, z, uz, gamma = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * uz, axis=0)
    duz = dout * gamma
    dz = np.sum(duz * u, axis=0)
    dv = dz * (-1.0 / v**2)
    du_square_mean = dv * 1.0 / (2 * v)
    du_square = du_square_mean / N
    du = duz * z
    du += du_square * (2 * u)
    dx_mean = -np.sum(du, axis=0)

    dx = np.zeros_like(dout)
    dx += du
    dx += dx_mean / N
    return dx, dgamma, dbeta
'''


def batches(k=3, shape=(5, 3)):
    return [problem(shape, seed=10 + i)[0] for i in range(k)]


def test_001_forward_matches_engine_and_folds_eps_into_running_var():
    forward, bn_param = run(SEED001_FORWARD, "batchnorm_forward"), {"mode": "train"}
    for x in batches():
        gamma, beta = problem()[1:3]
        out, _ = forward(x, gamma, beta, bn_param)
        close(out, engine(x, gamma, beta)[0]["out"])
    mean, var = running_stats(EPS_FOLDED, batches(), EPS)
    close(bn_param["running_mean"], mean)
    close(bn_param["running_var"], var)            # stores momentum-weighted (var + eps)


def test_001_test_mode_divides_by_sqrt_of_the_folded_running_var():
    forward = run(SEED001_FORWARD, "batchnorm_forward")
    x, gamma, beta, _ = problem()
    with np.errstate(all="ignore"):                # fresh running_var = 0: x / sqrt(0)
        assert not np.isfinite(forward(x, gamma, beta, {"mode": "test"})[0]).all()
    bn_param = {"mode": "train"}
    for xb in batches():
        forward(xb, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = forward(x, gamma, beta, bn_param)
    close(out, eval_output(EPS_FOLDED, x, bn_param["running_mean"], bn_param["running_var"], gamma,
                           beta, EPS))


def test_001_backward_matches_engine_and_central_differences():
    x, gamma, beta, dout = problem()
    _, cache = run(SEED001_FORWARD, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = run(SEED001_BACKWARD, "batchnorm_backward")(dout, cache)
    grads = engine(x, gamma, beta, dout)[1]
    close(dx, grads["dx"]), close(dgamma, grads["dgamma"]), close(dbeta, grads["dbeta"])
    close(dx, numeric_dx(x, gamma, beta, dout), 1e-6)


SEED001_TF = '''
training_ph = tf.placeholder(tf.bool, shape=[])
out = tf.layers.batch_normalization(inputs=x,
                                   training=training_ph,
                                   epsilon=1e-5.
                                   momentum=0.9)
'''


def test_001_tf_snippet_has_a_syntax_error():
    with pytest.raises(SyntaxError):
        compile(SEED001_TF, "seed001_tf", "exec")
    compile(patch(SEED001_TF, "epsilon=1e-5.", "epsilon=1e-5,"), "seed001_tf", "exec")


def test_001_tf_eval_is_not_normalized_until_moving_stats_are_updated():
    tf = Convention("tf momentum=0.9", 0.9, True, 1.0, False, False)
    rng = np.random.default_rng(2)
    train = [3.0 + 2.0 * rng.standard_normal((16, 4)) for _ in range(50)]
    x = 3.0 + 2.0 * rng.standard_normal((64, 4))
    one, zero = np.ones(4), np.zeros(4)
    stale = eval_output(tf, x, zero, one, one, zero, EPS)       # UPDATE_OPS never run
    fresh = eval_output(tf, x, *running_stats(tf, train, EPS), one, zero, EPS)
    assert np.abs(stale.mean(0)).min() > 2.0
    assert np.abs(fresh.mean(0)).max() < 0.4 and np.abs(fresh.std(0) - 1).max() < 0.25


# --- notes 002 and 003: claims about gamma, beta, bias, scale ------------------------------------

def test_002_gamma_and_beta_start_at_one_and_zero_not_random(torch):
    bn = torch.nn.BatchNorm1d(3)
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(3))


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)])
def test_bias_before_bn_changes_nothing_in_training(shape):
    x, gamma, beta, dout = problem(shape)
    bias = np.array([5.0, -3.0, 0.5]).reshape((1, 3) + (1,) * (len(shape) - 2))
    values, grads = engine(x + bias, gamma, beta, dout)
    close(values["out"], engine(x, gamma, beta)[0]["out"])
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    close(grads["dx"].sum(axis=axes), np.zeros(3))       # d loss / d bias = sum of dx = 0


def test_003_output_variance_is_gamma_squared_not_gamma():
    x, gamma, beta, _ = problem((50, 3))
    out = engine(x, gamma, beta)[0]["out"]
    close(out.mean(0), beta)
    close(out.var(0), gamma ** 2 * x.var(0) / (x.var(0) + EPS))
    assert differs(out.var(0), gamma)


def test_003_gamma_sigma_beta_mu_is_the_identity_only_up_to_eps():
    x = problem((6, 3))[0] * 1e-3                    # sigma ~ 1e-3, comparable to sqrt(eps)
    mu, sigma = x.mean(0), x.std(0)
    assert differs(engine(x, sigma, mu)[0]["out"], x, 1e-2)
    close(engine(x, np.sqrt(sigma ** 2 + EPS), mu)[0]["out"], x)


def test_003_eval_folds_to_k_x_plus_b():
    x, gamma, beta, _ = problem()
    rmean, rvar = np.array([0.5, -1.0, 2.0]), np.array([0.5, 2.0, 4.0])
    k = gamma / np.sqrt(rvar + EPS)
    b = beta - k * rmean
    values = engine(x, gamma, beta, running_mean=rmean.copy(), running_var=rvar.copy(),
                    training=False)[0]
    close(k * x + b, values["out"])


def test_003_scale_invariance_holds_only_up_to_eps():
    x, gamma, beta, _ = problem()
    out = engine(x, gamma, beta)[0]["out"]
    close(engine(1e3 * x, gamma, beta)[0]["out"], out, 1e-4)
    assert differs(engine(1e-3 * x, gamma, beta)[0]["out"], out, 1e-2)


def test_003_features_do_not_interact_but_samples_do():
    x, gamma, beta, _ = problem()
    out = engine(x, gamma, beta)[0]["out"]
    moved = x.copy()
    moved[0, 1] += 1.0                             # one sample, feature 1
    out2 = engine(moved, gamma, beta)[0]["out"]
    close(out2[:, [0, 2]], out[:, [0, 2]], 1e-15)  # other features: untouched
    assert differs(out2[1:, 1], out[1:, 1])        # other samples of feature 1: changed


def test_003_inference_averages_variances_with_bessel_not_stds():
    x = 2.0 * np.random.default_rng(3).standard_normal((20000, 4))   # true variance 4, m = 4
    var_b = x.var(axis=1)
    assert abs(var_b.mean() * 4 / 3 - 4.0) < 0.1    # paper: Var[x] = m/(m-1) E[sigma_B^2]
    assert abs(var_b.mean() - 3.0) < 0.1            # biased average: 3/4 too small
    assert np.sqrt(var_b).mean() ** 2 < 3.0          # averaging stds: smaller still


# --- note 004: cs231n assignment code with bugs --------------------------------------------------

SEED004_FORWARD = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        sample_mean = np.mean(x, axis=0)
        sample_var = np.var(x, axis=0)
        # normalize first
        x_hat = (x - sample_mean)/(np.sqrt(sample_var + eps))
        # then scale and shift
        out = gamma * x_hat + beta
        cache = (gamma, x, sample_mean, sample_var, eps, x_hat)
        running_mean = momentum * running_mean + (1-momuntum)*sample_mean
        running_var = momentum * running_var + (1-momentum)*sample_var
    elif mode == 'test':
        # or the "slick" way below
        scale = gamma/(np.sqrt(running_var + eps))
        out = x*scale + (beta - running_mean*scale)
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var

    return out, cache
'''

SEED004_BACKWARD = '''
def batchnorm_barckward(out, cache):
    dx, dgamma, dbeta = None, None, None
    # unpack cache
    gamma, x, u_b, sigma_squared_b, eps, x_hat = cache
    N = x.shape[0]

    dx_1 = gamma * dout # dloss/dx_hat = dloss/dout * gamma (N, D)
    dx_2_b = np.sum((x - u_b) * dx_1, axis=0)
    dx_2_a = ((sigma_squared_b + eps)**-0.5)*dx_1
    dx_3_b = (-0.5) * ((sigma_squared_b + eps)**-1.5)*dx_2_b
    dx_4_b = dx_3_b * 1
    dx_5_b = np.ones_like(x)/N * dx_4_b
    dx_6_b = 2*(x-u_b)*dx_5_b
    dx_7_a = dx_6_b*1 + dx_2_a*1
    dx_7_b = dx_6_b*1 * dx_2_a*1
    dx_8_b = -1*np.sum(dx_7_b, axis=0)
    dx_9_b = np.ones_like(x)/N * dx_8_b
    dx_10 = dx_9_b + dx_7_a

    dgamma = np.sum(x_hat * dout, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx = dx_10

    return dx, dgamma, dbeta
'''

SEED004_BACKWARD_ALT = '''
def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = None, None, None
    # unpack cache
    gamma, x, u_b, sigma_squared_b, eps, x_hat = cache
    N = x.shape[0]
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat* (x - sample_mean) * -0.5 * np.power(sample_var + eps, -1.5), axis = 0)

    dmean = np.sum(dx_hat * -1 / np.sqrt(sample_var +eps), axis = 0) + dvar * np.mean(-2 * (x - sample_mean), axis =0)

    dx = 1 / np.sqrt(sample_var + eps) * dx_hat + dvar * 2.0 / N * (x-sample_mean) + 1.0 / N * dmean

    dgamma = np.sum(x_hat * dout, axis = 0)
    dbeta = np.sum(dout , axis = 0)

    return dx, dgamma, dbeta
'''

SEED004_SPATIAL = '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    # after transpose (N, W, H, C): the channel is the feature
    temp_out, cache = batchnorm_forward(x.transpose(0, 3, 2, 1).reshape((N*H*W, C)), gamma, beta, bn_param)
    # restore the shape
    out = temp_output.reshape(N, W, H, C).transpose(0, 3, 2, 1)
    return out, cache

def spatial_batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = None, None, None
    N, C, H, W = dout.shape
    # the plain BN backward on (N*H*W, C): channel as the feature axis
    dx_temp, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 3, 2, 1).reshape((N*H*W, C)), cache)
    # restore the shape
    dx = dx_temp.reshape(N, W, H, C).transpose(0, 3, 2, 1)
    return dx, dgamma, dbeta
'''

FORWARD_FIXED = patch(SEED004_FORWARD, "(1-momuntum)", "(1-momentum)")
ALT_FIXED = patch(patch(SEED004_BACKWARD_ALT, "sample_mean", "u_b"), "sample_var",
                  "sigma_squared_b")


def test_004_running_average_is_exponential_not_cumulative():
    bs = batches(4)
    mean, _ = running_stats(CS231N, bs, EPS)
    close(mean, sum(0.1 * 0.9 ** (3 - i) * b.mean(0) for i, b in enumerate(bs)))
    assert differs(mean, np.mean([b.mean(0) for b in bs], axis=0))


@pytest.mark.parametrize("momentum, expected", [(0.0, "last batch"), (1.0, "initial")])
def test_004_momentum_0_keeps_only_the_batch_and_1_only_the_past(momentum, expected):
    bs = batches()
    mean, var = running_stats(dataclasses.replace(CS231N, momentum=momentum), bs, EPS)
    want = (bs[-1].mean(0), bs[-1].var(0)) if expected == "last batch" else (0 * mean, 0 * var)
    close(mean, want[0]), close(var, want[1])


def test_004_forward_misspelled_momentum_raises_and_fixed_matches():
    x, gamma, beta, _ = problem()
    with pytest.raises(NameError, match="momuntum"):
        run(SEED004_FORWARD, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    forward, bn_param = run(FORWARD_FIXED, "batchnorm_forward"), {"mode": "train"}
    for xb in batches():
        out, _ = forward(xb, gamma, beta, bn_param)
        close(out, engine(xb, gamma, beta)[0]["out"])
    mean, var = running_stats(CS231N, batches(), EPS)
    close(bn_param["running_mean"], mean), close(bn_param["running_var"], var)
    bn_param["mode"] = "test"                      # the folded test mode: x*scale + shift
    values = engine(x, gamma, beta, running_mean=mean.copy(), running_var=var.copy(),
                    training=False)[0]
    close(forward(x, gamma, beta, bn_param)[0], values["out"])


def test_004_staged_backward_undefined_dout_and_multiply_instead_of_add():
    x, gamma, beta, dout = problem()
    _, cache = run(FORWARD_FIXED, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    with pytest.raises(NameError, match="dout"):
        run(SEED004_BACKWARD, "batchnorm_barckward")(dout, cache)
    renamed = patch(SEED004_BACKWARD, "def batchnorm_barckward(out, cache)",
                    "def batchnorm_backward(dout, cache)")
    fixed = patch(renamed, "dx_7_b = dx_6_b*1 * dx_2_a*1", "dx_7_b = dx_6_b*1 + dx_2_a*1")
    numeric, grads = numeric_dx(x, gamma, beta, dout), engine(x, gamma, beta, dout)[1]
    dx, dgamma, dbeta = run(renamed, "batchnorm_backward")(dout, cache)
    assert differs(dx, numeric)                    # the product breaks dmu, hence dx
    close(dgamma, grads["dgamma"]), close(dbeta, grads["dbeta"])
    dx, _, _ = run(fixed, "batchnorm_backward")(dout, cache)
    close(dx, numeric, 1e-6), close(dx, grads["dx"])


def test_004_backward_alt_uses_undefined_names_and_fixed_matches():
    x, gamma, beta, dout = problem()
    _, cache = run(FORWARD_FIXED, "batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    with pytest.raises(NameError, match="sample_mean"):
        run(SEED004_BACKWARD_ALT, "batchnorm_backward_alt")(dout, cache)
    dx, dgamma, dbeta = run(ALT_FIXED, "batchnorm_backward_alt")(dout, cache)
    grads = engine(x, gamma, beta, dout)[1]
    close(dx, grads["dx"]), close(dgamma, grads["dgamma"]), close(dbeta, grads["dbeta"])


def test_004_spatial_forward_misspelled_output_and_fixed_matches_engine():
    x, gamma, beta, dout = problem((2, 3, 2, 3))
    seed = FORWARD_FIXED + ALT_FIXED
    with pytest.raises(NameError, match="temp_output"):
        run(seed + SEED004_SPATIAL, "spatial_batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    code = seed + patch(SEED004_SPATIAL, "temp_output.reshape", "temp_out.reshape")
    out, cache = run(code, "spatial_batchnorm_forward")(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = run(code, "spatial_batchnorm_backward")(dout, cache)
    values, grads = engine(x, gamma, beta, dout)
    close(out, values["out"])
    close(dx, grads["dx"]), close(dgamma, grads["dgamma"]), close(dbeta, grads["dbeta"])
