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


def variance_curves(study, x="kshell", by="side"):
    """[(side, Aggregate of fU_var by x)] for each value of `by`."""
    if by not in study.scanned and len(study.values(by)) == 1:
        groups = [(study.values(by)[0], study)]
    else:
        groups = study.groupby(by)
    return [(k, g.aggregate("fU_var", by=x, err="fU_var_err")) for k, g in groups]


def cmd_variance(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["equilibrium"], need="fU_var")
        fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
        curves = []
        for s in studies:
            x = args.x or "kshell"
            for side, agg in variance_curves(s, x=x, by=args.by):
                curves.append((s, side, agg))
        curves.sort(key=lambda c: c[1])
        cmap = plt.get_cmap("viridis")
        for k, (s, side, agg) in enumerate(curves):
            col = cmap(k / max(1, len(curves) - 1) * 0.9)
            lab = cm.size_label(s.lattice, side) if args.by == "side" else f"{args.by}={side:g}"
            if len(studies) > 1:
                lab = f"{s.name}: {lab}"
            ax.errorbar(agg.x, agg.mean, yerr=agg.err, marker="o", ms=3, lw=1.2, capsize=2,
                        color=col, label=lab)
        ax.set_xlabel(cm.PARAM_LABELS.get(args.x or "kshell", args.x))
        ax.set_ylabel("Var$(f_U)$")
        if args.logy:
            ax.set_yscale("log")
        ax.legend(fontsize=7, frameon=False)
        return cm.save(fig, args, "variance", title=f"{f.path}: fluctuations of $f_U$")


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

    p = sub.add_parser("variance", help="Var(f_U) vs K_shell, one curve per core size (Fig. 5b)",
                       description="Variance of f_U = f_U1 + f_U2 vs a scanned parameter, one curve per "
                                   "value of --by (core side by default).")
    cm.add_io_args(p)
    p.add_argument("--x", default="kshell", help="parameter on the x axis (default kshell)")
    p.add_argument("--by", default="side", help="one curve per value of this parameter (default side)")
    p.add_argument("--logy", action="store_true", help="log Var(f_U) axis")
    p.set_defaults(func=cmd_variance)

    p = sub.add_parser("area-shell", help="RMS Delta A vs shell thickness at equilibrium (Fig. 6c)",
                       description="sqrt(<Delta A^2>) of equilibrium studies vs a scanned parameter "
                                   "(shell thickness by default), mean over replicas.")
    cm.add_io_args(p)
    p.add_argument("--x", help="parameter on the x axis (default: the study's scanned parameter)")
    p.set_defaults(func=cmd_area_shell)
