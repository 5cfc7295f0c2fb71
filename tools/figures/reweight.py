"""Multistate reweighting (MBAR) of the stored samples of exchange studies.

Every stored sample s of a ladder holds, for the configuration at each rung
k, its f_U and its full energy E_l under every rung l of the ladder
(sample_energy[t, s, k, l]).  With reduced energies u_l = E_l / kT (one kT
per ladder), MBAR (Shirts & Chodera 2008; Debian's python3-pymbar 3.1)
pools the samples of all rungs into one estimate of <f_U> and Var(f_U) at
every rung, using the overlap between neighbouring rungs.

What is exact and what is not:
* At the rungs the reweighting is exact: the energies there are stored.
* Between rungs E_K(s) is not stored, and it is not linear in K: K enters
  S and C linearly but V = 4 S - C^T D^+ C through D^+ (docs/model.md), so
  no stored term gives E_K exactly.  The continuous curve uses, per sample,
  a cubic spline of u_l(s) through the rungs (V(K), hence E_K(s), is a
  smooth function of K).  The spline's error is measured, not assumed:
  `interp_error` is, over the interior rungs, the largest spread (weighted
  by that rung's MBAR weights) of the leave-that-rung-out spline prediction
  minus the stored u_l, in units of kT.  Leaving a rung out doubles the
  spacing, so this over-states the error at the real spacing (by ~16 for a
  cubic).  A constant offset cancels in normalised weights; the spread is
  what distorts them.  Above MAX_INTERP_ERROR (0.1 kT) the curve is marked
  unreliable.
* `catexplot fss` (exchange studies) takes the maximum of the continuous
  curve as the peak (model 'curve') only while that check passes, and
  refuses it otherwise; its fit models work on the estimates AT THE RUNGS
  (exact), with the curve maximum as a cross-check.

Errors: bootstrap over blocks of consecutive samples of each ladder
(`nblocks` per ladder; with nblocks = 1 a bootstrap over whole ladders).
A unit keeps all rungs of its samples together (the rungs of one ladder are
correlated through the swaps) and each unit holds the same number of
samples of every rung, so N_k stays equal over rungs.  MBAR assumes
uncorrelated samples; blocks much longer than the correlation time make the
bootstrap honest where pymbar's asymptotic errors would not be.  A ladder
that did not mix has correlations longer than any block: check the mixing
verdict (figures.exchange.mixing_verdict) first.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import logsumexp

#: Leave-one-rung-out spline error (kT) above which the continuous curve
#: is reported as unreliable.
MAX_INTERP_ERROR = 0.1


def _pymbar():
    try:
        import pymbar
    except ImportError as e:  # pragma: no cover - Debian python3-pymbar is a dependency
        raise RuntimeError("MBAR needs pymbar (Debian: apt-get install python3-pymbar)") from e
    return pymbar


def reduced_energies(energy, kT):
    """u_kn for pymbar from energy [m, nr, nr] (energy[s, k, l] = E_l of the
    configuration at rung k at sample s): u[l, n] with n = k * m + s, so the
    first m samples come from rung 0, the next m from rung 1, ... (pymbar's
    N_k order).  A per-sample constant is subtracted: it cancels exactly in
    every MBAR weight and keeps exp() in range (energies ~ 1e3 / kT)."""
    energy = np.asarray(energy, dtype=float)
    m, nr, nr2 = energy.shape
    if nr != nr2:
        raise ValueError(f"sample energies must be [samples, rungs, rungs], got {energy.shape}")
    u = (energy / kT).transpose(2, 1, 0).reshape(nr, nr * m)
    return u - u.min(axis=0)


class LadderMBAR:
    """MBAR over the samples of one ladder (or several identical ladders
    concatenated along the sample axis).

    energy [m, nr, nr], fU [m, nr], kT, kshell [nr]; or, with energy=None,
    u (reduced energies [nr, nr * m] as reduced_energies returns them) and A
    (f_U [nr * m] in the same order)."""

    def __init__(self, energy, fU, kT, kshell, initial_f_k=None, u=None, A=None):
        self.kshell = np.asarray(kshell, dtype=float)
        self.nr = len(self.kshell)
        if energy is not None:
            fU = np.asarray(fU, dtype=float)
            u = reduced_energies(energy, kT)
            A = fU.T.reshape(-1)            # same n order as u
        self.u, self.A = np.asarray(u, dtype=float), np.asarray(A, dtype=float)
        self.m = self.u.shape[1] // self.nr
        self.N_k = np.full(self.nr, self.m)
        mbar = _pymbar().MBAR(self.u, self.N_k, initial_f_k=initial_f_k, verbose=False)
        self.f_k = np.asarray(mbar.f_k, dtype=float)
        self._mbar = mbar
        # log of the MBAR mixture denominator sum_k N_k exp(f_k - u_k(x_n))
        self.log_denom = logsumexp(np.log(self.N_k)[:, None] + self.f_k[:, None] - self.u, axis=0)

    def weights(self, u_target):
        """Normalised MBAR weights [..., N] of the samples at target states
        whose reduced energies (same per-sample shift) are u_target [..., N]."""
        logw = -np.asarray(u_target, dtype=float) - self.log_denom
        logw -= logsumexp(logw, axis=-1, keepdims=True)
        return np.exp(logw)

    def moments(self, w):
        """(<f_U>, Var(f_U), effective sample number) under weights [..., N]."""
        mean = w @ self.A
        var = w @ (self.A * self.A) - mean * mean
        return mean, np.maximum(var, 0.0), 1.0 / np.sum(w * w, axis=-1)

    def at_rungs(self):
        return self.moments(self.weights(self.u))

    def interpolated_u(self, kgrid):
        """Reduced energies at K values between rungs: a cubic spline of each
        sample's u_l through the rungs (see the module docstring)."""
        return CubicSpline(self.kshell, self.u, axis=0)(np.asarray(kgrid, dtype=float))

    def at(self, kgrid):
        return self.moments(self.weights(self.interpolated_u(kgrid)))

    def interp_error(self):
        """Largest, over interior rungs l, weighted spread (kT) of the
        spline-through-the-other-rungs prediction of u_l minus the stored u_l."""
        if self.nr < 5:
            return np.nan
        worst = 0.0
        w_all = self.weights(self.u)
        for l in range(1, self.nr - 1):
            keep = np.r_[0:l, l + 1:self.nr]
            pred = CubicSpline(self.kshell[keep], self.u[keep], axis=0)(self.kshell[l])
            d = pred - self.u[l]
            w = w_all[l]
            dbar = w @ d
            worst = max(worst, float(np.sqrt(w @ (d - dbar) ** 2)))
        return worst


@dataclass
class Reweighted:
    """MBAR estimates over one state point's ladders, with bootstrap errors."""
    kshell: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    mean_err: np.ndarray
    var_err: np.ndarray
    n_eff: np.ndarray
    grid: np.ndarray
    grid_mean: np.ndarray
    grid_var: np.ndarray
    grid_mean_err: np.ndarray
    grid_var_err: np.ndarray
    interp_error: float
    nunits: int
    boot_var: np.ndarray = field(default=None, repr=False)       # [B, nr]
    boot_grid_var: np.ndarray = field(default=None, repr=False)  # [B, G]

    @property
    def curve_reliable(self):
        return bool(np.isfinite(self.interp_error) and self.interp_error <= MAX_INTERP_ERROR)


def _units(nl, ns, nblocks):
    """Sample indices (into the ladders' samples stacked along one axis) of
    the nl * nblocks blocks of consecutive samples."""
    nb = max(1, min(int(nblocks), ns))
    size = ns // nb
    return [t * ns + b * size + np.arange(size) for t in range(nl) for b in range(nb)]


def reweight(energy, fU, kT, kshell, grid_points=120, nblocks=4, nboot=100, seed=0):
    """MBAR at the rungs and on a grid over the ladder, pooled over ladders.

    energy [nl, ns, nr, nr], fU [nl, ns, nr] (catex_reader Study.samples());
    errors by the block bootstrap of the module docstring (nboot samples;
    NaN when there is a single unit).  The reduced energies of every sample
    at the rungs and on the grid are computed once; a bootstrap sample picks
    their columns and re-solves MBAR (warm-started from the full solution)."""
    energy = np.asarray(energy, dtype=float)
    fU = np.asarray(fU, dtype=float)
    if fU.ndim == 2:
        energy, fU = energy[None], fU[None]
    nl, ns, nr = fU.shape
    kshell = np.asarray(kshell, dtype=float)
    grid = np.linspace(kshell[0], kshell[-1], grid_points)
    units = _units(nl, ns, nblocks)
    used = np.concatenate(units)
    m_all = nl * ns
    u_all = reduced_energies(energy.reshape(m_all, nr, nr), kT)     # [nr, nr * m_all], n = k * m_all + s
    A_all = fU.reshape(m_all, nr).T.reshape(-1)
    u_grid_all = CubicSpline(kshell, u_all, axis=0)(grid)           # [G, nr * m_all]

    def columns(samples):
        return (np.arange(nr)[:, None] * m_all + samples[None, :]).ravel()

    def solve(samples, init=None):
        cols = columns(samples)
        mb = LadderMBAR(None, None, kT, kshell, initial_f_k=init, u=u_all[:, cols], A=A_all[cols])
        return mb, mb.moments(mb.weights(mb.u)), mb.moments(mb.weights(u_grid_all[:, cols]))

    full, (mean, var, neff), (gmean, gvar, _) = solve(used)
    rng = np.random.default_rng(seed)
    bm, bv, bgm, bgv = [], [], [], []
    if len(units) >= 2:
        for _ in range(nboot):
            pick = rng.integers(0, len(units), len(units))
            _, (m, v, _n), (gm, gv, _g) = solve(np.concatenate([units[i] for i in pick]), full.f_k)
            bm.append(m)
            bv.append(v)
            bgm.append(gm)
            bgv.append(gv)
    if bm:
        bm, bv, bgm, bgv = map(np.array, (bm, bv, bgm, bgv))
        errs = [x.std(axis=0, ddof=1) for x in (bm, bv, bgm, bgv)]
    else:
        bv = bgv = None
        errs = [np.full_like(mean, np.nan), np.full_like(var, np.nan),
                np.full_like(gmean, np.nan), np.full_like(gvar, np.nan)]
    return Reweighted(kshell, mean, var, errs[0], errs[1], neff, grid, gmean, gvar, errs[2], errs[3],
                      full.interp_error(), len(units), bv, bgv)


def reweight_study(study, **kw):
    """reweight() over the selected ladders of one state point of an exchange
    study (catex_reader Study; see Study.samples for the requirements)."""
    smp = study.samples()
    return reweight(smp.energy, smp.fU, smp.kT, smp.kshell, **kw)
