"""Fitting the head: multinomial logistic regression, L2-penalised, by L-BFGS.

Numpy only (no scipy): :func:`fit_softmax` standardises the features and
minimises the (optionally class-balanced) mean cross-entropy with a small
L-BFGS (:func:`_lbfgs`, backtracking Armijo line search). Deterministic: it
starts from zero, so the same samples give the same head.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["FitResult", "fit_softmax"]


def _lbfgs(
    fun: Callable[[npt.NDArray[np.float64]], tuple[float, npt.NDArray[np.float64]]],
    x0: npt.NDArray[np.float64],
    max_iter: int,
    tol: float,
    memory: int = 10,
) -> tuple[npt.NDArray[np.float64], float, int]:
    """Minimise a smooth function with L-BFGS and a backtracking (Armijo) line search."""
    x = x0.copy()
    f, g = fun(x)
    s_hist: list[npt.NDArray[np.float64]] = []
    y_hist: list[npt.NDArray[np.float64]] = []
    iteration = 0
    while iteration < max_iter and float(np.max(np.abs(g))) >= tol:
        iteration += 1
        # two-loop recursion: direction = -H g
        q = g.copy()
        alphas: list[float] = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = float(s @ q) / float(y @ s)
            alphas.append(a)
            q -= a * y
        if y_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        for (s, y), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = float(y @ q) / float(y @ s)
            q += (a - b) * s
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction = -g
            slope = float(g @ direction)
        step = 1.0 if s_hist else min(1.0, 1.0 / max(float(np.sum(np.abs(g))), 1e-12))
        for _ in range(40):
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break  # no progress possible at machine precision
        s_vec, y_vec = x_new - x, g_new - g
        if float(s_vec @ y_vec) > 1e-10:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) <= 1e-12 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x, f, iteration


@dataclass(frozen=True, slots=True)
class FitResult:
    """A fitted head's arrays and how the fit went."""

    weights: npt.NDArray[np.float32]  # (classes, dim) on standardised features
    bias: npt.NDArray[np.float32]
    mean: npt.NDArray[np.float32]
    std: npt.NDArray[np.float32]
    loss: float
    iterations: int
    seconds: float


def fit_softmax(
    features: npt.NDArray[np.float32],
    targets: npt.NDArray[np.int64],
    num_classes: int,
    *,
    l2: float = 1e-4,
    max_iter: int = 300,
    tol: float = 1e-5,
    balance: bool = True,
) -> FitResult:
    """Multinomial logistic regression with an L2 penalty, fitted by L-BFGS on
    standardised features. Deterministic (starts from zero)."""
    start = time.perf_counter()
    x = features.astype(np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-6] = 1.0
    z = (x - mean) / std
    n, dim = z.shape
    onehot = np.zeros((n, num_classes))
    onehot[np.arange(n), targets] = 1.0
    counts = np.bincount(targets, minlength=num_classes).astype(np.float64)
    if balance:
        per_class = np.where(counts > 0, 1.0 / np.maximum(counts, 1.0), 0.0)
        sample_w = per_class[targets]
    else:
        sample_w = np.ones(n)
    sample_w /= sample_w.sum()
    weighted = onehot * sample_w[:, None]

    def loss_grad(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w = theta[: num_classes * dim].reshape(num_classes, dim)
        b = theta[num_classes * dim :]
        logits = z @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        log_p = logits - log_norm
        loss = -float(np.sum(weighted * log_p)) + 0.5 * l2 * float(np.sum(w * w))
        residual = np.exp(log_p) * sample_w[:, None] - weighted  # d loss / d logits
        grad_w = residual.T @ z + l2 * w
        grad_b = residual.sum(axis=0)
        return loss, np.concatenate([grad_w.ravel(), grad_b])

    theta, loss, iterations = _lbfgs(
        loss_grad, np.zeros(num_classes * (dim + 1)), max_iter=max_iter, tol=tol
    )
    weights = theta[: num_classes * dim].reshape(num_classes, dim)
    bias = theta[num_classes * dim :]
    return FitResult(
        weights.astype(np.float32),
        bias.astype(np.float32),
        mean.astype(np.float32),
        std.astype(np.float32),
        loss,
        iterations,
        time.perf_counter() - start,
    )
