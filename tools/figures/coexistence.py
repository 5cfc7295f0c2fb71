"""Two-phase (coexistence) height of the Var(f_U) peak, from ladders that need not mix.

  catexplot coexistence FILE   per core size: the rung where both phases are
                               sampled, their f_U means and variances, the
                               coexistence height and its scaling with N_core

Why: at a first-order transition the equilibrium Var(f_U) near K* is that
of a two-phase mixture with weight p of the S-like phase,
    Var(K) = p v_S + (1 - p) v_U + p (1 - p) (f_U^U - f_U^S)^2,
whose maximum over K (if Delta f and the v's vary slowly across the
narrow peak: at p = 1/2, up to (v_S - v_U)^2 / (4 Delta f^2), ~1e-7 here)
is the coexistence height
    H = (Delta f)^2 / 4 + (v_S + v_U) / 2.
p needs configurations to cross between the phases (a mixed ladder);
Delta f, v_S and v_U need only that each phase be sampled inside its own
basin, which Kawasaki moves do well even where the ladder has not mixed.
So H is a height that can be trusted for ladders that `catexplot fss`
refuses, provided both phases appear at some rung.  It assumes the basins
are locally equilibrated, and it gives no peak position (that needs p).

Phase split: the samples' f_U histogram at the rung of largest Var(f_U),
pooled over the size's ladders, must be bimodal: two maxima of a
3-bin-smoothed histogram at least 3 bins apart, with the lowest count
between them at most half the smaller maximum.  The threshold is that
lowest bin's centre.  Per ladder, the rung whose weight p of the
low-f_U phase is closest to 1/2 (and inside [min_weight, 1 - min_weight])
gives that ladder's H; the size's H is the mean over ladders with the
standard error of that mean (the ladders are independent)."""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import catex_reader as cr
from figures import common as cm

MIN_WEIGHT = 0.1


def split_threshold(x, bins=50, lo=0.0, hi=1.0):
    """The f_U threshold between two phases of the samples x, or None if
    their histogram is not bimodal (module docstring)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 20:
        return None
    h, edges = np.histogram(x, bins=bins, range=(lo, hi))
    s = np.convolve(h, np.ones(3) / 3, mode="same")
    peaks = [i for i in range(len(s)) if s[i] > 0 and (i == 0 or s[i] >= s[i - 1])
             and (i == len(s) - 1 or s[i] > s[i + 1])]
    if len(peaks) < 2:
        return None
    a = max(peaks, key=lambda i: s[i])
    far = [i for i in peaks if abs(i - a) >= 3]
    if not far:
        return None
    b = max(far, key=lambda i: s[i])
    i0, i1 = sorted((a, b))
    v = i0 + int(np.argmin(s[i0:i1 + 1]))
    if s[v] > 0.5 * min(s[a], s[b]):
        return None
    return 0.5 * (edges[v] + edges[v + 1])


@dataclass
class TwoPhase:
    p: float        # weight of the low-f_U (S-like) phase
    f_low: float
    f_high: float
    v_low: float
    v_high: float

    @property
    def height(self):
        return 0.25 * (self.f_high - self.f_low) ** 2 + 0.5 * (self.v_low + self.v_high)


def two_phase(x, threshold):
    """Means, variances and weight of the samples below / above threshold
    (None if either side holds fewer than 2 samples)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    lo, hi = x[x < threshold], x[x >= threshold]
    if len(lo) < 2 or len(hi) < 2:
        return None
    return TwoPhase(len(lo) / len(x), float(lo.mean()), float(hi.mean()), float(lo.var(ddof=1)),
                    float(hi.var(ddof=1)))


def ladder_estimate(samples, threshold, min_weight=MIN_WEIGHT):
    """(rung, TwoPhase) of one ladder's samples [sample, rung]: the rung
    with both phases whose weight is closest to 1/2, or None."""
    best = None
    for k in range(samples.shape[1]):
        t = two_phase(samples[:, k], threshold)
        if t is None or not (min_weight <= t.p <= 1 - min_weight):
            continue
        if best is None or abs(t.p - 0.5) < abs(best[1].p - 0.5):
            best = (k, t)
    return best


@dataclass
class SizeCoexistence:
    side: float
    n_core: int
    threshold: float = None
    ladders: list = None          # [(ladder, rung, K, TwoPhase)]
    height: float = np.nan
    height_err: float = np.nan
    peak_var: float = np.nan      # largest ladder-mean Var(f_U) over the rungs, for comparison
    reason: str = ""


def _samples(g):
    s = np.asarray(g.data("sample_fU"), dtype=float)   # [ladder, sample, rung]
    return np.where(s >= 0, s, np.nan)


def analyse_size(lattice, side, g, min_weight=MIN_WEIGHT):
    r = SizeCoexistence(side, cr.n_sites(lattice, side), ladders=[])
    var = np.asarray(g.data("fU_var"), dtype=float)
    var = np.where(var >= 0, var, np.nan)
    mean_var = np.nanmean(var, axis=0)
    r.peak_var = float(np.nanmax(mean_var))
    if not g.has("sample_fU"):
        r.reason = "no stored samples (sample_fU)"
        return r
    s = _samples(g)
    k_peak = int(np.nanargmax(mean_var))
    r.threshold = split_threshold(s[:, :, k_peak].ravel())
    if r.threshold is None:
        r.reason = "f_U is unimodal at the rung of largest variance: no coexistence resolved"
        return r
    K = g.ladder()
    for ladder in range(s.shape[0]):
        e = ladder_estimate(s[ladder], r.threshold, min_weight)
        if e is not None:
            r.ladders.append((ladder, e[0], float(K[e[0]]), e[1]))
    if not r.ladders:
        r.reason = f"no rung holds both phases with weights in [{min_weight:g}, {1 - min_weight:g}]"
        return r
    h = np.array([t.height for *_, t in r.ladders])
    r.height = float(h.mean())
    r.height_err = float(h.std(ddof=1) / np.sqrt(len(h))) if len(h) > 1 else np.nan
    return r


def analyse(studies, min_weight=MIN_WEIGHT):
    """SizeCoexistence per core side; a side found in several studies is
    taken from the last of them (e.g. a longer run given with --also)."""
    lattice, out = cm.common_lattice(studies), {}
    for s in studies:
        for side, g in s.groupby("side"):
            if side in out:
                cm.warn(f"core side {side:g}: taken from study {s.name} (a later one replaces an earlier)")
            out[side] = analyse_size(lattice, side, g, min_weight)
    return lattice, sorted(out.values(), key=lambda r: r.n_core)


def cmd_coexistence(args):
    import contextlib
    from figures import fss
    with contextlib.ExitStack() as stack:
        f = stack.enter_context(cr.open(args.file))
        studies = cm.select_studies(f, args, ["exchange"], need="fU_var")
        studies += cm.select_also(stack, args, need="fU_var")
        lattice, results = analyse(studies, args.min_weight)
    print("coexistence height H = (f_U^U - f_U^S)^2 / 4 + (v_U + v_S) / 2 at the rung with both phases "
          "(needs no mixing; see catexplot coexistence --help)")
    print(f"{'side':>6} {'N_core':>7} {'split':>6} {'ladders':>7} {'K (p)':>24} {'f_S':>7} {'f_U':>7} "
          f"{'H':>20} {'max Var':>9}")
    for r in results:
        if r.ladders:
            ks = ", ".join(f"{K:.4g} ({t.p:.2f})" for _, _, K, t in r.ladders[:2]) + (" ..." if len(r.ladders) > 2 else "")
            fl = np.mean([t.f_low for *_, t in r.ladders])
            fh = np.mean([t.f_high for *_, t in r.ladders])
            print(f"{r.side:6g} {r.n_core:7d} {r.threshold:6.3f} {len(r.ladders):7d} {ks:>24} {fl:7.4f} {fh:7.4f} "
                  f"{r.height:10.4g} +- {r.height_err:<7.2g} {r.peak_var:9.4g}")
        else:
            print(f"{r.side:6g} {r.n_core:7d} {'-':>6} {0:7d} {'-':>24} {'-':>7} {'-':>7} {'-':>20} "
                  f"{r.peak_var:9.4g}  {r.reason}")
    good = [r for r in results if r.ladders and np.isfinite(r.height)]
    fit = None
    if len(good) >= 2:
        try:
            fit = fss.power_law([r.n_core for r in good], [r.height for r in good],
                                [r.height_err for r in good])
            print(f"coexistence height ~ {fit[0]:.4g} N_core^({fit[1]:.3f} +- {fit[2]:.3f}) over "
                  f"{len(good)} sizes")
        except fss.PeakError as ex:
            cm.warn(f"power law of the coexistence height: {ex}")
    else:
        cm.warn(f"{len(good)} size(s) with both phases resolved: no scaling fit (needs 2 or more)")
    fig = _plot(lattice, results, fit)
    return cm.save(fig, args, "coexistence", title=f"{f.path}: two-phase height of the Var($f_U$) peak")


def _plot(lattice, results, fit):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    cmap = plt.get_cmap("viridis")
    ax = axes[0]
    rows = [r for r in results if r.ladders]
    for y, r in enumerate(rows):
        col = cmap(y / max(1, len(rows) - 1) * 0.9)
        ax.plot([r.threshold] * 2, [y - 0.4, y + 0.4], color=col, ls=":", lw=0.8)
        for j, (_, _, K, t) in enumerate(r.ladders):
            dy = 0.3 * (j / max(1, len(r.ladders) - 1) - 0.5)   # one line per ladder
            ax.errorbar([t.f_low, t.f_high], [y + dy] * 2, xerr=np.sqrt([t.v_low, t.v_high]), color=col,
                        marker="o", ms=3, ls="none", capsize=2)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([cm.size_label(lattice, r.side) for r in rows], fontsize=7)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("$f_U$ of each phase (mean $\\pm$ sd within the phase; one line per ladder)")
    ax.set_xlim(0, max(0.5, ax.get_xlim()[1]))
    ax.set_title("the two phases at the rung where both appear (dotted: split)", fontsize=9)
    ax = axes[1]
    n = np.array([r.n_core for r in results], dtype=float)
    ax.plot(n, [r.peak_var for r in results], "s", mfc="none", color="grey",
            label="largest Var$(f_U)$ at a rung (ladder mean)")
    good = [r for r in results if r.ladders and np.isfinite(r.height)]
    if good:
        ax.errorbar([r.n_core for r in good], [r.height for r in good], yerr=[r.height_err for r in good],
                    marker="o", ls="none", color="black", capsize=3, label="coexistence height H")
    if fit is not None:
        ng = [r.n_core for r in good]   # drawn over the sizes it was fitted to
        nn = np.geomspace(min(ng) * 0.8, max(ng) * 1.25, 50)
        ax.plot(nn, fit[0] * nn**fit[1], color="#d23c32", lw=1.2,
                label=f"$H \\propto N_{{\\rm core}}^{{{fit[1]:.2f}\\pm{fit[2]:.2f}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$N_{\\rm core}$")
    ax.set_ylabel("Var$(f_U)$")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("coexistence height vs the measured peak", fontsize=9)
    return fig


def register(sub):
    import argparse
    p = sub.add_parser("coexistence", help="two-phase height of the Var(f_U) peak (exchange studies; needs "
                                           "both phases, not a mixed ladder)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cm.add_io_args(p, study_help="exchange studies (repeatable); default: every exchange study")
    cm.add_also_arg(p, "a core side it holds replaces FILE's (e.g. a longer run of the large sizes)")
    p.add_argument("--min-weight", type=float, default=MIN_WEIGHT,
                   help=f"smallest weight of either phase at a usable rung (default {MIN_WEIGHT})")
    p.set_defaults(func=cmd_coexistence)
