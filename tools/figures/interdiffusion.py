"""catexplot diffusion: interdiffusion coefficients D~ from KMC ensembles
and their Arrhenius fit, as the PbS -> CdS experiment extracts them from
the (220) position (Fick's second law, Eq. 6, and a shrinking-core model).

For every kmc study and every kT of its scan: the ensemble mean X(t) =
1 - c(t) (s.e. over trajectories), fitted by Fick's second law for the
crystal's geometry (3D cube: series solution; 2D hexagon: disc of equal
area) and by a shrinking-core model (tools/xrd/diffusion.py), D~ in units
of a^2 k_diff0 with bootstrap errors over trajectories; then
ln D~ = ln D0 - (E_a / eps)(eps / kT) per study and model.  Prints the table
and draws X(t) with the fits and the Arrhenius plot.
"""

import csv

import numpy as np

import catex_reader as cr
from figures import common as cm
from xrd import diffusion as df

MODEL_STYLE = {"fick": dict(marker="o", ls="-"), "shrinking_core": dict(marker="x", ls="--")}
MODEL_LABEL = {"fick": "Fick", "shrinking_core": "shrinking core"}


def _window(text):
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise cm.UsageError(f"--window {text!r}: expected LO,HI, e.g. 0.5,0.98") from None
    if not 0 <= lo < hi <= 1:
        raise cm.UsageError(f"--window {text!r}: need 0 <= LO < HI <= 1")
    return lo, hi


def analyse(study, models, window=None, n_boot=200, seed=0):
    """Fits for every kT of one kmc study: list of dicts, and the Arrhenius fits."""
    others = [p for p in study.scanned if p not in ("kT",) and len(study.values(p)) > 1]
    if others:
        raise cm.UsageError(f"study {study.name!r} also scans {', '.join(others)}: select one value with --where")
    side = study.param("side")[0]
    shell = study.param("shell_layers")[0] if "shell_layers" in study.group else 0
    n = int(cr.n_sites(study.lattice, side, shell))
    geometry, length = df.geometry_of(study.lattice, n, side + 2 * shell)
    lat = study.lattice_of()
    win = window or df.default_window(float(np.mean(lat.boundary)))
    t = study.time()
    eps = float(study.param("eps")[0]) if "eps" in study.group else 1.0
    rows = []
    for kT in study.values("kT"):
        g = study.where(kT=kT)
        for m in models:
            try:
                r = df.fit_ensemble(t, g.data("c"), m, geometry, length, win, n_sites=n, n_boot=n_boot, seed=seed)
            except df.FitError as e:
                cm.warn(f"study {study.name!r}, kT = {kT:g}, {m}: {e}")
                continue
            r.update(study=study.name, kT=float(kT), eps=eps, lattice=study.lattice, n_sites=n)
            rows.append(r)
    fits = {}
    for m in models:
        sel = [r for r in rows if r["model"] == m]
        try:
            fits[m] = df.arrhenius([r["kT"] for r in sel], [r["D"] for r in sel], [r["D_err"] for r in sel], eps)
        except df.FitError as e:
            cm.warn(f"study {study.name!r}, {m}: {e}")
    return rows, fits, t, (geometry, length, win)


def cmd_diffusion(args):
    import matplotlib.pyplot as plt
    models = list(df.MODELS) if args.model == "both" else [args.model]
    window = _window(args.window) if args.window else None
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ("kmc",))
        results = [(s, *analyse(s, models, window, args.bootstrap, args.seed)) for s in studies]
        curves = {s.name: {kT: df.mean_x(s.where(kT=kT).data("c")) for kT in s.values("kT")} for s in studies}
    print(f"{'study':16s} {'kT':>6s} {'model':15s} {'D~ (a^2 k_diff0)':>22s} {'chi2/pt':>9s} {'pts':>4s} {'traj':>4s}")
    table = []
    for s, rows, fits, _, (geo, length, win) in results:
        for r in rows:
            print(f"{r['study']:16s} {r['kT']:6.3g} {r['model']:15s} {r['D']:11.4g} +- {r['D_err']:<8.2g} "
                  f"{r['chi2'] / r['npoints']:9.3g} {r['npoints']:4d} {r['ntraj']:4d}")
            table.append(r)
        for m, a in fits.items():
            print(f"{s.name}: {MODEL_LABEL[m]} ({geo}, length {length:.3g} a, window X {win[0]:.3g}..{win[1]:.3g}): "
                  f"E_a = {a['Ea']:+.3f} +- {a['Ea_err']:.3f} eps, ln D0 = {a['lnD0']:.2f} +- {a['lnD0_err']:.2f}, "
                  f"chi2/dof = {a['chi2']:.2f}/{a['dof']}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["study", "lattice", "n_sites", "kT", "eps", "model", "geometry", "length", "window_lo",
                        "window_hi", "D", "D_err", "chi2", "npoints", "ntraj"])
            for r in table:
                w.writerow([r["study"], r["lattice"], r["n_sites"], r["kT"], r["eps"], r["model"], r["geometry"],
                            r["length"], r["window"][0], r["window"][1], r["D"], r["D_err"], r["chi2"],
                            r["npoints"], r["ntraj"]])
    ncol = len(results) + 1
    fig, ax = plt.subplots(1, ncol, figsize=(4.6 * ncol, 3.9))
    ax = np.atleast_1d(ax)
    for a, (s, rows, fits, t, (geo, length, win)) in zip(ax, results):
        kts = list(curves[s.name])
        colors = plt.cm.plasma(np.linspace(0.05, 0.85, len(kts)))
        for col, kT in zip(colors, kts):
            m, e, _ = curves[s.name][kT]
            ok = t > 0
            a.fill_between(t[ok], (m - e)[ok], (m + e)[ok], color=col, alpha=0.3, lw=0)
            a.plot(t[ok], m[ok], color=col, lw=1.2, label=f"kT = {kT:g}")
            for r in rows:
                if r["kT"] == kT and r["model"] == "fick":
                    fx = df.fick_x(t[ok], r["D"], geo, length)
                    fx[fx < win[0] - 0.1] = np.nan    # the fit is drawn where it was fitted
                    a.plot(t[ok], fx, color=col, lw=0.8, ls="--")
        a.axhspan(win[0], win[1], color="0.92", zorder=0)
        a.set_xscale("log")
        first = min(curves[s.name][kT][0][0] for kT in kts)   # X at the first grid time
        if np.any(t > 0) and first > 0.05:
            a.set_xlim(left=t[t > 0][0])
        a.set_ylim(0, 1.02)
        a.set_xlabel("$t$ ($1/k_{\\rm diff0}$)")
        a.set_ylabel("exchanged fraction $X = 1 - c$")
        a.set_title(f"{s.name} ({s.lattice}, N = {rows[0]['n_sites'] if rows else '?'}): "
                    "mean $\\pm$ s.e., Fick fits dashed", fontsize=8)
        a.legend(fontsize=7, loc="lower right")
    a = ax[-1]
    for k, (s, rows, fits, *_) in enumerate(results):
        color = plt.cm.tab10(k)
        for m in models:
            sel = [r for r in rows if r["model"] == m]
            if not sel:
                continue
            x = np.array([r["eps"] / r["kT"] for r in sel])
            d = np.array([r["D"] for r in sel])
            e = np.array([r["D_err"] for r in sel])
            st = MODEL_STYLE[m]
            lab = f"{s.name} {MODEL_LABEL[m]}"
            if m in fits:
                lab += f": $E_a$ = {fits[m]['Ea']:+.2f} $\\pm$ {fits[m]['Ea_err']:.2f} $\\epsilon$"
            a.errorbar(x, d, yerr=e, color=color, marker=st["marker"], ls="none", mfc="none", label=lab)
            if m in fits:
                xx = np.linspace(x.min(), x.max(), 50)
                a.plot(xx, np.exp(fits[m]["lnD0"] - fits[m]["Ea"] * xx), color=color, ls=st["ls"], lw=0.9)
    a.set_yscale("log")
    a.set_xlabel("$\\epsilon / k_BT$")
    a.set_ylabel("$\\tilde D$ ($a^2 k_{\\rm diff0}$)")
    a.set_title("Arrhenius plot of the interdiffusion coefficient", fontsize=8)
    a.legend(fontsize=6)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    cm.save(fig, args, "diffusion", f"{args.file}: interdiffusion")


def register(sub):
    p = sub.add_parser("diffusion", help="interdiffusion coefficients (Fick, shrinking core) and Arrhenius fit",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    cm.add_io_args(p, study_help="kmc studies (repeatable), each scanning kT; default: every kmc study")
    p.add_argument("--model", choices=["fick", "shrinking_core", "both"], default="both",
                   help="model fitted to X(t) (default both)")
    p.add_argument("--window", metavar="LO,HI",
                   help="fit the points with LO <= X <= HI (default: max(0.5, boundary fraction + 0.02) .. 0.98)")
    p.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples over trajectories (default 200)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--csv", metavar="FILE", help="also write the D~ table as CSV")
    p.set_defaults(func=cmd_diffusion)
