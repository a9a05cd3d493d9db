"""Tests of mlcourse.kernels: Mercer kernel regression, the risk bound and the simulation."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.kernel_ridge import KernelRidge

from mlcourse import kernels
from mlcourse.kernels import (gaussian_kernel, mercer_coefficients, mercer_regression,
                              polynomial_kernel)


@pytest.fixture
def sample():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, 50)
    return X, 3 * X ** 2 + 0.25 * rng.standard_normal(50), np.linspace(-1, 1, 100)


@pytest.mark.parametrize("bandwidth", [0.1, 0.5, 1.5])
@pytest.mark.parametrize("lam", [1e-3, 0.1, 1.0])
def test_mercer_regression_matches_kernel_ridge_for_gaussian_kernel(sample, bandwidth, lam):
    # lam is KernelRidge's alpha unchanged; rbf gamma = 1 / (2 h^2).
    X, y, x = sample
    ours = mercer_regression(gaussian_kernel(bandwidth), X, y, x, lam)
    ref = KernelRidge(alpha=lam, kernel="rbf", gamma=1 / (2 * bandwidth ** 2)).fit(X[:, None], y)
    np.testing.assert_allclose(ours, ref.predict(x[:, None]), rtol=0, atol=1e-8)


def test_mercer_regression_matches_kernel_ridge_for_polynomial_kernel(sample):
    X, y, x = sample
    ours = mercer_regression(polynomial_kernel(3), X, y, x, 0.5)
    ref = KernelRidge(alpha=0.5, kernel="poly", degree=3, gamma=1.0, coef0=1.0).fit(X[:, None], y)
    np.testing.assert_allclose(ours, ref.predict(x[:, None]), rtol=0, atol=1e-8)


def test_mercer_regression_with_array_of_penalties_matches_one_at_a_time(sample):
    X, y, x = sample
    lams = np.array([1e-3, 1e-1, 10.0])
    many = mercer_regression(gaussian_kernel(0.3), X, y, x, lams)
    assert many.shape == (3, 100)
    for row, lam in zip(many, lams):
        np.testing.assert_allclose(row, mercer_regression(gaussian_kernel(0.3), X, y, x, lam), atol=1e-10)


def test_mercer_coefficients_solve_the_normal_equations(sample):
    X, y, _ = sample
    K = gaussian_kernel(0.3)(X[:, None], X[:, None])
    alpha = mercer_coefficients(K, y, 0.2)
    np.testing.assert_allclose((K + 0.2 * np.eye(50)) @ alpha, y, atol=1e-10)


def test_mercer_regression_works_in_two_dimensions():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 2))
    fit = mercer_regression(gaussian_kernel(0.5), X, X.sum(axis=1), np.zeros((1, 2)), 1e-4)
    assert fit.shape == (1,) and abs(fit[0]) < 0.05


def test_gaussian_kernel_values():
    K = gaussian_kernel(2.0)(np.array([[0.0], [2.0]]), np.array([[0.0]]))
    np.testing.assert_allclose(K[:, 0], [1.0, np.exp(-0.5)])


@pytest.mark.parametrize("lam", [0.0, -1.0, np.nan, [0.1, 0.0]])
def test_mercer_regression_rejects_non_positive_lambda(sample, lam):
    X, y, x = sample
    with pytest.raises(ValueError, match="lam must be positive"):
        mercer_regression(gaussian_kernel(0.3), X, y, x, lam)


def test_mercer_regression_rejects_mismatched_lengths(sample):
    X, y, x = sample
    with pytest.raises(ValueError, match="X has 50 points but y has shape"):
        mercer_regression(gaussian_kernel(0.3), X, y[:-1], x, 0.1)


def test_mercer_regression_rejects_indefinite_kernel(sample):
    X, y, x = sample

    def squared_distance(A, B):  # symmetric but not a Mercer kernel (zero diagonal)
        return (A - B.T) ** 2

    with pytest.raises(ValueError, match="not positive semi-definite"):
        mercer_regression(squared_distance, X, y, x, 0.1)


def test_mercer_coefficients_rejects_asymmetric_matrix():
    with pytest.raises(ValueError, match="not symmetric"):
        mercer_coefficients(np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2), 0.1)


def test_kernel_matrix_rejects_wrong_output_shape(sample):
    X, y, x = sample
    with pytest.raises(ValueError, match="Gram matrix shape"):
        mercer_regression(lambda A, B: np.ones(len(A)), X, y, x, 0.1)


def test_gaussian_kernel_rejects_non_positive_bandwidth():
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        gaussian_kernel(0)


def test_polynomial_kernel_rejects_bad_degree():
    with pytest.raises(ValueError, match="degree must be a positive integer"):
        polynomial_kernel(1.5)


@pytest.mark.parametrize("n, p", [(100, 1), (1e4, 3), (1e6, 20)])
def test_optimal_bandwidth_minimizes_the_bound(n, p):
    bound = lambda log_h: np.exp(4 * log_h) + 1 / (n * np.exp(p * log_h))  # noqa: E731
    numeric = np.exp(minimize_scalar(bound, bracket=(-5, 0)).x)
    assert kernels.optimal_bandwidth(n, p) == pytest.approx(numeric, rel=1e-4)
    assert kernels.risk_bound(n, p) == pytest.approx(bound(np.log(numeric)), rel=1e-8)


def test_sample_size_for_risk_inverts_the_bound():
    p = np.arange(1, 21)[:, None]
    risk = np.linspace(0.1, 0.5, 5)[None, :]
    n = kernels.sample_size_for_risk(risk, p, c1=2.0, c2=0.5)
    np.testing.assert_allclose(kernels.risk_bound(n, p, c1=2.0, c2=0.5), np.broadcast_to(risk, n.shape))
    assert np.all(np.diff(n, axis=0) > 0)  # more dimensions need more data


def test_sample_size_for_risk_rejects_non_integer_dimension():
    with pytest.raises(ValueError, match="positive integer"):
        kernels.sample_size_for_risk(0.1, 2.5)


def test_simulation_risk_is_bias_plus_variance_and_bias_grows_with_lambda():
    res = kernels.bias_variance_simulation(gaussian_kernel(0.3), [1e-3, 1.0, 100.0], trials=30, seed=3)
    np.testing.assert_allclose(res.risk, res.sq_bias + res.variance)
    assert res.sq_bias[0] < res.sq_bias[1] < res.sq_bias[2]
    assert res.variance[2] < res.variance[0]
    assert res.best_lam in res.lams
    assert res.example_fits.shape == (5, 3, 100)


def test_simulation_is_reproducible_for_a_seed():
    a = kernels.bias_variance_simulation(gaussian_kernel(0.3), [0.1], trials=5, seed=7)
    b = kernels.bias_variance_simulation(gaussian_kernel(0.3), [0.1], trials=5, seed=7)
    np.testing.assert_array_equal(a.mean_fit, b.mean_fit)


def test_simulation_calls_progress_wrapper():
    seen = []

    def progress(iterable, desc=None):
        seen.append(desc)
        return iterable

    kernels.bias_variance_simulation(gaussian_kernel(0.3), [0.1], trials=3, progress=progress, desc="k1")
    assert seen == ["k1"]


def test_simulation_rejects_single_trial():
    with pytest.raises(ValueError, match="trials must be an integer >= 2"):
        kernels.bias_variance_simulation(gaussian_kernel(0.3), [0.1], trials=1)


def test_plot_bias_variance_draws_three_curves():
    import matplotlib.pyplot as plt

    from mlcourse.plots import plot_bias_variance

    ax = plot_bias_variance([0.1, 1.0], [0.01, 0.1], [0.1, 0.01], chosen=0.1)
    assert len(ax.get_lines()) == 4 and ax.get_xscale() == "log"
    plt.close(ax.figure)


def test_plot_bias_variance_rejects_mismatched_lengths():
    from mlcourse.plots import plot_bias_variance

    with pytest.raises(ValueError, match="one length"):
        plot_bias_variance([0.1, 1.0], [0.01], [0.1, 0.01])
