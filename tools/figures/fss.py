"""Finite-size scaling of the Var(f_U) peak (Fig. 5b and beyond).

For each core size: average Var(f_U) over replicas at each K_shell, locate
the maximum, fit a peak model to the points around it, and estimate the
errors of peak position and height by bootstrap.  Then fit power laws
  height = a N_core^b,   position = a' N_core^b'
on a log-log plot.

Why these choices:
* The fit uses only the peak region (contiguous points with y >= frac *
  y_max around the maximum): far from the transition Var(f_U) has another
  shape, and a global model would let the tails pull the peak.
* Models: 'lorentzian' b + h / (1 + ((x - x0)/w)^2), 4 parameters, reported
  peak = (x0, b + h); 'parabola' y = c0 + c1 x + c2 x^2 on the top points;
  'max' (model-free) the highest scanned point, position error including
  half the grid spacing: for cusp-like peaks (slow rise, sudden drop, as
  short runs near a first-order transition give) that no smooth model fits.
* A size is refused, with a warning, instead of being drawn with a
  misleading curve when the maximum is at either end of the scanned range
  (the peak may lie outside it; the only test of model 'max'), when fewer than `min_points` points lie in
  the peak region (default 5 for the Lorentzian, 3 for the parabola), when
  there is no point on one side of the maximum, when the fit does not
  converge, puts its peak outside the peak region or does not describe the
  points (chi-square p-value below 1e-3, e.g. a sawtooth-shaped peak that
  a Lorentzian misses), or when more than a
  quarter of the bootstrap samples fail the same tests.
* Exchange studies (variance 'mbar', the default with stored samples): the
  default model 'curve' takes the maximum of the continuous MBAR curve
  (figures.reweight: exact at the rungs, energies spline-interpolated
  between them; refused when the leave-one-rung-out spline error exceeds
  0.1 kT or the maximum sits on an end rung), errors from the maxima of the
  block-bootstrap curves.  Why not a fit: near a first-order transition the
  equilibrium peak is asymmetric (slow rise, sharp fall), which MBAR's small
  errors make visible and no Lorentzian or parabola describes.  The fit
  models remain available on the MBAR rung estimates (their bootstrap then
  refits every MBAR bootstrap curve), with the curve maximum printed as a
  cross-check.  A size whose ladders did not mix is refused.
* Errors: bootstrap that redoes the whole procedure (maximum, window, fit)
  per sample; the error is half the central 68% range of the samples.  'replicas' resamples the replicas at each K_shell (needs >= 5
  replicas everywhere to mean anything); 'parametric' draws each point from
  N(mean, error); 'auto' picks replicas when there are enough.
"""

import csv
import sys
import warnings
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import chi2 as chi2_dist

import catex_reader as cr
from figures import common as cm
from figures.reweight import MAX_INTERP_ERROR as MAX_INTERP_KT


class PeakError(Exception):
    """The data do not determine a peak (reason in the message)."""


@dataclass
class Peak:
    x0: float
    height: float
    params: tuple
    window: np.ndarray
    model: str
    x0_err: float = np.nan
    height_err: float = np.nan
    nboot: int = 0
    nboot_failed: int = 0
    samples: np.ndarray = field(default=None, repr=False)

    def curve(self, x):
        return _MODELS[self.model][0](np.asarray(x, dtype=float), *self.params)


def _lorentz(x, b, h, x0, w):
    return b + h / (1 + ((x - x0) / w) ** 2)


def _parab(x, c0, c1, c2):
    return c0 + c1 * x + c2 * x * x


#: Smallest chi-square p-value of an acceptable peak fit.
MIN_FIT_P = 1e-3

#: Largest fraction of bootstrap samples allowed to find no peak.
MAX_BOOT_FAIL = 0.25

def _nofit(x, *p):
    return np.full_like(np.asarray(x, dtype=float), np.nan)


# model -> (function, default frac, default min_points)
_MODELS = {"lorentzian": (_lorentz, 0.2, 5), "parabola": (_parab, 0.5, 3), "max": (_nofit, 0.5, 3),
           "curve": (_nofit, 0.5, 3)}

#: Models that draw no fitted curve (model-free estimates).
_MODEL_FREE = ("max", "curve")


def curve_peak(m, frac=0.5):
    """Peak of the continuous MBAR curve (figures.reweight.Reweighted): the
    maximum over the grid, errors from the maxima of the bootstrap curves
    (half the central 68% range; position error also includes half the grid
    step).  Refused (PeakError) when the spline check calls the curve
    unreliable, or when the maximum lies on the lowest or highest rung."""
    if not m.curve_reliable:
        raise PeakError(f"the continuous MBAR curve is unreliable (spline error {m.interp_error:.2g} kT > "
                        f"{MAX_INTERP_KT:g}): place rungs closer or use --model lorentzian/parabola/max on the rungs")
    g, v = m.grid, m.grid_var
    i = int(np.argmax(v))
    if i == 0 or i == len(g) - 1:
        raise PeakError(f"maximum at the {'lower' if i == 0 else 'upper'} end of the ladder (K={g[i]:g}); "
                        "the peak may lie outside it")
    win = np.nonzero(m.var >= frac * v[i])[0]
    peak = Peak(float(g[i]), float(v[i]), (), win, "curve")
    half_step = 0.5 * (g[1] - g[0])
    if m.boot_grid_var is not None and len(m.boot_grid_var):
        j = np.argmax(m.boot_grid_var, axis=1)
        ok = (j > 0) & (j < len(g) - 1)
        peak.nboot, peak.nboot_failed = len(j), int(np.sum(~ok))
        if peak.nboot_failed > MAX_BOOT_FAIL * len(j):
            raise PeakError(f"{peak.nboot_failed} of {len(j)} bootstrap curves peak at an end of the ladder")
        s = np.column_stack([g[j[ok]], m.boot_grid_var[ok, j[ok]]])
        peak.samples = s
        lo, hi = np.percentile(s, [15.865, 84.135], axis=0)
        peak.x0_err, peak.height_err = (float(e) for e in 0.5 * (hi - lo))
        peak.x0_err = float(np.hypot(peak.x0_err, half_step))
    return peak


def peak_window(x, y, frac):
    """Indices of the contiguous points around the maximum with y >= frac*max."""
    i = int(np.nanargmax(y))
    thr = frac * y[i]
    lo = i
    while lo > 0 and y[lo - 1] >= thr:
        lo -= 1
    hi = i
    while hi < len(y) - 1 and y[hi + 1] >= thr:
        hi += 1
    return i, np.arange(lo, hi + 1)


def fit_peak(x, y, yerr=None, model="lorentzian", frac=None, min_points=None, check_fit=True):
    """Peak position and height of one curve, without errors.

    Raises PeakError with the reason when the peak is not determined.
    check_fit=False skips the chi-square test (bootstrap samples: their
    noise is the data's noise added once more, so they fit worse by design;
    the model is judged on the data only)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if yerr is not None:
        yerr = np.asarray(yerr, dtype=float)
        ok &= np.isfinite(yerr) & (yerr > 0)
    order = np.argsort(x[ok])
    x, y = x[ok][order], y[ok][order]
    yerr = yerr[ok][order] if yerr is not None else None
    func, dfrac, dmin = _MODELS[model]
    frac = dfrac if frac is None else frac
    min_points = dmin if min_points is None else min_points
    if len(x) < min_points:
        raise PeakError(f"only {len(x)} usable points")
    i, win = peak_window(x, y, frac)
    if i == 0 or i == len(x) - 1:
        raise PeakError(f"maximum at the {'lower' if i == 0 else 'upper'} end of the scanned range "
                        f"(x={x[i]:g}); the peak may lie outside it")
    if model == "max":   # model-free: the highest scanned point (not at an end of the scan)
        return Peak(float(x[i]), float(y[i]), (), win, model)
    if len(win) < min_points:
        raise PeakError(f"only {len(win)} point(s) in the peak region (y >= {frac:g} y_max), "
                        f"need {min_points}: scan more finely around x={x[i]:g}")
    if win[0] == i or win[-1] == i:
        raise PeakError(f"no point on one side of the maximum at x={x[i]:g} within the peak region")
    xw, yw = x[win], y[win]
    sw = yerr[win] if yerr is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            if model == "lorentzian":
                b0 = 0.5 * max(yw.min(), 0.0)
                p0 = (b0, y[i] - b0, x[i], 0.25 * (xw[-1] - xw[0]))
                # a width below half the grid spacing is not resolved by the data
                wmin = 0.5 * np.min(np.diff(xw))
                p0 = p0[:3] + (max(p0[3], 1.01 * wmin),)
                p, _ = curve_fit(func, xw, yw, p0=p0, sigma=sw, absolute_sigma=True, maxfev=5000,
                                 bounds=([-np.inf, 0, xw[0], wmin],
                                         [np.inf, np.inf, xw[-1], 10 * (xw[-1] - xw[0])]))
                x0, height = p[2], p[0] + p[1]
            else:
                w = 1 / sw if sw is not None else None
                c2, c1, c0 = np.polyfit(xw, yw, 2, w=w)
                p = (c0, c1, c2)
                if not c2 < 0:
                    raise PeakError("the parabola through the peak region opens upwards")
                x0 = -c1 / (2 * c2)
                height = _parab(x0, *p)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as e:
            raise PeakError(f"fit failed: {e}") from None
    if not (xw[0] < x0 < xw[-1]):
        raise PeakError(f"fitted peak x0={x0:g} outside the peak region [{xw[0]:g}, {xw[-1]:g}]")
    dof = len(xw) - len(p)
    if check_fit and sw is not None and dof > 0:
        chi2 = float(np.sum(((yw - func(xw, *p)) / sw) ** 2))
        pval = float(chi2_dist.sf(chi2, dof))
        if pval < MIN_FIT_P:
            raise PeakError(f"the {model} does not describe the peak region (chi2/dof = {chi2 / dof:.3g}, "
                            f"p = {pval:.2g}): the peak is asymmetric or under-resolved; scan more finely "
                            f"around x={x[i]:g} or try another --model")
    return Peak(float(x0), float(height), tuple(float(v) for v in p), win, model)


def find_peak(x, y, yerr=None, replicas=None, model="lorentzian", frac=None, min_points=None,
              nboot=400, bootstrap="auto", seed=0, curves=None):
    """fit_peak plus bootstrap errors (see the module docstring).

    replicas: optional list (one per x) of (values, errors) arrays of the
    individual replicas, for bootstrap='replicas'/'auto'.
    curves: optional [B, len(x)] bootstrap replicates of the whole curve made
    elsewhere (MBAR: figures.reweight); with them bootstrap='curves' (and
    'auto') refits each replicate."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    peak = fit_peak(x, y, yerr, model, frac, min_points)
    rng = np.random.default_rng(seed)
    if bootstrap == "auto" and curves is not None:
        bootstrap = "curves"
    if bootstrap == "curves":
        if curves is None:
            raise ValueError("bootstrap='curves' needs the bootstrap curves")
        nboot = len(curves)
    if bootstrap == "auto":
        bootstrap = "replicas" if replicas is not None and min(len(r[0]) for r in replicas) >= 5 else "parametric"
    if bootstrap == "replicas" and replicas is None:
        raise ValueError("bootstrap='replicas' needs the replica values")
    if bootstrap == "parametric" and yerr is None:
        raise ValueError("a parametric bootstrap needs error bars")
    samples, failed = [], 0
    for b in range(nboot):
        if bootstrap == "curves":
            yb, eb = np.asarray(curves[b], dtype=float), yerr
        elif bootstrap == "replicas":
            yb, eb = [], []
            for vals, errs in replicas:
                k = rng.integers(0, len(vals), len(vals))
                m, e = cr.combine_replicas(np.asarray(vals)[k], None if errs is None else np.asarray(errs)[k])
                yb.append(m)
                eb.append(e)
            yb, eb = np.array(yb), np.array(eb)
            if yerr is not None:
                eb = np.where(np.isfinite(eb) & (eb > 0), eb, yerr)
        else:
            yb = y + yerr * rng.standard_normal(len(y))
            eb = yerr
        try:
            pb = fit_peak(x, yb, eb, model, frac, min_points, check_fit=False)
            samples.append((pb.x0, pb.height))
        except PeakError:
            failed += 1
    peak.nboot, peak.nboot_failed = nboot, failed
    if nboot and failed > MAX_BOOT_FAIL * nboot:
        raise PeakError(f"{failed} of {nboot} bootstrap samples find no peak: the peak is not resolved "
                        "(scan more finely or measure longer)")
    if samples:
        s = np.array(samples)
        peak.samples = s
        # half the central 68% range: the standard error for a normal
        # spread, and not blown up by the odd wild fit of a resampled curve
        lo, hi = np.percentile(s, [15.865, 84.135], axis=0)
        peak.x0_err, peak.height_err = (float(v) for v in 0.5 * (hi - lo))
    if model == "max":  # the true maximum lies anywhere between grid points
        i = int(np.argmin(np.abs(x - peak.x0)))
        half = 0.5 * min(np.diff(np.sort(x))[max(i - 1, 0):i + 1].min(), np.inf)
        peak.x0_err = float(np.hypot(peak.x0_err if np.isfinite(peak.x0_err) else 0.0, half))
    return peak


def power_law(n, y, yerr=None):
    """Weighted least squares of log y = log a + b log n.

    Returns (a, b, b_err, a_log_err); errors from the weighted covariance,
    inflated by sqrt(chi2/dof) when that exceeds 1."""
    n, y = np.asarray(n, dtype=float), np.asarray(y, dtype=float)
    if len(n) < 2 or np.any(n <= 0) or np.any(y <= 0):
        raise PeakError("a power law needs at least 2 sizes with positive values")
    ly, ln = np.log(y), np.log(n)
    sl = (np.asarray(yerr, dtype=float) / y) if yerr is not None else np.ones_like(y)
    sl = np.where(np.isfinite(sl) & (sl > 0), sl, np.nanmedian(sl[sl > 0]) if np.any(sl > 0) else 1.0)
    X = np.column_stack([np.ones_like(ln), ln])
    W = 1 / sl**2
    cov = np.linalg.inv(X.T @ (X * W[:, None]))
    coef = cov @ (X.T @ (W * ly))
    dof = len(n) - 2
    if dof > 0:
        chi2 = float(np.sum(W * (ly - X @ coef) ** 2))
        cov = cov * max(1.0, chi2 / dof)
    return float(np.exp(coef[0])), float(coef[1]), float(np.sqrt(cov[1, 1])), float(np.sqrt(cov[0, 0]))


@dataclass
class SizeResult:
    side: float
    n_core: int
    x: np.ndarray
    mean: np.ndarray
    err: np.ndarray
    nrep: np.ndarray
    peak: Peak = None
    reason: str = ""
    variance: str = "within"      # equilibrium.VARIANCE_KINDS key of the curve
    verdict: object = None        # exchange.Verdict of the size's ladders (exchange studies)
    mbar: object = None           # reweight.Reweighted (variance 'mbar')
    curve_peak: tuple = None      # (x, x_err, height, height_err) of the continuous MBAR curve


def collect(studies, x="kshell"):
    """{side: (x values, mean, err, nrep, [(replica values, replica errors)])}
    pooled over the given studies (a size may be split over several)."""
    pooled = {}
    lattice = cm.common_lattice(studies)
    for s in studies:
        xv = s.param(x)
        sides = s.param("side")
        y = np.asarray(s.data("fU_var"), dtype=float)
        e = np.asarray(s.data("fU_var_err"), dtype=float) if s.has("fU_var_err") else np.full_like(y, np.nan)
        for side in np.unique(sides):
            m = sides == side
            d = pooled.setdefault(float(side), ([], [], []))
            d[0].extend(xv[m])
            d[1].extend(y[m])
            d[2].extend(e[m])
    out = {}
    for side, (xs, ys, es) in sorted(pooled.items()):
        xs, ys, es = map(np.asarray, (xs, ys, es))
        ux = np.unique(xs)
        kept, means, errs, nrep, reps = [], [], [], [], []
        for u in ux:
            m = np.isclose(xs, u, rtol=1e-9, atol=1e-12) & np.isfinite(ys)
            if not np.any(m):
                continue
            kept.append(u)
            has_e = np.all(np.isfinite(es[m]))
            mu, er = cr.combine_replicas(ys[m], es[m] if has_e else None)
            means.append(float(mu))
            errs.append(float(er))
            nrep.append(int(m.sum()))
            reps.append((ys[m], es[m] if has_e else None))
        out[side] = (np.array(kept), np.array(means), np.array(errs), np.array(nrep), reps)
    return lattice, out


def collect_exchange(studies, kind, mbar_options=None, verdict_options=None):
    """{side: (VarianceCurve, Verdict)} of exchange studies, one ladder set per
    core size. A size may not be split over two studies of one file (their
    ladders differ); a study of a later file (--also) replaces an earlier
    file's size (e.g. a longer run of the large sizes)."""
    from figures import equilibrium as eq
    from figures import exchange as ex
    lattice, out, source = cm.common_lattice(studies), {}, {}
    for s in studies:
        for side, g in s.groupby("side"):
            if side in out:
                if source[side].file is s.file:
                    raise cm.UsageError(f"core side {side:g} appears in two exchange studies; choose one with --study")
                cm.warn(f"core side {side:g}: taken from {s.file.path} (study {s.name}), not "
                        f"{source[side].file.path}")
            verdict = ex.combined_verdict(ex.study_verdicts(g, **(verdict_options or {})))
            out[side] = (eq.variance_curve(g, kind, "kshell", mbar_options), verdict)
            source[side] = s
    return lattice, dict(sorted(out.items()))


def _curve_peak(m, window):
    """Maximum of the continuous MBAR curve inside the fitted peak region,
    with the spread over the bootstrap curves: a cross-check of the fit."""
    lo, hi = m.kshell[window[0]], m.kshell[window[-1]]
    sel = (m.grid >= lo) & (m.grid <= hi)
    g, v = m.grid[sel], m.grid_var[sel]
    i = int(np.argmax(v))
    if m.boot_grid_var is None:
        return (float(g[i]), np.nan, float(v[i]), np.nan)
    bv = m.boot_grid_var[:, sel]
    j = np.argmax(bv, axis=1)
    xs, hs = g[j], bv[np.arange(len(j)), j]
    return (float(g[i]), float(np.std(xs, ddof=1)), float(v[i]), float(np.std(hs, ddof=1)))


def analyse(studies, x="kshell", model="auto", frac=None, min_points=None, nboot=400,
            bootstrap="auto", seed=0, variance="auto", mbar_options=None, verdict_options=None,
            ignore_mixing=False):
    """SizeResult for every core size; refused sizes carry a reason.

    Equilibrium studies: the curve is the within-run (or, variance='pooled',
    pooled) Var(f_U) over the scan.  Exchange studies: variance 'mbar' (the
    default with stored samples: MBAR at the rungs, errors and the fit's
    bootstrap from the block bootstrap of figures.reweight), 'ladder' or
    'pooled'; a size whose ladders did not mix (exchange.mixing_verdict) is
    refused unless ignore_mixing."""
    from figures import equilibrium as eq
    kinds = {s.kind for s in studies}
    if len(kinds) > 1:
        raise cm.UsageError("fss pools equilibrium OR exchange studies, not both (choose with --study)")
    if "exchange" in kinds:
        kind = eq.default_variance(studies[0], variance)
        for s in studies[1:]:
            eq.default_variance(s, variance)
        lattice, data = collect_exchange(studies, kind, mbar_options, verdict_options)
        if model == "auto":
            model = "curve" if kind == "mbar" else "lorentzian"
        if model == "curve" and kind != "mbar":
            raise cm.UsageError("--model curve needs --variance mbar (the continuous MBAR curve)")
        results = []
        for side, (c, verdict) in data.items():
            r = SizeResult(side, cr.n_sites(lattice, side), c.x, c.mean, c.err, c.n, variance=kind,
                           verdict=verdict, mbar=c.mbar)
            results.append(r)
            if not (verdict.known and verdict.mixed) and not ignore_mixing:
                r.reason = (f"the ladder did not mix, not fitted ({verdict})" if verdict.known else
                            f"the ladder's mixing is unknown, not fitted ({verdict})")
                continue
            try:
                err = np.where(np.isfinite(c.err) & (c.err > 0), c.err, np.nan)
                if np.all(np.isnan(err)):
                    raise PeakError("no error bars (a single ladder and no errors)")
                err = np.where(np.isnan(err), np.nanmax(err), err)
                if model == "curve":
                    r.peak = curve_peak(c.mbar, 0.5 if frac is None else frac)
                else:
                    curves = c.mbar.boot_var if c.mbar is not None else None
                    boot = bootstrap if curves is None else "curves"
                    if boot == "replicas" or (boot == "auto" and curves is None):
                        boot = "parametric"   # ladders are few; their per-rung errors are the engine's
                    r.peak = find_peak(c.x, c.mean, err, None, model, frac, min_points, nboot, boot, seed,
                                       curves=curves)
                    if c.mbar is not None:
                        r.curve_peak = _curve_peak(c.mbar, r.peak.window)
            except PeakError as ex:
                r.reason = str(ex)
            if r.peak is not None and not (verdict.known and verdict.mixed):
                r.reason = f"fitted although the ladder did not mix (--ignore-mixing): {verdict}"
        return lattice, results
    kind = eq.default_variance(studies[0], variance)
    if model == "auto":
        model = "lorentzian"
    if model == "curve":
        raise cm.UsageError("--model curve needs an exchange study with stored samples (--variance mbar)")
    lattice, data = collect(studies, x) if kind == "within" else _collect_pooled(studies, x)
    results = []
    for side, (xs, m, e, nrep, reps) in data.items():
        r = SizeResult(side, cr.n_sites(lattice, side), xs, m, e, nrep, variance=kind)
        err = np.where(np.isfinite(e) & (e > 0), e, np.nan)
        if np.all(np.isnan(err)):
            err = None  # single replicas and no engine errors: unweighted, replica bootstrap impossible
        elif np.any(np.isnan(err)):
            err = np.where(np.isnan(err), np.nanmax(err), err)
        try:
            boot = bootstrap
            if kind == "pooled":
                boot = "parametric"   # the pooled value is not a mean over replicas
                if err is None:
                    raise PeakError("no error bars (pooled variance of a single run)")
            if err is None and bootstrap in ("auto", "parametric"):
                if min(nrep) < 5:
                    raise PeakError("no error bars (one replica per point and no fU_var_err)")
                boot = "replicas"
            r.peak = find_peak(xs, m, err, reps, model, frac, min_points, nboot, boot, seed)
        except PeakError as ex:
            r.reason = str(ex)
        results.append(r)
    return lattice, results


def _collect_pooled(studies, x):
    """As collect(), with the pooled variance over the replicas at each x."""
    from figures import equilibrium as eq
    lattice, out = cm.common_lattice(studies), {}
    for s in studies:
        for side, c in eq.variance_curves(s, x=x, by="side", kind="pooled"):
            if side in out:
                raise cm.UsageError(f"core side {side:g} appears in two studies; --variance pooled "
                                    "needs each size in one study")
            out[side] = (c.x, c.mean, c.err, c.n, None)
    return lattice, dict(sorted(out.items()))


def _select(f, args):
    """The studies to scale: --study, else the exchange studies with fU_var
    (if any: they are what the scaling needs), else the equilibrium studies
    scanning --x; one lattice."""
    if args.study:
        return cm.select_studies(f, args, ["equilibrium", "exchange"], need="fU_var")
    names = [n for n in f.studies_of_kind("exchange") if f.study(n, status=None).has("fU_var")]
    if names:
        eq_names = [n for n in f.studies_of_kind("equilibrium") if args.x in f.study(n, status=None).scanned]
        if eq_names:
            cm.warn(f"scaling the exchange studies ({', '.join(names)}); skipping the equilibrium "
                    f"studies {', '.join(eq_names)} (choose with --study)")
    else:
        names = [n for n in f.studies_of_kind("equilibrium")
                 if f.study(n, status=None).has("fU_var") and args.x in f.study(n, status=None).scanned]
    if not names:
        raise cm.UsageError(f"{f.path}: no exchange study and no equilibrium study scanning {args.x} with "
                            f"fU_var; studies: {', '.join(f.studies)}")
    lat0 = f.study(names[0], status=None).lattice
    other = [n for n in names if f.study(n, status=None).lattice != lat0]
    if other:
        cm.warn(f"using the {lat0} studies only; skipping {', '.join(other)} (choose with --study)")
    args.study = [n for n in names if n not in other]
    return cm.select_studies(f, args, ["equilibrium", "exchange"], need="fU_var")


def height_warning(fits, mixed_ladders=False):
    """The warning text when the fitted height exponent is <= 0 (None otherwise):
    at a first-order transition the equilibrium variance at coexistence
    grows with N.  mixed_ladders: every size comes from exchange ladders
    that mixed (then the curves are equilibrium ones, and the message says so)."""
    if "height" not in fits:
        return None
    _, b, be, _ = fits["height"]
    if b > 0:
        return None
    head = (f"the fitted height exponent is {b:.3f} +- {be:.3f} <= 0: the peak does not grow with N_core, "
            "as the equilibrium variance at a first-order transition must; ")
    if mixed_ladders:
        return head + ("the ladders mixed, so these are equilibrium variances: at these sizes the transition "
                       "does not (yet) show first-order scaling; look at the f_U histograms at the peaks "
                       "(catexplot exchange: bimodal or not) before reading a scaling off them")
    return head + ("the curves are likely the variance inside metastable phases (runs that do not cross "
                   "between U and S): check the mixing (catexplot exchange) and the f_U histograms before "
                   "reading a scaling off them")


def cmd_fss(args):
    import contextlib
    from figures import equilibrium as eq
    with contextlib.ExitStack() as stack:
        f = stack.enter_context(cr.open(args.file))
        studies = _select(f, args)
        if args.also and any(s.kind != "exchange" for s in studies):
            raise cm.UsageError("--also joins exchange studies; FILE's studies are equilibrium ones")
        studies += cm.select_also(stack, args, need="fU_var")
        mopt = {"nboot": args.mbar_samples, "nblocks": args.mbar_blocks, "seed": args.seed}
        vopt = {"min_acceptance": args.min_acceptance, "min_round_trips": args.min_round_trips}
        lattice, results = analyse(studies, args.x, args.model, args.frac, args.min_points,
                                   args.bootstrap_samples, args.bootstrap, args.seed, args.variance,
                                   mopt, vopt, args.ignore_mixing)
        kind = results[0].variance if results else eq.default_variance(studies[0], args.variance)
        model = args.model if args.model != "auto" else ("curve" if kind == "mbar" else "lorentzian")
        print(f"variance: {eq.VARIANCE_KINDS[kind]}")
        if model == "curve":
            print("peak: maximum of the continuous MBAR curve (energies spline-interpolated between rungs, "
                  "checked by leaving rungs out); errors from the maxima of the bootstrap curves")
        elif kind == "mbar":
            print(f"peak: {model} on the MBAR estimates at the rungs (exact reweighting); the maximum of the "
                  "continuous MBAR curve (energies spline-interpolated between rungs) is printed as a cross-check")
        good = [r for r in results if r.peak is not None]
        for r in results:
            if r.peak is None:
                cm.warn(f"core side {r.side:g} (N_core {r.n_core}): no peak: {r.reason}; omitted from the scaling")
            elif r.reason:
                cm.warn(f"core side {r.side:g} (N_core {r.n_core}): {r.reason}")
        _print_table(results, sys.stdout)
        if args.csv:
            _write_csv(results, args.csv)
        fits = {}
        if len(good) >= 2:
            n = np.array([r.n_core for r in good], dtype=float)
            for key, val, err in (("height", [r.peak.height for r in good], [r.peak.height_err for r in good]),
                                  ("position", [r.peak.x0 for r in good], [r.peak.x0_err for r in good])):
                try:
                    fits[key] = power_law(n, val, err)
                    a, b, be, _ = fits[key]
                    print(f"peak {key} ~ {a:.4g} N_core^({b:.3f} +- {be:.3f})"
                          + ("  (2 sizes: exact through both, error from the points only)" if len(good) == 2 else ""))
                except PeakError as ex:
                    cm.warn(f"power law of the peak {key}: {ex}")
        else:
            cm.warn(f"{len(good)} size(s) with a resolved peak: no scaling fit (needs 2 or more)")
        warning = height_warning(fits, mixed_ladders=bool(good) and all(
            r.verdict is not None and r.verdict.known and r.verdict.mixed for r in good))
        if warning:
            print(f"WARNING: {warning}")
            cm.warn(warning)
        fig = _plot(results, fits, lattice, args.x, kind, warning)
        return cm.save(fig, args, "fss", title=f"{f.path}: finite-size scaling of the Var($f_U$) peak "
                                                f"({model}; {eq.VARIANCE_SHORT[kind]} variance)")


def _print_table(results, out):
    out.write(f"{'side':>6} {'N_core':>7} {'points':>6} {'position':>18} {'height':>22}  note\n")
    for r in results:
        if r.peak is not None:
            p = r.peak
            note = f"{p.nboot_failed}/{p.nboot} bootstrap fits failed"
            if r.verdict is not None:
                note += (f"; round trips/config {r.verdict.mean_round_trips:.3g}, lowest swap acceptance "
                         f"{r.verdict.min_acceptance:.3g}")
            if r.curve_peak is not None:
                cx, cxe, ch, che = r.curve_peak
                note += f"; MBAR curve max {ch:.4g} +- {che:.2g} at {cx:.4g} +- {cxe:.2g}"
                if r.mbar is not None and not r.mbar.curve_reliable:
                    note += f" (UNRELIABLE: spline error {r.mbar.interp_error:.2g} kT)"
            if r.reason:
                note += f"; {r.reason}"
            out.write(f"{r.side:6g} {r.n_core:7d} {len(p.window):6d} {p.x0:9.4g} +- {p.x0_err:<6.2g}"
                      f" {p.height:11.4g} +- {p.height_err:<7.2g}  {note}\n")
        else:
            out.write(f"{r.side:6g} {r.n_core:7d} {len(r.x):6d} {'-':>18} {'-':>22}  REFUSED: {r.reason}\n")


def _write_csv(results, path):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["side", "n_core", "position", "position_err", "height", "height_err", "points", "note",
                    "variance", "mixed", "round_trips_per_configuration", "min_swap_acceptance"])
        for r in results:
            v = r.verdict
            tail = [r.variance, "" if v is None else ("yes" if v.known and v.mixed else "no"),
                    "" if v is None else v.mean_round_trips, "" if v is None else v.min_acceptance]
            if r.peak is not None:
                p = r.peak
                w.writerow([r.side, r.n_core, p.x0, p.x0_err, p.height, p.height_err, len(p.window), r.reason] + tail)
            else:
                w.writerow([r.side, r.n_core, "", "", "", "", len(r.x), r.reason] + tail)


def _plot(results, fits, lattice, xname, kind="within", warning=None):
    from figures import equilibrium as eq
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
    cmap = plt.get_cmap("viridis")
    for k, r in enumerate(results):
        col = cmap(k / max(1, len(results) - 1) * 0.9)
        lab = cm.size_label(lattice, r.side)
        if r.mbar is not None:
            m = r.mbar
            axes[0].plot(m.grid, m.grid_var, color=col, lw=0.8, alpha=0.6, ls="-" if m.curve_reliable else ":")
        if r.peak is None:
            why = "ladder did not mix" if r.verdict is not None and not (r.verdict.known and r.verdict.mixed) \
                else "no peak"
            axes[0].errorbar(r.x, r.mean, yerr=r.err, color=col, alpha=0.35, ls=":", marker="x", ms=3,
                             label=f"{lab}: {why}")
            continue
        p = r.peak
        axes[0].errorbar(r.x, r.mean, yerr=r.err, color=col, ls="none", marker="o", ms=3, capsize=2, label=lab)
        if p.model not in _MODEL_FREE:
            xx = np.linspace(r.x[p.window[0]], r.x[p.window[-1]], 200)
            axes[0].plot(xx, p.curve(xx), color=col, lw=1.5)
        axes[0].errorbar([p.x0], [p.height], xerr=[p.x0_err], yerr=[p.height_err], color="black",
                         marker="*", ms=8, capsize=3, zorder=5)
    axes[0].set_xlabel(cm.PARAM_LABELS.get(xname, xname))
    axes[0].set_ylabel(f"Var$(f_U)$: {eq.VARIANCE_SHORT[kind]}")
    axes[0].legend(fontsize=7, frameon=False)
    axes[0].set_title("curves, fits (peak region) and peaks ($\\star$)"
                      + ("; thin line: MBAR between rungs" if kind == "mbar" else ""), fontsize=9)
    good = [r for r in results if r.peak is not None]
    for ax, key, ylabel in ((axes[1], "height", "peak height of Var$(f_U)$"),
                            (axes[2], "position", f"peak position {cm.PARAM_LABELS.get(xname, xname)}")):
        if good:
            n = np.array([r.n_core for r in good], dtype=float)
            v = np.array([r.peak.height if key == "height" else r.peak.x0 for r in good])
            e = np.array([r.peak.height_err if key == "height" else r.peak.x0_err for r in good])
            ax.errorbar(n, v, yerr=e, marker="o", ls="none", color="black", capsize=3)
            if key in fits:
                a, b, be, _ = fits[key]
                nn = np.geomspace(n.min() * 0.8, n.max() * 1.25, 50)
                ax.plot(nn, a * nn**b, color="#d23c32", lw=1.3,
                        label=f"$\\propto N_{{\\rm core}}^{{{b:.2f}\\pm{be:.2f}}}$")
                ax.legend(fontsize=8, frameon=False)
        refused = [r for r in results if r.peak is None]
        if refused:
            ax.text(0.02, 0.02, "omitted: " + ", ".join(
                f"N={r.n_core} ({'ladder not mixed' if r.reason.startswith('the ladder') else 'no resolved peak'})"
                for r in refused), transform=ax.transAxes,
                    fontsize=7, color="#b00000", va="bottom")
        if not good:
            ax.text(0.5, 0.5, "no size with a resolved peak", transform=ax.transAxes, ha="center")
        if key == "height" and warning:
            ax.set_title("WARNING: height exponent $\\leq$ 0: the peak does not grow with size;\n"
                         + ("equilibrium (mixed ladders): no first-order scaling at these sizes"
                            if "ladders mixed" in warning else
                            "likely metastable-phase variance, not the equilibrium one"),
                         fontsize=8, color="#b00000", fontweight="bold")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("$N_{\\rm core}$")
        ax.set_ylabel(ylabel)
    return fig


def register(sub):
    p = sub.add_parser("fss", help="finite-size scaling of the Var(f_U) peak vs N_core",
                       description=__doc__.split("\n\n")[0] + "\n\nPrints a table of peaks (refused sizes "
                       "with the reason), fits power laws and plots curves, peak heights and positions.",
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    cm.add_io_args(p, study_help="equilibrium or exchange studies to pool (repeatable); default: the "
                                 "exchange studies, or if none every equilibrium study that scans --x")
    cm.add_also_arg(p, "a core side it holds replaces the earlier file's (e.g. a longer run of the large sizes)")
    p.add_argument("--x", default="kshell", help="scanned parameter (default kshell)")
    p.add_argument("--model", choices=["auto"] + sorted(_MODELS), default="auto",
                   help="peak model (default auto: curve with --variance mbar, else lorentzian); lorentzian / "
                        "parabola: fitted near the maximum; max: the highest point, for cusp-like peaks no "
                        "smooth model fits; curve: the maximum of the continuous MBAR curve (exchange)")
    p.add_argument("--frac", type=float, help="peak region: points with Var >= FRAC * max "
                                              "(default 0.2 lorentzian, 0.5 parabola and max)")
    p.add_argument("--min-points", type=int, help="fewest points in the peak region "
                                                  "(default 5 lorentzian, 3 parabola and max)")
    p.add_argument("--bootstrap", choices=["auto", "replicas", "parametric"], default="auto",
                   help="error estimate of equilibrium curves (default auto: replicas if >= 5 per point, else "
                        "parametric); exchange: the MBAR block bootstrap, or parametric without samples")
    p.add_argument("--bootstrap-samples", type=int, default=400, help="bootstrap samples (default 400)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--csv", metavar="FILE", help="also write the peak table as CSV")
    p.add_argument("--variance", choices=["auto", "within", "pooled", "ladder", "mbar"], default="auto",
                   help="which variance to scale (default auto: within for equilibrium studies; mbar for "
                        "exchange studies with stored samples, else ladder; see catexplot variance --help)")
    p.add_argument("--mbar-samples", type=int, default=100,
                   help="MBAR block-bootstrap samples (default 100; each is one MBAR solve and one peak fit)")
    p.add_argument("--mbar-blocks", type=int, default=4,
                   help="MBAR bootstrap: blocks of consecutive samples per ladder (default 4; 1 = whole ladders)")
    p.add_argument("--min-acceptance", type=float, default=0.05,
                   help="exchange: smallest swap acceptance of a mixed ladder (default 0.05)")
    p.add_argument("--min-round-trips", type=float, default=3.0,
                   help="exchange: fewest mean round trips per configuration of a mixed ladder (default 3)")
    p.add_argument("--ignore-mixing", action="store_true",
                   help="exchange: fit ladders that did not mix too (reported as such)")
    p.set_defaults(func=cmd_fss)
