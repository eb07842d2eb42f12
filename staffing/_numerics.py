"""Numerical building blocks shared by the Erlang B / C / A modules (private).

Everything here works on numpy arrays and in log-space, so that centres with 100 000 agents neither overflow
nor lose precision:

* ``log_poisson_f(a, y)`` = log f(a, y) with f(a, y) = exp(-y) * y**a / Gamma(a + 1), the Poisson
  probability mass extended to a real "count" a >= 0.  Computed with Loader's saddle-point form
  (Stirling remainder + deviance ``bd0``), which keeps ~1e-15 relative accuracy even when a and y are 1e5.
* ``windowed_log_sums``: log of sums over k of f(a0 + s*k, y) * w_k for a handful of positive weights w_k,
  summing only the window of k where the terms are not negligible (a Poisson-like term has width
  ~sqrt(y), so the window is O(sqrt(y)) long).  All terms are positive, so there is no cancellation.
* Input validation helpers raising one ``ValueError`` that names the argument.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special as sc

LOG_2PI = math.log(2.0 * math.pi)
# Relative size below which a term is negligible in a sum of positive terms (well below 1e-16).
_NEGLIGIBLE_LOG = -42.0


# --------------------------------------------------------------------------------------------- validation
def as_float_array(value, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Convert to a float array, rejecting nan (and inf unless ``allow_inf``) with a ValueError naming ``name``."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} must be finite")
    return arr


def check_nonnegative(value, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Array of ``value``; ValueError naming ``name`` unless every element is >= 0."""
    arr = as_float_array(value, name, allow_inf=allow_inf)
    if (arr < 0).any():
        raise ValueError(f"{name} must be >= 0, got minimum {arr.min()!r}")
    return arr


def check_positive(value, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Array of ``value``; ValueError naming ``name`` unless every element is > 0."""
    arr = as_float_array(value, name, allow_inf=allow_inf)
    if (arr <= 0).any():
        raise ValueError(f"{name} must be > 0, got minimum {arr.min()!r}")
    return arr


def check_count(value, name: str) -> np.ndarray:
    """Array of non-negative whole numbers (float dtype); ValueError naming ``name`` otherwise."""
    arr = check_nonnegative(value, name)
    if (arr != np.floor(arr)).any():
        raise ValueError(f"{name} must be whole numbers (integers >= 0)")
    return arr


def check_fraction(value, name: str, *, low_open: bool = True, high_open: bool = True) -> float:
    """Scalar fraction in (0, 1) (ends closed if asked); ValueError naming ``name`` otherwise."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}") from exc
    lo_ok = v > 0 if low_open else v >= 0
    hi_ok = v < 1 if high_open else v <= 1
    if not (lo_ok and hi_ok) or math.isnan(v):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}0, 1{hi}, got {value!r}")
    return v


# ------------------------------------------------------------------------------------- Poisson-like terms
def stirlerr(a: np.ndarray) -> np.ndarray:
    """Stirling remainder lgamma(a+1) - (a+0.5)*log(a) + a - 0.5*log(2*pi), for a > 0."""
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    big = a > 15.0
    ab = a[big]
    inv = 1.0 / ab
    inv2 = inv * inv
    out[big] = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))))
    sm = ~big
    asm = a[sm]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[sm] = sc.gammaln(asm + 1.0) - (asm + 0.5) * np.log(asm) + asm - 0.5 * LOG_2PI
    return out


def bd0(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Loader's deviance a*log(a/y) + y - a (>= 0), accurate also when a is close to y. a > 0, y > 0."""
    a, y = np.broadcast_arrays(np.asarray(a, float), np.asarray(y, float))
    out = np.empty(a.shape)
    d = a - y
    s = a + y
    close = np.abs(d) < 0.1 * s
    # series: v = d/s; bd0 = d*v + 2a*sum_{j>=1} v^(2j+1)/(2j+1)   (|v| < 0.1 -> 16 terms reach 1e-32)
    v = np.where(close, d / np.where(s > 0, s, 1.0), 0.0)
    v2 = v * v
    ej = 2.0 * a * v
    acc = np.zeros(a.shape)
    for j in range(1, 17):
        ej = ej * v2
        acc = acc + ej / (2 * j + 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = a * np.log(a / y) + y - a
    out = np.where(close, d * v + acc, direct)
    return out


def log_poisson_f(a, y) -> np.ndarray:
    """log f(a, y), f(a, y) = exp(-y) y**a / Gamma(a+1); a >= 0, y >= 0 (f(0, 0) = 1, f(a>0, 0) = 0)."""
    a, y = np.broadcast_arrays(np.asarray(a, float), np.asarray(y, float))
    out = np.empty(a.shape)
    pos = (a > 0) & (y > 0)
    ap, yp = a[pos], y[pos]
    out[pos] = -stirlerr(ap) - 0.5 * (LOG_2PI + np.log(ap)) - bd0(ap, yp)
    zero_a = a == 0
    out[zero_a] = -y[zero_a]
    out[(a > 0) & (y == 0)] = -np.inf
    return out


def logsumexp_rows(log_terms: np.ndarray) -> np.ndarray:
    """log(sum(exp(log_terms), axis=-1)), -inf for rows of -inf."""
    m = np.max(log_terms, axis=-1, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return (np.log(np.sum(np.exp(log_terms - m_safe), axis=-1, keepdims=True)) + m_safe)[..., 0]


def window_halfwidth(y: np.ndarray) -> np.ndarray:
    """Half-width (in k) beyond which Poisson-like terms around y are < exp(-42) of the peak."""
    return 9.5 * np.sqrt(y) + 40.0


_CHUNK_CELLS = 2_000_000  # terms evaluated at once (memory bound for the windowed sums)


def _window_lengths(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Number of k >= 1 to sum so that the neglected terms (even weighted by k) are < exp(-42) of the total."""
    half = window_halfwidth(y)
    two_sided = 2.0 * half + 10.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # x + 1 > y: terms decay at least geometrically with ratio r = y/(x+1); k r^k < e^-42 after
        # about 1.2 * 42 / -log(r) + 20 terms
        geo = 1.2 * 42.0 / np.log1p((x + 1.0 - y) / y) + 20.0
    geo = np.where(x + 1.0 > y, geo, np.inf)
    return np.ceil(np.minimum(two_sided, geo))


def upward_log_sums(x: np.ndarray, y: np.ndarray, *, weights: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Log of the sums over k >= 1 of f(x+k, y) * w_k, for x >= 0, y > 0 (1-D arrays of equal length).

    Weights (all >= 0, so no cancellation):
      ``"one"``: 1;  ``"k"``: k;  ``"xh"``: x * sum_{i=1..k} 1/(x+i);  ``"g"``: sum_{i=1..k} i/(x+i).
    The window covers the k where x+k lies within ~9.5 sqrt(y)+40 of y (the terms' peak), or, when x
    exceeds y, the first ~50/log((x+1)/y) k (geometric decay with ratio <= y/(x+1)).  Elements are
    processed in chunks of similar window length to bound memory.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    out = {w: np.empty(x.shape) for w in weights}
    if x.size == 0:
        return out
    lengths = _window_lengths(x, y)
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < order.size:
        stop = start + 1
        # grow the chunk while (elements x longest window) stays under the cell budget
        while stop < order.size and (stop + 1 - start) * lengths[order[stop]] <= _CHUNK_CELLS:
            stop += 1
        idx = order[start:stop]
        part = _upward_log_sums_chunk(x[idx], y[idx], int(lengths[idx].max()), weights)
        for w in weights:
            out[w][idx] = part[w]
        start = stop
    return out


def _upward_log_sums_chunk(x, y, length, weights):
    half = window_halfwidth(y)
    k0 = np.maximum(1.0, np.floor(y - half - x))
    k = k0[:, None] + np.arange(length)[None, :]
    xx = x[:, None]
    yy = y[:, None]
    # log f(x+k, y) = log f(x+k0, y) - sum_{j=k0+1..k} log((x+j)/y): one log1p per term instead of the
    # saddle-point formula; the running sum adds ~length * 1e-16 relative error (< 1e-12 here)
    with np.errstate(over="ignore", divide="ignore"):
        steps = np.log1p((xx + k[:, 1:] - yy) / yy)
    logt = np.empty(k.shape)
    logt[:, 0] = log_poisson_f(x + k0, y)
    logt[:, 1:] = logt[:, :1] - np.cumsum(steps, axis=1)
    peak = np.max(logt, axis=1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    terms = np.exp(logt - peak)  # one exponential per term, shared by all weights
    out: dict[str, np.ndarray] = {}
    for w in weights:
        if w == "one":
            total = terms.sum(axis=1)
        elif w == "k":
            total = (terms * k).sum(axis=1)
        elif w in ("xh", "g"):
            # cumulative sums from k0 within the window, plus the part i < k0 in closed form
            if w == "xh":
                inc = xx / (xx + k)
                # x * (psi(x+k0) - psi(x+1)) = x * sum_{i=1}^{k0-1} 1/(x+i)
                base = xx * (sc.digamma(xx + k0[:, None]) - sc.digamma(xx + 1.0))
            else:
                inc = k / (xx + k)
                # sum_{i=1}^{k0-1} i/(x+i) = (k0-1) - x*(psi(x+k0) - psi(x+1))
                base = (k0[:, None] - 1.0) - xx * (sc.digamma(xx + k0[:, None]) - sc.digamma(xx + 1.0))
            base = np.where(k0[:, None] > 1.0, base, 0.0)
            total = (terms * (base + np.cumsum(inc, axis=1))).sum(axis=1)
        else:  # pragma: no cover - programming error
            raise KeyError(w)
        with np.errstate(divide="ignore"):
            out[w] = np.log(total) + peak[:, 0]
    return out


def log_poisson_cdf_ratio(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log( P(Poisson(a) <= n-1) / P(Poisson(a) = n) ) = log(1/ErlangB(n, a) - 1) for whole n >= 0, a > 0.

    Uses scipy's regularised upper incomplete gamma Q(n, a) = P(Poisson(a) <= n-1) where it does not
    underflow, else the positive windowed sum  sum_{j=1..n} f(n-j, a) / f(n, a).  n = 0 gives -inf.
    """
    n, a = np.broadcast_arrays(np.asarray(n, float), np.asarray(a, float))
    n = n.ravel()
    a = a.ravel()
    out = np.full(n.shape, -np.inf)
    pos = n > 0
    npos, apos = n[pos], a[pos]
    q = sc.gammaincc(npos, apos)
    logf = log_poisson_f(npos, apos)
    res = np.empty(npos.shape)
    ok = q > 1e-280
    with np.errstate(divide="ignore"):
        res[ok] = np.log(q[ok]) - logf[ok]
    bad = ~ok
    if bad.any():
        nb, ab = npos[bad], apos[bad]
        # here a >> n: terms f(n-j, a) decay geometrically with ratio (n-j+1)/a; sum j = 1..min(n, L)
        length = int(np.ceil(np.max(np.minimum(nb, 2.0 * window_halfwidth(ab) + 10.0))))
        j = np.arange(1, length + 1)[None, :]
        m = nb[:, None] - j
        logt = np.where(m >= 0, log_poisson_f(np.maximum(m, 0.0), ab[:, None]), -np.inf)
        res[bad] = logsumexp_rows(logt) - logf[bad]
    out[pos] = res
    return out


def log_upper_gamma(a, z) -> np.ndarray:
    """log Q(a, z), the regularised upper incomplete gamma, for a > 0, z >= 0, without underflow.

    scipy's gammaincc where it is representable; where it underflows (then z >> a) Legendre's continued
    fraction Q(a, z) = a f(a, z) h(a, z) evaluated with the modified Lentz method (fast for z > a + 1).
    """
    a, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(z, float))
    q = sc.gammaincc(a, z)
    out = np.empty(a.shape)
    ok = q > 1e-280
    out[ok] = np.log(q[ok])
    bad = ~ok
    if bad.any():
        ab, zb = a[bad], z[bad]
        tiny = 1e-300
        b = zb + 1.0 - ab
        c = np.full(ab.shape, 1.0 / tiny)
        d = 1.0 / b
        h = d.copy()
        active = np.ones(ab.shape, dtype=bool)
        for i in range(1, 5000):
            an = -i * (i - ab)
            b = b + 2.0
            d_new = an * d + b
            d_new = np.where(np.abs(d_new) < tiny, tiny, d_new)
            c_new = b + an / c
            c_new = np.where(np.abs(c_new) < tiny, tiny, c_new)
            d_new = 1.0 / d_new
            delta = d_new * c_new
            d = np.where(active, d_new, d)
            c = np.where(active, c_new, c)
            h = np.where(active, h * delta, h)
            active &= np.abs(delta - 1.0) > 1e-16
            if not active.any():
                break
        out[bad] = np.log(ab) + log_poisson_f(ab, zb) + np.log(h)
    return out
