"""Time series of KMC studies: net composition c(t) (Fig. 2), phase fractions
f_alpha(t) with every trajectory and their mean (Figs. 3d, 7b), and the RMS
local area deviation (Fig. 6b).

Averages are over trajectories at each point of the (common) time grid.  A
trajectory that stopped early (no event left, or c <= c_stop) holds NaN
after its end; it is forward-filled with its final state before averaging
(catex_reader.fill_trailing) because dropping it would leave only the slow
trajectories in the late-time mean.  --no-fill turns that off.
"""

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np

import catex_reader as cr
from figures import common as cm
from figures import labels

_STUDY_COLORS = ["#1b1b1b", "#2f64c8", "#d23c32", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _groups(study):
    """One curve per state point: group by the scanned parameters."""
    names = [p for p in study.scanned if p != "replica"]
    return names, study.groupby(*names) if names else [((), study)]


def _panels(studies):
    """[(label, group)]: one panel per state point of every study."""
    panels = []
    for s in studies:
        names, groups = _groups(s)
        for key, g in groups:
            panels.append((s.name + (f" ({cm.key_label(names, key)})" if names else ""), g))
    return panels


def composition_curves(studies, fill=True):
    """[(label, t, mean c, sem c, n)] for every state point of every study."""
    out = []
    for s in studies:
        names, groups = _groups(s)
        for key, g in groups:
            t = g.time()
            c = np.asarray(g.data("c"), dtype=float)
            if fill:
                c = cr.fill_trailing(c)
            m, e, n = cr.mean_sem(c)
            label = s.name + (f" ({cm.key_label(names, key)})" if names else "")
            out.append((label, t, m, e, g.n))
    return out


def _auto_xmax(curves):
    """Linear time axes end at 3x the time by which every mean c has fallen
    below 1% (the rest of a long run is a flat line that hides the decay)."""
    ends = []
    for _, t, m, _, _ in curves:
        below = np.nonzero(np.isfinite(m) & (m < 0.01))[0]
        ends.append(t[below[0]] * 3 if len(below) else t[np.isfinite(m)][-1])
    return min(max(ends), max(c[1][-1] for c in curves))


def _draw_composition(ax, curves, xscale, yscale, legend=True, xmax=None):
    for k, (label, t, m, e, n) in enumerate(curves):
        col = _STUDY_COLORS[k % len(_STUDY_COLORS)]
        if xscale == "linear":
            # every trajectory starts pure A (c = 1 at t = 0, docs/model.md):
            # draw that known point before the first grid time
            t, m, e = np.r_[0.0, t], np.r_[1.0, m], np.r_[0.0, e]
        ok = np.isfinite(m) & ((t > 0) if xscale == "log" else (t >= 0))
        if yscale == "log":
            ok &= m > 0
        ax.plot(t[ok], m[ok], color=col, lw=1.6, label=f"{label}, n={n}")
        eok = ok & np.isfinite(e)
        lo, hi = m[eok] - e[eok], m[eok] + e[eok]
        if yscale == "log":
            lo = np.clip(lo, m[eok] * 1e-3, None)
        ax.fill_between(t[eok], lo, hi, color=col, alpha=0.25, lw=0)
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xscale == "linear" and curves:
        ax.set_xlim(0, xmax if xmax else _auto_xmax(curves))
    ax.set_xlabel("time $t$ ($1/k_{\\rm diff,0}$)")
    ax.set_ylabel("net composition $c$")
    if legend:
        ax.legend(fontsize=7, frameon=False)


def _auto_inset(study):
    """Fig. 2: the non-interacting panel's inset has c on a log scale (the
    decay is exponential); the Ising and elastic insets have log time (the
    steps of layer-by-layer exchange show there)."""
    eps, J = study.param("eps"), study.param("J")
    return "logy" if np.all(eps == 0) and np.all(J == 0) else "logx"


def _inset(ax, curves, kind):
    if kind == "none":
        return
    ins = ax.inset_axes([0.5, 0.45, 0.46, 0.5])
    xs = "log" if kind in ("logx", "loglog") else "linear"
    ys = "log" if kind in ("logy", "loglog") else "linear"
    _draw_composition(ins, curves, xs, ys, legend=False)
    _inset_labels(ins, "$t$" + (" (log)" if xs == "log" else ""), "$c$" + (" (log)" if ys == "log" else ""))


def cmd_composition(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc"], need="c")
        xscale = "log" if args.logx else "linear"
        yscale = "log" if args.logy else "linear"
        if args.panels:
            fig, axes = cm.grid(len(studies), ncols=min(3, len(studies)), panel=(4.2, 3.4))
            for ax, s in zip(axes, studies):
                curves = composition_curves([s], fill=not args.no_fill)
                _draw_composition(ax, curves, xscale, yscale, legend=len(curves) > 1, xmax=args.xmax)
                ax.set_title(f"{s.name}: {labels.state(s)}", fontsize=8)
                labels.letter(ax, list(axes).index(ax))
                _inset(ax, curves, _auto_inset(s) if args.inset == "auto" else args.inset)
        else:
            fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
            curves = composition_curves(studies, fill=not args.no_fill)
            _draw_composition(ax, curves, xscale, yscale, xmax=args.xmax)
            if args.inset != "auto":
                _inset(ax, curves, args.inset)
        return cm.save(fig, args, "composition", title=f"{f.path}: composition (mean $\\pm$ s.e.)")


def _outlined(ax, t, y, color, label):
    ax.plot(t, y, color=color, lw=2.6, label=label,
            path_effects=[pe.Stroke(linewidth=4.2, foreground="black"), pe.Normal()])


SITE_SETS = {"ring": ("f", "all sites with six neighbours"),
             "interior": ("f_interior", "interior (layer $\\geq$ {layers})")}


def site_set_label(study, sites):
    text = SITE_SETS[sites][1]
    if sites == "ring" and study.lattice == "cube":
        text = "all sites with 18 bonded neighbours"
    if sites == "interior":
        layers = study.group.attrs.get("interior_layers", "?")
        text = text.format(layers=int(layers) if np.isscalar(layers) else layers)
    return text


def _phases_xmax(study, t, fill):
    """A linear time axis ends at 3x the time by which the mean composition
    has fallen below 0.01, or by which every mean phase fraction is within
    0.01 of its final value (a 0..t_max axis shows the whole exchange as a
    vertical line when it is over by t ~ 1, as in 3D)."""
    ends = []
    if study.has("c"):
        c = np.asarray(study.data("c"), dtype=float)
        m = cr.mean_sem(cr.fill_trailing(c) if fill else c)[0]
        below = np.nonzero(np.isfinite(m) & (m < 0.01))[0]
        if len(below):
            ends.append(t[below[0]] * 3)
    return min(ends) if ends else None


def draw_phases(ax, study, phases, fill=True, max_traj=100, xscale="linear", sites="ring", xmax=None):
    """Thin lines: individual trajectories; thick outlined: their mean.
    sites: 'ring' (dataset f) or 'interior' (f_interior)."""
    t = study.time()
    name_f = SITE_SETS[sites][0]
    if not study.has(name_f):
        raise cm.UsageError(f"study {study.name!r} has no dataset {name_f!r} (written by catex since "
                            "interior fractions exist; rerun the job or use --sites ring)")
    fa = np.asarray(study.data(name_f), dtype=float)
    if fill:
        fa = cr.fill_trailing(fa)
    ok = t > 0 if xscale == "log" else np.ones_like(t, dtype=bool)
    if xscale == "linear":
        xmax = xmax or _phases_xmax(study, t, fill)
        if xmax:
            ok &= t <= xmax * 1.05
    for name in phases:
        y = cm.phase_series(fa, name)
        col = cm.PHASE_COLORS[name]
        for row in y[:max_traj]:
            ax.plot(t[ok], row[ok], color=col, lw=0.5, alpha=0.35)
        m = cr.mean_sem(y)[0]
        _outlined(ax, t[ok], m[ok], col, cm.PHASE_LABELS[name])
    ax.set_xscale(xscale)
    if xscale == "linear" and xmax:
        ax.set_xlim(0, xmax)
    ax.set_xlabel("time $t$ ($1/k_{\\rm diff,0}$)")
    ax.set_ylabel("phase fraction $f_\\alpha$")
    ax.set_ylim(-0.02, 1.02)


def _inset_labels(ins, xlabel="$t$", ylabel=None):
    ins.set_xlabel(xlabel, fontsize=6, labelpad=1)
    if ylabel:
        ins.set_ylabel(ylabel, fontsize=6, labelpad=1)
    ins.tick_params(labelsize=6)


def cmd_phases(args):
    site_sets = ["ring", "interior"] if args.sites == "both" else [args.sites]
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc"], need="f")
        panels = [(label, g, sites) for label, g in _panels(studies) for sites in site_sets]
        ncols = len(site_sets) if len(site_sets) > 1 else min(2, len(panels))
        fig, axes = cm.grid(len(panels), ncols=ncols, panel=(5.0, 3.8))
        for k, (ax, (label, g, sites)) in enumerate(zip(axes, panels)):
            phases = args.phases.split(",") if args.phases else cm.default_phases(g.lattice)
            for p in phases:
                cm.phase_index(p)
            draw_phases(ax, g, phases, fill=not args.no_fill, max_traj=args.max_traj,
                        xscale="log" if args.logx else "linear", sites=sites, xmax=args.xmax)
            ax.set_title(f"{g.name}: {labels.state(g)}; {g.n} trajectories\n"
                         f"fractions over {site_set_label(g, sites)}", fontsize=8)
            labels.letter(ax, k)
            if args.inset != "none":
                ins = ax.inset_axes([0.55, 0.35, 0.42, 0.4])
                draw_phases(ins, g, phases, fill=not args.no_fill, max_traj=args.max_traj, xscale="log",
                            sites=sites)
                _inset_labels(ins, "$t$ (log)", "$f_\\alpha$")
            ax.legend(fontsize=7, loc="center left" if args.inset != "none" else "best", frameon=False)
        return cm.save(fig, args, "phases", title=f"{f.path}: phase fractions")


def cmd_area_time(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc"], need="dA_rms")
        panels = _panels(studies)
        fig, axes = cm.grid(len(panels), ncols=min(2, len(panels)), panel=(5.0, 3.6))
        for ax, (label, g) in zip(axes, panels):
            t = g.time()
            y = np.asarray(g.data("dA_rms"), dtype=float)
            if not args.no_fill:
                y = cr.fill_trailing(y)
            for row in y[:args.max_traj]:
                ax.plot(t, row, color="0.6", lw=0.5, alpha=0.5)
            m = cr.mean_sem(y)[0]
            ax.plot(t, m, color="black", lw=2.0, label=f"mean of {g.n}")
            ax.set_xscale("log" if args.logx else "linear")
            ax.set_xlabel("time $t$ ($1/k_{\\rm diff,0}$)")
            ax.set_ylabel("RMS $\\Delta A$ ($a^2$)")
            ax.set_title(f"{g.name}: {labels.state(g)}", fontsize=8)
            labels.letter(ax, list(axes).index(ax))
            ax.legend(fontsize=7, frameon=False)
        return cm.save(fig, args, "area-time", title=f"{f.path}: RMS local area deviation")


def register(sub):
    p = sub.add_parser("composition", help="net composition c(t): mean +- s.e. over trajectories (Fig. 2)",
                       description="Net composition c(t) of KMC studies, mean +- standard error over "
                                   "trajectories, one curve per study and state point (Fig. 2).")
    cm.add_io_args(p)
    p.add_argument("--logx", action="store_true", help="log time axis")
    p.add_argument("--logy", action="store_true", help="log composition axis")
    p.add_argument("--panels", action="store_true", help="one panel per study instead of overlaying them")
    p.add_argument("--xmax", type=float, help="end of a linear time axis (default: 3x the time at which "
                                              "every mean c is below 0.01)")
    p.add_argument("--inset", choices=["auto", "none", "logx", "logy", "loglog"], default="auto",
                   help="inset with other axis scales (auto: Fig. 2's choice per panel with --panels, "
                        "none otherwise)")
    p.add_argument("--no-fill", action="store_true",
                   help="do not hold the final state of trajectories that stopped early")
    p.set_defaults(func=cmd_composition)

    p = sub.add_parser("phases", help="phase fractions f_alpha(t): trajectories thin, mean bold (Figs. 3d, 7b)",
                       description="Phase fractions of KMC studies vs time: each trajectory as a thin "
                                   "line, the mean over trajectories bold with a black outline.")
    cm.add_io_args(p)
    p.add_argument("--phases", help="comma-separated subset of U1,S1,S2,U2,unclassified,fU "
                                    "(default: U1,S1,S2,U2 in 2D; U1,U2,unclassified in 3D)")
    p.add_argument("--logx", action="store_true", help="log time axis")
    p.add_argument("--inset", choices=["none", "logx"], default="none",
                   help="inset with log time (Fig. 7b's short-time view)")
    p.add_argument("--sites", choices=["ring", "interior", "both"], default="ring",
                   help="site set of the fractions: ring = every site with six neighbours (dataset f, the "
                        "authors' analysis), interior = layers >= the study's interior_layers (f_interior; "
                        "the paper's Fig. 3d picture), both = one column each (default ring)")
    p.add_argument("--xmax", type=float,
                   help="end of a linear time axis (default: 3x the time at which the mean c falls below 0.01)")
    p.add_argument("--max-traj", type=int, default=100, help="draw at most this many trajectories (default 100)")
    p.add_argument("--no-fill", action="store_true",
                   help="do not hold the final state of trajectories that stopped early")
    p.set_defaults(func=cmd_phases)

    p = sub.add_parser("area-time", help="RMS Delta A vs time: trajectories grey, mean black (Fig. 6b)",
                       description="RMS local area deviation of 2D KMC studies vs time (Fig. 6b).")
    cm.add_io_args(p)
    p.add_argument("--logx", action="store_true", help="log time axis")
    p.add_argument("--max-traj", type=int, default=100, help="draw at most this many trajectories (default 100)")
    p.add_argument("--no-fill", action="store_true",
                   help="do not hold the final state of trajectories that stopped early")
    p.set_defaults(func=cmd_area_time)
