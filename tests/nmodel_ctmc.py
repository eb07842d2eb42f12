"""Exact reference for skills-based routing: the "N model" as a continuous-time Markov chain (scipy).

Two call types A and B, two pools: ``c1`` agents skilled for A only ("dedicated"), ``c2`` agents skilled for
both ("flex": B at level 1, A at level 2). A goes to an idle dedicated agent, else an idle flex agent, else
waits; B goes to an idle flex agent, else waits. A freed flex agent takes a waiting B first, else a waiting A;
a freed dedicated agent takes a waiting A. Poisson arrivals (``lam_a``, ``lam_b`` per s), exponential talk
(``mu`` per s, both types), exponential patience (``theta`` per s), FIFO within a type; queues truncated at
``q_max`` (the tail mass is checked to be negligible).

Stationary state (n1, n2, qA, qB) from the generator built here; the caller's view by PASTA; waits of an
arriving caller from a tagged-caller absorbing chain (states: what is ahead of it), giving for each type:
P(abandon), P(answered within T), ASA (mean wait of answered calls, zero waits included).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply, spsolve


def _stationary(rows, cols, vals, n) -> np.ndarray:
    q = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    q = q - sp.diags(np.asarray(q.sum(axis=1)).ravel())
    a = q.T.tolil()
    a[0, :] = 1.0                          # replace one balance equation by normalisation
    b = np.zeros(n)
    b[0] = 1.0
    return spsolve(a.tocsr(), b)


def stationary(c1, c2, lam_a, lam_b, mu, theta, q_max):
    states = [(n1, n2, qa, qb) for n1 in range(c1 + 1) for n2 in range(c2 + 1)
              for qa in range(q_max + 1) for qb in range(q_max + 1)
              if not (qa and (n1 < c1 or n2 < c2)) and not (qb and n2 < c2)]
    index = {s: i for i, s in enumerate(states)}
    rows, cols, vals = [], [], []

    def add(s, t, rate):
        if rate > 0 and t in index:
            rows.append(index[s]); cols.append(index[t]); vals.append(rate)

    for s in states:
        n1, n2, qa, qb = s
        add(s, (n1 + 1, n2, qa, qb) if n1 < c1 else (n1, n2 + 1, qa, qb) if n2 < c2 else (n1, n2, qa + 1, qb), lam_a)
        add(s, (n1, n2 + 1, qa, qb) if n2 < c2 else (n1, n2, qa, qb + 1), lam_b)
        add(s, (n1, n2, qa - 1, qb) if qa else (n1 - 1, n2, qa, qb), n1 * mu)
        add(s, (n1, n2, qa, qb - 1) if qb else (n1, n2, qa - 1, qb) if qa else (n1, n2 - 1, qa, qb), n2 * mu)
        add(s, (n1, n2, qa - 1, qb), qa * theta)
        add(s, (n1, n2, qa, qb - 1), qb * theta)
    return states, _stationary(rows, cols, vals, len(states))


def _absorbing(transient, moves, alpha, p_now, t_sl):
    """Tagged caller: ``moves(state)`` -> [(next state | 'served' | 'gone', rate)]; ``alpha``: start weights of
    the waiting states; ``p_now``: P(answered at once). Returns (P(abandon), SL(t_sl), ASA)."""
    index = {s: i for i, s in enumerate(transient)}
    n = len(transient)
    served, gone = n, n + 1
    rows, cols, vals = [], [], []
    for s in transient:
        for t, rate in moves(s):
            j = served if t == "served" else gone if t == "gone" else index.get(t)
            if j is not None and rate > 0:
                rows.append(index[s]); cols.append(j); vals.append(rate)
    g = sp.csr_matrix((vals, (rows, cols)), shape=(n + 2, n + 2))
    g = (g - sp.diags(np.asarray(g.sum(axis=1)).ravel())).tocsc()
    a0 = np.zeros(n + 2)
    for s, w in alpha.items():
        a0[index[s]] += w
    p_t = expm_multiply(g.T * t_sl, a0)
    neg_s = -g[:n, :n]
    exit_served = g[:n, served].toarray().ravel()
    x = spsolve(neg_s.tocsc(), exit_served)            # P(served | start state)
    y = spsolve(neg_s.tocsc(), x)                      # E[tau 1{served} | start state]
    p_served_wait = a0[:n] @ x
    p_answered = p_now + p_served_wait
    return 1.0 - p_answered, p_now + p_t[served], float(a0[:n] @ y) / p_answered


def nmodel_exact(c1, c2, lam_a, lam_b, mu, theta, t_sl=20.0, q_max=40) -> dict:
    """{'A': {abandon, service_level, asa}, 'B': {...}, 'tail': stationary mass at a full queue}."""
    states, pi = stationary(c1, c2, lam_a, lam_b, mu, theta, q_max)
    tail = sum(p for (n1, n2, qa, qb), p in zip(states, pi) if qa == q_max or qb == q_max)
    p = dict(zip(states, pi))
    # A arrives: waiting iff both pools full; then j = A's ahead, qB = B's waiting (they go first at flex)
    alpha_a = {}
    for (n1, n2, qa, qb), w in p.items():
        if n1 == c1 and n2 == c2 and qa < q_max:
            alpha_a[(qa, qb)] = alpha_a.get((qa, qb), 0.0) + w
    now_a = 1.0 - sum(alpha_a.values()) - sum(w for (n1, n2, qa, qb), w in p.items() if qa == q_max)

    def moves_a(s):
        j, qb = s
        out = [((j, qb + 1), lam_b), ((j, qb - 1), qb * theta), ("gone", theta), ((j - 1, qb), j * theta)]
        out.append(((j, qb - 1), c2 * mu) if qb else ((j - 1, qb), c2 * mu) if j else ("served", c2 * mu))
        out.append(((j - 1, qb), c1 * mu) if j else ("served", c1 * mu))
        return out

    trans_a = [(j, qb) for j in range(q_max + 1) for qb in range(q_max + 1)]
    a = _absorbing(trans_a, moves_a, alpha_a, now_a, t_sl)
    alpha_b = {}
    for (n1, n2, qa, qb), w in p.items():
        if n2 == c2 and qb < q_max:
            alpha_b[qb] = alpha_b.get(qb, 0.0) + w
    now_b = 1.0 - sum(alpha_b.values()) - sum(w for (n1, n2, qa, qb), w in p.items() if qb == q_max)

    def moves_b(k):
        return [(k - 1 if k else "served", c2 * mu), (k - 1, k * theta), ("gone", theta)]

    b = _absorbing(list(range(q_max + 1)), moves_b, alpha_b, now_b, t_sl)
    keys = ("abandon", "service_level", "asa")
    return {"A": dict(zip(keys, a)), "B": dict(zip(keys, b)), "tail": tail,
            "abandon_by_little": {"A": theta * sum(w * qa for (_, _, qa, _), w in p.items()) / lam_a,
                                  "B": theta * sum(w * qb for (_, _, _, qb), w in p.items()) / lam_b}}
