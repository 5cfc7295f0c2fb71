"""One page summarising every study of a file, whatever the job was: what
`tools/quickstart` shows after its first run, and a quick look at any file.

  kmc          c(t) (mean +- s.e.) and the mean phase fractions, log time
  equilibrium  <f_alpha> vs its scanned parameter (or a bar chart when it
               scans nothing; one curve per value of a second parameter)
  potential    V_eff of the first task as an image
"""

import argparse

import numpy as np

import catex_reader as cr
from figures import common as cm


def _kmc(ax, s):
    """c(t) of every state point (up to 6), phase fractions of the first."""
    points = _state_points(s)
    styles = ["-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3))]
    for k, (names, g) in enumerate(points[:len(styles)]):
        t = g.time()
        c = cr.fill_trailing(np.asarray(g.data("c"), dtype=float))
        m, e, _ = cr.mean_sem(c)
        ok = t > 0
        ax.plot(t[ok], m[ok], color="black", lw=1.8, ls=styles[k],
                label="c" + (f" ({names}, {g.n} traj.)" if names else f" ({g.n} traj.)"))
        ax.fill_between(t[ok], (m - e)[ok], (m + e)[ok], color="black", alpha=0.2, lw=0)
        if k == 0 and g.has("f"):
            fa = cr.fill_trailing(np.asarray(g.data("f"), dtype=float))
            for name in cm.default_phases(s.lattice):
                if name == "unclassified":
                    continue
                ax.plot(t[ok], cr.mean_sem(cm.phase_series(fa, name))[0][ok], color=cm.PHASE_COLORS[name],
                        lw=1.2, label=cm.PHASE_LABELS[name] + (f" ({names})" if names else ""))
    if len(points) > len(styles):
        cm.warn(f"overview of {s.name!r}: c(t) of {len(styles)} of {len(points)} state points")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time $t$")
    ax.set_ylabel("$c$, $f_\\alpha$")
    what = f"{len(points)} state points, {s.n} trajectories" if len(points) > 1 else f"{s.n} trajectories"
    ax.set_title(f"{s.name} (kmc {s.lattice}): {what}", fontsize=9)
    ax.legend(fontsize=6, frameon=False)


def _state_points(s):
    names = [p for p in s.scanned if p != "replica"]
    if not names:
        return [("", s)]
    return [(cm.key_label(names, k), g) for k, g in s.groupby(*names)]


def _equilibrium(ax, s):
    phases = cm.default_phases(s.lattice)
    if not s.scanned:
        m, e = cr.combine_replicas(s.data("f_mean"), s.data("f_err") if s.has("f_err") else None)
        idx = [cm.phase_index(p) for p in phases]
        ax.bar(range(len(idx)), m[idx], yerr=e[idx], color=[cm.PHASE_COLORS[p] for p in phases], capsize=3)
        ax.set_xticks(range(len(idx)))
        ax.set_xticklabels([cm.PHASE_LABELS[p] for p in phases])
    else:
        x = s.scanned[-1]
        others = [p for p in s.scanned if p != x]
        groups = s.groupby(*others) if others else [((), s)]
        styles = ["-", "--", ":", "-."]
        for k, (key, g) in enumerate(groups[:4]):
            agg = g.aggregate("f_mean", by=x, err="f_err")
            for p in phases:
                i = cm.phase_index(p)
                ax.errorbar(agg.x, agg.mean[:, i], yerr=agg.err[:, i], color=cm.PHASE_COLORS[p],
                            ls=styles[k], marker="o", ms=2.5, capsize=1.5,
                            label=cm.PHASE_LABELS[p] if k == 0 else None)
            if others:  # one legend entry per group, in black with its line style
                ax.plot([], [], color="black", ls=styles[k], label=cm.key_label(others, key))
        if len(groups) > 4:
            cm.warn(f"overview of {s.name!r}: showing 4 of {len(groups)} values of {', '.join(others)}")
        ax.set_xlabel(cm.PARAM_LABELS.get(x, x))
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("$\\langle f_\\alpha\\rangle$")
    ax.set_title(f"{s.name} (equilibrium {s.lattice}): {s.n} tasks", fontsize=9)
    ax.legend(fontsize=6, frameon=False)


def _potential(ax, s):
    V = np.asarray(s.data("V")[0], dtype=float)
    n = int(s.data("n")[0]) if s.has("n") else V.shape[0]
    V = V[:n, :n]
    lim = np.nanmax(np.abs(V)) or 1.0
    im = ax.imshow(V, cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(f"{s.name} (potential): $V_{{\\rm eff}}$, N={n}", fontsize=9)


def cmd_overview(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc", "equilibrium", "potential"])
        fig, axes = cm.grid(len(studies), ncols=min(3, len(studies)), panel=(4.6, 3.6))
        for ax, s in zip(axes, studies):
            if s.kind == "kmc":
                _kmc(ax, s)
            elif s.kind == "equilibrium":
                _equilibrium(ax, s)
            else:
                _potential(ax, s)
        return cm.save(fig, args, "overview", title=f"{f.path}: job {f.job.get('name', '')}")


def register(sub):
    for name in ("overview", "quickstart"):
        p = sub.add_parser(name, help="one panel per study: a quick look at any file"
                           + (" (alias of overview)" if name == "quickstart" else ""),
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        cm.add_io_args(p)
        p.set_defaults(func=cmd_overview)
