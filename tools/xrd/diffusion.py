"""Interdiffusion coefficients from the exchanged fraction X(t) = 1 - c(t).

Models (lengths in lattice constants a, time in 1/k_diff0, so D~ comes out
in a^2 k_diff0), each for the whole crystal with X(0) = 0 and the surface
held at full exchange, as the experiment's Eq. 6 (Crank, "The Mathematics of
Diffusion", 2nd ed., 1975: Eq. 5.23 sphere, 5.52 cylinder, 4.18 slab):

* Fick, 3D cube of edge l = L (the crystal's L^3 cells): the product of
  three slab solutions, 1 - X = F^3 with
  F(t) = sum_{n odd} 8 / (n pi)^2 exp(-(n pi)^2 D t / l^2);
* Fick, 2D hexagon approximated by the disc of equal area (N sites of
  area sqrt3/2 each, R = sqrt(N sqrt3 / (2 pi))):
  1 - X = sum_n 4 / alpha_n^2 exp(-alpha_n^2 D t / R^2), alpha_n the zeros of J0;
* shrinking core (diffusion through the exchanged product layer,
  pseudo-steady state, Levenspiel / Ginstling-Brounshtein): sphere
  D t / R^2 = [1 - 3 (1-X)^(2/3) + 2 (1-X)] / 6 (cube: sphere of equal volume,
  R = L (3 / 4 pi)^(1/3)); disc D t / R^2 = [X + (1-X) ln(1-X)] / 4.

Fit: weighted least squares in log D of the ensemble mean X(t) over the grid
points with X in a window (default 0.5 .. 0.98: after the boundary layers
have exchanged, the experiment's diffusion-controlled stage C, and before
saturation), weights 1/sem^2 with the sem floored at one site,
1/(N sqrt(n_traj)).  Errors: bootstrap over trajectories (resample, refit).
Arrhenius: weighted straight line ln D = ln D0 - (E_a/eps) (eps/kT).
"""

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import jn_zeros

GEOMETRIES = ("cube", "disc")
MODELS = ("fick", "shrinking_core")
_ODD = 2 * np.arange(2000) + 1.0
_J0 = jn_zeros(0, 2000)


class FitError(Exception):
    pass


def geometry_of(lattice, n_sites, edge=None):
    """(geometry, length): cube edge L, or the radius of the equal-area disc."""
    if lattice == "cube":
        return "cube", float(edge if edge is not None else round(n_sites ** (1 / 3)))
    if lattice == "hexagon":
        return "disc", float(np.sqrt(n_sites * np.sqrt(3.0) / (2.0 * np.pi)))
    raise FitError(f"unknown lattice {lattice!r}")


def _fick_rest(tau, geometry):
    """1 - X at reduced times tau = D t / l^2: the series for tau >= 1e-6
    (2000 terms: the last is below e^-39), the short-time expansion below
    (slab 1 - F = 4 sqrt(tau / pi); disc Crank Eq. 5.24)."""
    tau = np.atleast_1d(np.asarray(tau, float))
    out = np.empty_like(tau)
    big = tau >= 1e-6
    tb = tau[big]
    if geometry == "cube":
        f = (8.0 / (np.pi ** 2 * _ODD ** 2))[None, :] * np.exp(-np.outer(tb, (np.pi * _ODD) ** 2))
        out[big] = np.clip(f.sum(axis=1), 0.0, 1.0) ** 3
        out[~big] = (1.0 - 4.0 * np.sqrt(tau[~big] / np.pi)) ** 3
    elif geometry == "disc":
        f = (4.0 / _J0 ** 2)[None, :] * np.exp(-np.outer(tb, _J0 ** 2))
        out[big] = np.clip(f.sum(axis=1), 0.0, 1.0)
        ts = tau[~big]
        out[~big] = 1.0 - (4.0 / np.sqrt(np.pi) * np.sqrt(ts) - ts - ts ** 1.5 / (3.0 * np.sqrt(np.pi)))
    else:
        raise FitError(f"unknown geometry {geometry!r}")
    return out


def fick_x(t, D, geometry, length):
    """Exchanged fraction X(t) of Fick's second law."""
    return 1.0 - _fick_rest(D * np.atleast_1d(np.asarray(t, float)) / length ** 2, geometry)


def _sc_time(x, geometry):
    """D t / R^2 of the shrinking-core model at exchanged fraction(s) x."""
    x = np.asarray(x, float)
    y = 1.0 - x
    if geometry == "cube":   # equal-volume sphere
        return (1.0 - 3.0 * y ** (2.0 / 3.0) + 2.0 * y) / 6.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, (x + y * np.log(np.where(y > 0, y, 1.0))) / 4.0, 0.25)


def _sc_radius(geometry, length):
    return length * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0) if geometry == "cube" else length


def shrinking_core_x(t, D, geometry, length):
    """X(t) of the shrinking-core model (the inverse of _sc_time, bisection)."""
    tau = D * np.atleast_1d(np.asarray(t, float)) / _sc_radius(geometry, length) ** 2
    end = float(_sc_time(1.0, geometry))
    out = np.empty_like(tau)
    for k, v in enumerate(tau):
        if v <= 0:
            out[k] = 0.0
        elif v >= end:
            out[k] = 1.0
        else:
            out[k] = brentq(lambda x: float(_sc_time(x, geometry)) - v, 0.0, 1.0, xtol=1e-14)
    return out


class _Table:
    """X as a function of log10(D t / l^2) of one model and geometry,
    tabulated once (fits evaluate it thousands of times); linear
    interpolation; error in X < 1e-6 (Fick) and < 2e-4 (shrinking core)."""

    def __init__(self, model, geometry):
        if model == "fick":
            self.u = np.linspace(-14.0, 4.0, 7201)
            self.x = 1.0 - _fick_rest(10.0 ** self.u, geometry)
        else:
            xs = 1.0 - np.logspace(-12, 0, 8001)[::-1]
            xs = np.concatenate([np.linspace(0, 1e-3, 200)[1:], xs[xs > 1e-3]])
            tau = _sc_time(xs, geometry)
            self.u, self.x = np.log10(tau), xs

    def __call__(self, u):
        return np.interp(u, self.u, self.x, left=0.0, right=1.0)


_TABLES = {}


def _table(model, geometry):
    if (model, geometry) not in _TABLES:
        _TABLES[(model, geometry)] = _Table(model, geometry)
    return _TABLES[(model, geometry)]


def _length_of(model, geometry, length):
    return _sc_radius(geometry, length) if model == "shrinking_core" else length


MODEL_FUNCTIONS = {"fick": fick_x, "shrinking_core": shrinking_core_x}


def mean_x(c):
    """(mean X, sem, n) over trajectories of X = 1 - c [ntraj, ntime] (NaN-aware)."""
    x = 1.0 - np.asarray(c, float)
    n = np.sum(np.isfinite(x), axis=0)
    m = np.nanmean(x, axis=0)
    s = np.nanstd(x, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)) if x.shape[0] > 1 else np.zeros_like(m)
    return m, s, n


def _fit_curve(t, x, sem, model, geometry, length, window):
    sel = np.isfinite(x) & (x >= window[0]) & (x <= window[1]) & (t > 0)
    if np.sum(sel) < 3:
        raise FitError(f"fewer than 3 points with X in {window[0]:.3g} .. {window[1]:.3g}")
    tt, xx, ss = t[sel], x[sel], sem[sel]
    table = _table(model, geometry)
    base = np.log10(tt) - 2.0 * np.log10(_length_of(model, geometry, length))

    def chi2(logd):
        return float(np.sum(((table(logd + base) - xx) / ss) ** 2))

    # coarse scan (vectorised), then a bounded refinement around the best point
    grid = np.linspace(-40, 40, 641)
    vals = np.sum(((table(grid[:, None] + base[None, :]) - xx[None, :]) / ss[None, :]) ** 2, axis=1)
    g0 = grid[int(np.argmin(vals))]
    r = minimize_scalar(chi2, bounds=(g0 - 0.15, g0 + 0.15), method="bounded", options={"xatol": 1e-8})
    return 10.0 ** r.x, r.fun, int(np.sum(sel))


def default_window(boundary_fraction):
    """X from just after the boundary layer (which exchanges directly, the
    experiment's stage A) and at least 0.5, up to 0.98 (before saturation)."""
    return (max(0.5, float(boundary_fraction) + 0.02), 0.98)


def fit_ensemble(t, c, model, geometry, length, window=(0.5, 0.98), n_sites=None, n_boot=200, seed=0):
    """Fit D to the ensemble mean X(t) of the trajectories c [ntraj, ntime].
    Returns dict: D, D_err (bootstrap s.d.), chi2, npoints, ntraj."""
    c = np.asarray(c, float)
    t = np.asarray(t, float)
    ntraj = c.shape[0]
    floor = 1.0 / ((n_sites or 1e4) * np.sqrt(ntraj))

    def one(cc):
        m, s, _ = mean_x(cc)
        return _fit_curve(t, m, np.maximum(s, floor), model, geometry, length, window)

    D, chi2, npts = one(c)
    boots = []
    if ntraj > 1 and n_boot:
        rng = np.random.default_rng(seed)
        for _ in range(n_boot):
            try:
                boots.append(one(c[rng.integers(0, ntraj, ntraj)])[0])
            except FitError:
                pass
    err = float(np.std(boots, ddof=1)) if len(boots) > 1 else np.nan
    return {"D": float(D), "D_err": err, "chi2": float(chi2), "npoints": npts, "ntraj": ntraj,
            "model": model, "geometry": geometry, "length": float(length), "window": tuple(window)}


def arrhenius(kT, D, D_err, eps=1.0):
    """Weighted fit ln D = ln D0 - Ea / kT.  Returns dict Ea (units of eps),
    Ea_err, lnD0, lnD0_err, chi2, dof.  Errors scaled by sqrt(chi2/dof) when
    that exceeds 1."""
    kT, D, D_err = (np.asarray(v, float) for v in (kT, D, D_err))
    ok = np.isfinite(D) & (D > 0) & np.isfinite(D_err) & (D_err > 0)
    if np.sum(ok) < 2:
        raise FitError("an Arrhenius fit needs at least two temperatures with D and its error")
    x, y, s = eps / kT[ok], np.log(D[ok]), D_err[ok] / D[ok]
    w = 1.0 / s ** 2
    A = np.stack([np.ones_like(x), -x], axis=1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    p = cov @ (A.T @ (w * y))
    chi2 = float(np.sum(w * (y - A @ p) ** 2))
    dof = int(np.sum(ok) - 2)
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    err = np.sqrt(np.diag(cov) * scale)
    return {"Ea": float(p[1]), "Ea_err": float(err[1]), "lnD0": float(p[0]), "lnD0_err": float(err[0]),
            "chi2": chi2, "dof": dof}
