"""The head fit on synthetic features: separable classes, determinism, class balance."""

from __future__ import annotations

import numpy as np

from camviz.teach import fit_softmax


def _blobs(counts: tuple[int, ...], dim: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(len(counts), dim))
    features = np.concatenate(
        [c + rng.normal(size=(n, dim)) for c, n in zip(centres, counts, strict=True)]
    )
    targets = np.repeat(np.arange(len(counts)), counts)
    return features.astype(np.float32), targets.astype(np.int64)


def test_separable_classes_are_fitted_deterministically() -> None:
    features, targets = _blobs((30, 30, 30))
    fit = fit_softmax(features, targets, 3)
    again = fit_softmax(features, targets, 3)
    assert np.array_equal(fit.weights, again.weights) and np.array_equal(fit.bias, again.bias)
    assert fit.weights.shape == (3, 6) and fit.bias.shape == (3,)
    assert fit.weights.dtype == np.float32 and 1 <= fit.iterations <= 300
    z = (features - fit.mean) / fit.std
    predicted = np.argmax(z @ fit.weights.T + fit.bias, axis=1)
    assert np.array_equal(predicted, targets)


def test_constant_features_get_unit_std_and_balance_moves_the_bias() -> None:
    features, targets = _blobs((60, 6))
    features[:, 0] = 1.5  # a constant feature must not divide by zero
    balanced = fit_softmax(features, targets, 2, l2=1.0)
    plain = fit_softmax(features, targets, 2, l2=1.0, balance=False)
    assert balanced.std[0] == 1.0 and np.all(np.isfinite(balanced.weights))
    # without balancing the big class pulls the bias its way
    assert (plain.bias[0] - plain.bias[1]) > (balanced.bias[0] - balanced.bias[1])
