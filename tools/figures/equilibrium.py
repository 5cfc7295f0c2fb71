"""Equilibrium (fixed-shell) observables against a scanned parameter:
<f_alpha> vs shell thickness or K_shell (Figs. 4b, 5a, 7c), Var(f_U) vs
K_shell for several core sizes (Fig. 5b), and RMS Delta A = sqrt(<Delta A^2>)
vs shell thickness (Fig. 6c).

Each point is the mean over the replicas at that parameter value; error bars
come from catex_reader.Study.aggregate (engine error of the time average,
or the replica scatter when that is larger).
"""

import matplotlib.pyplot as plt
import numpy as np

import catex_reader as cr
from figures import common as cm
from figures import labels


def pick_x(study, x):
    """The parameter on the horizontal axis: --x, or the study's only scanned
    parameter besides the one(s) used for grouping."""
    if x:
        return x
    cand = [p for p in study.scanned if p not in ("side",)]
    if len(cand) == 1:
        return cand[0]
    if not cand and study.scanned:
        return study.scanned[0]
    raise cm.UsageError(f"study {study.name!r} scans {list(study.scanned) or 'nothing'}; "
                        "say which parameter goes on the x axis with --x")


def _panels(study, x, by):
    """Split a study into panels by the scanned parameters other than x (and
    `by`, which is drawn as several curves in one panel)."""
    others = [p for p in study.scanned if p not in (x, by)]
    if not others:
        return [("", study)]
    return [(cm.key_label(others, k), g) for k, g in study.groupby(*others)]


def cmd_fractions(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["equilibrium"], need="f_mean")
        panels = []
        for s in studies:
            x = pick_x(s, args.x)
            for label, g in _panels(s, x, None):
                panels.append((s, x, (s.name + (f" ({label})" if label else "")), g))
        fig, axes = cm.grid(len(panels), ncols=min(2, len(panels)), panel=(5.0, 3.8))
        for ax, (s, x, label, g) in zip(axes, panels):
            phases = args.phases.split(",") if args.phases else cm.default_phases(s.lattice)
            agg = g.aggregate("f_mean", by=x, err="f_err")
            for name in phases:
                if name == "fU":
                    m = agg.mean[:, 0] + agg.mean[:, 3]
                    e = np.hypot(agg.err[:, 0], agg.err[:, 3])
                else:
                    i = cm.phase_index(name)
                    m, e = agg.mean[:, i], agg.err[:, i]
                ax.errorbar(agg.x, m, yerr=e, marker="o", ms=3.5, lw=1.2, capsize=2,
                            color=cm.PHASE_COLORS[name], label=cm.PHASE_LABELS[name])
            ax.set_xlabel(cm.PARAM_LABELS.get(x, x))
            if args.logx:
                ax.set_xscale("log")
            ax.set_ylabel("$\\langle f_\\alpha \\rangle_{\\rm fixed-shell}$")
            ax.set_ylim(-0.02, 1.02)
            n = agg.n
            ax.set_title((f"{label}: {n.min()}-{n.max()} replicas" if n.min() != n.max()
                          else f"{label}: {n.min()} replica{'s' if n.min() > 1 else ''}")
                         + f"\n{labels.state(g)}", fontsize=8)
            labels.letter(ax, list(axes).index(ax))
            ax.legend(fontsize=7, frameon=False)
        return cm.save(fig, args, "fractions", title=f"{f.path}: phase fractions at equilibrium")


#: Which variance of f_U a curve shows (README "Figures": which variance is which).
VARIANCE_KINDS = {
    "within": "within-run: each independent run's own time-series variance, averaged over runs "
              "(error: engine jackknife or run scatter)",
    "pooled": "pooled: variance of all runs' (exchange: all ladders', per rung) series together = "
              "within-run + spread of the run means (error: delete-one-run jackknife)",
    "ladder": "ladder (exchange): each rung's series variance, the ladder's equilibrium variance, averaged "
              "over ladders (error: engine jackknife or ladder scatter)",
    "mbar": "MBAR (exchange): stored samples of all rungs reweighted, exact at the rungs (points), "
            "spline-interpolated energies between them (line); error: block bootstrap over ladders",
}
VARIANCE_SHORT = {"within": "within-run", "pooled": "pooled over runs", "ladder": "ladder, per rung",
                  "mbar": "MBAR"}


class VarianceCurve:
    """Var(f_U) against x for one state point: x, mean, err, n (runs or
    ladders), kind (a VARIANCE_KINDS key); for kind 'mbar' also `mbar`
    (figures.reweight.Reweighted: continuous curve, bootstrap curves)."""

    def __init__(self, x, mean, err, n, kind, mbar=None):
        self.x, self.mean, self.err, self.n, self.kind, self.mbar = x, mean, err, n, kind, mbar

    @property
    def short(self):
        what = "ladder" if self.kind in ("ladder", "mbar") else "run"
        n = np.atleast_1d(self.n)
        cnt = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
        return f"{VARIANCE_SHORT[self.kind]}, {cnt} {what}{'s' if n.max() > 1 else ''}"


def default_variance(study, kind="auto"):
    """The variance kind a command uses for a study: `kind`, or for 'auto'
    within-run (equilibrium) / MBAR when samples are stored, else per rung
    (exchange).  Kinds that do not apply raise UsageError."""
    if kind == "auto":
        if not study.is_exchange:
            return "within"
        return "mbar" if study.has("sample_energy") and study.has("sample_fU") else "ladder"
    if study.is_exchange and kind == "within":
        raise cm.UsageError(f"study {study.name!r} is an exchange study: its per-rung variance is --variance "
                            "ladder (or pooled / mbar); 'within' is for independent equilibrium runs")
    if not study.is_exchange and kind in ("ladder", "mbar"):
        raise cm.UsageError(f"study {study.name!r} is an equilibrium study: --variance {kind} needs an "
                            "exchange study (use within or pooled)")
    return kind


def variance_curve(g, kind, x="kshell", mbar_options=None):
    """The VarianceCurve of one state point (a selection whose tasks differ
    only in x and replica; for exchange studies: identical ladders)."""
    if g.is_exchange:
        if kind == "ladder":
            a = g.rung_aggregate("fU_var", err="fU_var_err")
            return VarianceCurve(a.x, a.mean, a.err, a.n, kind)
        if kind == "pooled":
            v, e = cr.pooled_variance(g.data("fU_mean"), g.data("fU_var"))
            return VarianceCurve(g.ladder(), v, e, np.full(len(v), g.n), kind)
        from figures import reweight
        r = reweight.reweight_study(g, **(mbar_options or {}))
        return VarianceCurve(r.kshell, r.var, r.var_err, np.full(len(r.var), g.n), kind, mbar=r)
    if kind == "within":
        a = g.aggregate("fU_var", by=x, err="fU_var_err")
        return VarianceCurve(a.x, a.mean, a.err, a.n, kind)
    xs, vs, es, ns = [], [], [], []
    for key, gg in g.groupby(x):
        v, e = cr.pooled_variance(gg.data("fU_mean"), gg.data("fU_var"))
        xs.append(key)
        vs.append(float(v))
        es.append(float(e))
        ns.append(gg.n)
    return VarianceCurve(np.array(xs), np.array(vs), np.array(es), np.array(ns), kind)


def variance_curves(study, x="kshell", by="side", kind="auto", mbar_options=None):
    """[(value of `by`, VarianceCurve)] for each value of `by` (sorted)."""
    kind = default_variance(study, kind)
    if by not in study.scanned and len(study.values(by)) == 1:
        groups = [(study.values(by)[0], study)]
    else:
        groups = study.groupby(by)
    return [(k, variance_curve(g, kind, x, mbar_options)) for k, g in groups]


def cmd_variance(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["equilibrium", "exchange"], need="fU_var")
        fig, ax = plt.subplots(figsize=(6.0, 4.3), layout="constrained")
        curves = []
        x = args.x or "kshell"
        mopt = {"nboot": args.bootstrap_samples, "nblocks": args.mbar_blocks}
        for s in studies:
            for side, c in variance_curves(s, x=x, by=args.by, kind=args.variance, mbar_options=mopt):
                curves.append((s, side, c))
                if c.kind == "mbar" and args.with_ladder:
                    curves.append((s, side, variance_curve(_state_point(s, args.by, side), "ladder", x)))
        curves.sort(key=lambda c: c[1])
        cmap = plt.get_cmap("viridis")
        sides = sorted({c[1] for c in curves})
        kinds = []
        any_mbar = any(c.kind == "mbar" for _, _, c in curves)
        for s, side, c in curves:
            col = cmap(sides.index(side) / max(1, len(sides) - 1) * 0.9)
            lab = cm.size_label(s.lattice, side) if args.by == "side" else f"{args.by}={side:g}"
            if len(studies) > 1:
                lab = f"{s.name}: {lab}"
            lab = f"{lab}; {c.short}"
            if c.kind not in kinds:
                kinds.append(c.kind)
                print(f"Var(f_U) {VARIANCE_SHORT[c.kind]} = {VARIANCE_KINDS[c.kind]}")
            if c.kind == "mbar":
                m = c.mbar
                ax.errorbar(c.x, c.mean, yerr=c.err, marker="o", ms=3, ls="none", capsize=2, color=col,
                            label=lab + " (rungs)")
                ls = "-" if m.curve_reliable else ":"
                ax.plot(m.grid, m.grid_var, color=col, lw=1.2, ls=ls,
                        label=f"{lab}: between rungs" + ("" if m.curve_reliable else
                                                          f" (UNRELIABLE: spline error {m.interp_error:.2g} kT)"))
                if np.all(np.isfinite(m.grid_var_err)):
                    ax.fill_between(m.grid, m.grid_var - m.grid_var_err, m.grid_var + m.grid_var_err,
                                    color=col, alpha=0.2, lw=0)
            else:
                ax.errorbar(c.x, c.mean, yerr=c.err, marker="s" if c.kind == "ladder" else "o", ms=3, lw=1.0,
                            ls="--" if any_mbar else "-",
                            capsize=2, color=col, label=lab)
            i = int(np.nanargmax(c.mean)) if np.any(np.isfinite(c.mean)) else 0
            print(f"  {s.name} {args.by}={side:g}: {c.short}: largest Var(f_U) {c.mean[i]:.4g} +- {c.err[i]:.2g} "
                  f"at {x}={c.x[i]:g}")
        ax.set_xlabel(cm.PARAM_LABELS.get(x, x))
        ax.set_ylabel("Var$(f_U)$: " + " / ".join(VARIANCE_SHORT[k] for k in kinds))
        if args.logy:
            ax.set_yscale("log")
        ax.legend(fontsize=6, frameon=False)
        return cm.save(fig, args, "variance", title=f"{f.path}: fluctuations of $f_U$")


def _state_point(s, by, value):
    if by not in s.scanned and len(s.values(by)) == 1:
        return s
    return s.where(**{by: value})


def cmd_area_shell(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["equilibrium"], need="dA2_mean")
        fig, ax = plt.subplots(figsize=(5.0, 3.8), layout="constrained")
        for s in studies:
            x = pick_x(s, args.x)
            for label, g in _panels(s, x, None):
                agg = g.aggregate("dA2_mean", by=x, err="dA2_err")
                with np.errstate(invalid="ignore", divide="ignore"):
                    rms = np.sqrt(np.clip(agg.mean, 0, None))
                    err = np.where(rms > 0, agg.err / (2 * rms), np.nan)
                ax.errorbar(agg.x, rms, yerr=err, marker="o", ms=4, lw=1.3, capsize=2,
                            label=s.name + (f" ({label})" if label else ""))
                ax.set_xlabel(cm.PARAM_LABELS.get(x, x))
        ax.set_ylabel("RMS $\\Delta A$ ($a^2$)")
        ax.legend(fontsize=7, frameon=False)
        return cm.save(fig, args, "area-shell", title=f"{f.path}: RMS local area deviation at equilibrium")


def register(sub):
    p = sub.add_parser("fractions", help="<f_alpha> vs shell thickness or K_shell (Figs. 4b, 5a, 7c)",
                       description="Equilibrium phase fractions <f_alpha> vs a scanned parameter, mean over "
                                   "replicas with error bars; other scanned parameters give separate panels.")
    cm.add_io_args(p)
    p.add_argument("--x", help="parameter on the x axis (default: the study's scanned parameter)")
    p.add_argument("--phases", help="comma-separated subset of U1,S1,S2,U2,unclassified,fU "
                                    "(default: U1,S1,S2,U2 in 2D; U1,U2,unclassified in 3D)")
    p.add_argument("--logx", action="store_true", help="log x axis (e.g. a K_shell scan in factors of 2)")
    p.set_defaults(func=cmd_fractions)

    p = sub.add_parser("variance", help="Var(f_U) vs K_shell, one curve per core size (Fig. 5b); "
                                        "equilibrium and exchange studies",
                       description="Variance of f_U = f_U1 + f_U2 vs K_shell (or another scanned parameter), "
                                   "one curve per value of --by (core side by default). The legend and the "
                                   "printed lines say which variance is drawn:\n\n"
                                   + "\n".join(f"  {k}: {v}" for k, v in VARIANCE_KINDS.items())
                                   + "\n\nDefault (auto): within for equilibrium studies; mbar for exchange "
                                     "studies with stored samples, else ladder.",
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    cm.add_io_args(p)
    p.add_argument("--x", default="kshell", help="parameter on the x axis (default kshell; exchange: the ladder)")
    p.add_argument("--by", default="side", help="one curve per value of this parameter (default side)")
    p.add_argument("--variance", choices=["auto"] + list(VARIANCE_KINDS), default="auto",
                   help="which variance (default auto; see above)")
    p.add_argument("--with-ladder", action="store_true",
                   help="with --variance mbar (or auto on exchange studies): also draw the per-rung ladder variance")
    p.add_argument("--bootstrap-samples", type=int, default=100, help="MBAR bootstrap samples (default 100)")
    p.add_argument("--mbar-blocks", type=int, default=4,
                   help="MBAR bootstrap: blocks of consecutive samples per ladder (default 4; 1 = whole ladders)")
    p.add_argument("--logy", action="store_true", help="log Var(f_U) axis")
    p.set_defaults(func=cmd_variance)

    p = sub.add_parser("area-shell", help="RMS Delta A vs shell thickness at equilibrium (Fig. 6c)",
                       description="sqrt(<Delta A^2>) of equilibrium studies vs a scanned parameter "
                                   "(shell thickness by default), mean over replicas.")
    cm.add_io_args(p)
    p.add_argument("--x", help="parameter on the x axis (default: the study's scanned parameter)")
    p.set_defaults(func=cmd_area_shell)
