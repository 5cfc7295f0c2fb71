"""catexplot xrd: simulated powder X-ray diffraction along a 3D KMC
exchange trajectory, for comparison with the PbS -> CdS experiment.

Each cube site becomes one rocksalt cell on a shared sulfur sublattice (Pb
on A sites; Cd on B sites at tetrahedral = zincblende or octahedral =
rocksalt positions), positions at the chosen level (rigid / bulk / displaced by the
elastic model's u / strained), I(Q) by the Debye equation, and the (111),
(200), (220) peaks fitted per snapshot.  The patterns and observables go to
a companion HDF5 file (default <FILE stem>_xrd.h5, see tools/xrd/store.py);
the figure shows patterns coloured by conversion X = 1 - c, the peak
positions and I111/I200 against X, with the pure PbS and CdS crystals of the
same size as references.
"""

import os

import numpy as np

from figures import common as cm
from xrd import debye, peaks, series, store, structure

STRUCTURES = {"zincblende": "tetrahedral", "rocksalt": "octahedral"}
MARK = {"zincblende": dict(marker="o", mfc=None), "rocksalt": dict(marker="o", mfc="white")}
COLORS = {"zincblende": "#c0392b", "rocksalt": "#2f64c8"}


def _b_factors(items):
    out = {}
    for item in items or []:
        for part in item.split(","):
            if "=" not in part:
                raise cm.UsageError(f"--b-factor {item!r}: expected ELEMENT=B, e.g. Pb=0.6")
            k, v = part.split("=", 1)
            if k not in debye.DEFAULT_B:
                raise cm.UsageError(f"--b-factor {item!r}: element must be one of S, Pb, Cd")
            try:
                out[k] = float(v)
            except ValueError:
                raise cm.UsageError(f"--b-factor {item!r}: {v!r} is not a number") from None
    return out


def _store_path(args):
    if args.store:
        return args.store
    return os.path.splitext(os.path.basename(args.file))[0] + "_xrd.h5"


def _rows(study, spec):
    if spec == "all":
        return list(range(study.n))
    rows = [int(x) for x in spec.split(",")]
    for r in rows:
        if not 0 <= r < study.n:
            raise cm.UsageError(f"--trajectory {r}: the selection has {study.n} trajectories (0..{study.n - 1})")
    return rows


def _settings(args):
    if args.q_step > 0.002 + 1e-12:
        cm.warn(f"--q-step {args.q_step} is coarser than 0.002 1/A")
    return series.Settings(level=args.level, a_A=args.a_pbs, a_B=args.a_cds, a_rigid=args.a_rigid,
                           nnn_mismatch=args.nnn_mismatch, table=args.table, b_factors=_b_factors(args.b_factor),
                           q=debye.q_grid(args.q_min, args.q_max, args.q_step), bin_width=args.bin,
                           instrument_fwhm=args.instrument_fwhm)


def trends(d):
    """Numbers for the comparison with the experiment: per structure, the
    rank correlation of I111/I200 with X, the Q shifts of the last snapshot
    against the pristine crystal, and the linearity of Q220 in X."""
    x = 1.0 - np.nanmean(d["c"], axis=0)
    pos = np.nanmean(d["peak_position"], axis=0)
    ratio = np.nanmean(d["ratio_111_200"], axis=0)
    ok = np.isfinite(ratio) & np.isfinite(x)
    from scipy.stats import spearmanr
    rho = float(spearmanr(x[ok], ratio[ok])[0]) if np.sum(ok) > 2 else np.nan
    ref = d["reference_peak_position"]
    q220 = pos[:, 2]
    line = ref[0, 2] + (ref[1, 2] - ref[0, 2]) * x
    span = abs(ref[1, 2] - ref[0, 2])
    fit = np.polyfit(x[ok], q220[ok], 1)
    resid = q220[ok] - np.polyval(fit, x[ok])
    r2 = 1.0 - np.sum(resid ** 2) / np.sum((q220[ok] - q220[ok].mean()) ** 2)
    return {"x_max": float(np.nanmax(x)), "ratio_first": float(ratio[0]), "ratio_last": float(ratio[ok][-1]),
            "ratio_spearman": rho, "dQ_last": (pos[ok][-1] - pos[0]).tolist(),
            "q220_dev_from_line": float(np.nanmax(np.abs(q220 - line)) / span),
            "q220_r2": float(r2), "ratio_ref": d["reference_ratio_111_200"].tolist()}


def _mean(a):
    return np.nanmean(a, axis=0), (np.nanstd(a, axis=0, ddof=1) / np.sqrt(a.shape[0]) if a.shape[0] > 1
                                  else np.zeros(a.shape[1:]))


def cmd_xrd(args):
    import catex_reader as cr
    settings = _settings(args)
    structures = list(STRUCTURES) if args.structure == "both" else [args.structure]
    path = _store_path(args)
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ("kmc",), need="snapshots")
        cube = [s for s in studies if s.lattice == "cube"]
        if not cube:
            raise cm.UsageError("no kmc cube study with snapshots (the XRD mapping is 3D)")
        study = cube[0]
        rows = _rows(study, args.trajectory)
        data = {}
        for name in structures:
            if args.from_store:
                try:
                    data[name] = store.read(path, study.name, name, settings.level)
                except store.StoreError as e:
                    raise cm.UsageError(str(e)) from None
                if data[name]["source_job_sha256"] != store.job_sha256(f):
                    cm.warn(f"{path} was computed from another job than {args.file}")
                continue
            xyz = None
            if args.xyz:
                os.makedirs(args.xyz, exist_ok=True)
                xyz = (lambda task, k, _n=name: os.path.join(args.xyz, f"{study.name}_{_n}_task{task}_snap{k}.xyz"))

            def progress(i, k, n, _n=name):
                if args.verbose:
                    print(f"xrd {_n}: trajectory {i + 1}/{len(rows)} snapshot {k + 1}/{n}", flush=True)
            try:
                d = series.trajectory_series(study, rows, STRUCTURES[name], settings, progress=progress, xyz=xyz)
                store.write(path, f, study.name, name, STRUCTURES[name], settings, d, force=args.force)
            except (series.SeriesError, store.StoreError, structure.StructureError) as e:
                raise cm.UsageError(str(e)) from None
            d["q"] = settings.q
            data[name] = d
        if not args.from_store:
            print(f"{path}: observables of study {study.name!r} ({', '.join(structures)}, level {settings.level})")
        title = (f"{os.path.basename(args.file)}: {study.name}, L = {int(study.param('side')[0])}, "
                 f"level {settings.level}, {len(rows)} trajector{'y' if len(rows) == 1 else 'ies'}")
    for name, d in data.items():
        t = trends(d)
        print(f"{name}: X up to {t['x_max']:.3f}; I111/I200 {t['ratio_first']:.3f} -> {t['ratio_last']:.3f} "
              f"(Spearman with X {t['ratio_spearman']:+.2f}; pure PbS {t['ratio_ref'][0]:.3f}, pure CdS "
              f"{t['ratio_ref'][1]:.3f}); dQ(111, 200, 220) at the last snapshot "
              + ", ".join(f"{v:+.4f}" for v in t["dQ_last"])
              + f" 1/A; Q220 vs X: R^2 {t['q220_r2']:.4f}, largest deviation from the PbS-CdS line "
              f"{100 * t['q220_dev_from_line']:.1f}% of the span")
    _plot(args, data, title)


def _plot(args, data, title):
    import matplotlib.pyplot as plt
    from matplotlib import cm as mcm
    names = list(data)
    fig, ax = plt.subplots(2, 3, figsize=(14, 8))
    cmap = mcm.get_cmap("viridis")
    for col in range(2):
        a = ax[0, col]
        if col >= len(names):
            a.axis("off")
            continue
        name = names[col]
        d = data[name]
        q = d["q"]
        inten, _ = _mean(d["intensity"])
        x = 1.0 - np.nanmean(d["c"], axis=0)
        norm = np.nanmax(inten[0])
        for k in range(inten.shape[0]):
            a.plot(q, inten[k] / norm, color=cmap(x[k]), lw=0.9)
        ref = d["reference_peak_position"]
        for r, ls in ((ref[0], "--"), (ref[1], ":")):
            for v in r:
                a.axvline(v, color="0.5", ls=ls, lw=0.7)
        a.set_xlim(1.6, 3.3)
        a.set_xlabel("$Q$ (1/Å)")
        a.set_ylabel("$I(Q)$ / max $I$ of PbS")
        a.set_title(f"PbS@{name} CdS: patterns (colour = conversion $X$)", fontsize=9)
        sm = mcm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
        fig.colorbar(sm, ax=a, label="$X = 1 - c$")
    a = ax[0, 2]
    for name in names:
        d = data[name]
        x = 1.0 - np.nanmean(d["c"], axis=0)
        m, s = _mean(d["ratio_111_200"])
        a.errorbar(x, m, yerr=s, color=COLORS[name], label=f"{name} CdS", ls="-", **MARK[name])
        a.axhline(d["reference_ratio_111_200"][1], color=COLORS[name], ls=":", lw=0.8)
    a.axhline(data[names[0]]["reference_ratio_111_200"][0], color="0.4", ls="--", lw=0.8, label="pure PbS")
    a.set_xlabel("conversion $X = 1 - c$")
    a.set_ylabel("$I_{111} / I_{200}$")
    a.set_yscale("log")
    a.legend(fontsize=8)
    a.set_title("intensity ratio (dotted: pure CdS of each structure)", fontsize=9)
    for k, hkl in enumerate(peaks.HKL):
        a = ax[1, k]
        for name in names:
            d = data[name]
            x = 1.0 - np.nanmean(d["c"], axis=0)
            m, s = _mean(d["peak_position"][..., k])
            a.errorbar(x, m, yerr=s, color=COLORS[name], label=f"{name} CdS", ls="-", **MARK[name])
        ref = data[names[0]]["reference_peak_position"]
        a.axhline(ref[0, k], color="0.4", ls="--", lw=0.8, label="pure PbS")
        a.axhline(ref[1, k], color="0.4", ls=":", lw=0.8, label="pure CdS")
        if hkl == "220":
            xx = np.array([0, 1])
            a.plot(xx, ref[0, k] + (ref[1, k] - ref[0, k]) * xx, color="0.6", lw=0.8, label="linear in $X$")
        a.set_xlabel("conversion $X = 1 - c$")
        a.set_ylabel(f"$Q_{{{hkl}}}$ (1/Å)")
        a.set_title(f"({hkl}) position", fontsize=9)
        a.legend(fontsize=7)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    cm.save(fig, args, "xrd", title)


def register(sub):
    p = sub.add_parser("xrd", help="simulated XRD (Debye equation) along a 3D KMC trajectory",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    cm.add_io_args(p, study_help="kmc cube study with snapshots (default: the first one)")
    p.add_argument("--trajectory", default="0", metavar="K[,K...]|all",
                   help="selected trajectories (rows of the selection, default 0); several: observables "
                        "averaged over them (mean +- s.e.)")
    p.add_argument("--structure", choices=["zincblende", "rocksalt", "both"], default="both",
                   help="CdS structure of B sites: Cd tetrahedral (zincblende) or octahedral (rocksalt)")
    p.add_argument("--level", choices=structure.LEVELS, default="displaced",
                   help="positions: rigid cells at --a-rigid; bulk: each cell at its phase's bulk parameter, "
                        "unrelaxed (the experiment's Debye simulations); cells displaced by the elastic u "
                        "(default); strained: every atom follows the interpolated u")
    p.add_argument("--a-pbs", type=float, default=structure.A_PBS, help=f"PbS lattice parameter (default {structure.A_PBS} Å)")
    p.add_argument("--a-cds", type=float, default=structure.A_CDS_ZB,
                   help=f"CdS lattice parameter, both structures (default {structure.A_CDS_ZB} Å, zincblende)")
    p.add_argument("--a-rigid", type=float, help="lattice parameter of the rigid level (default --a-pbs)")
    p.add_argument("--nnn-mismatch", choices=["geometric", "unit"], default="geometric",
                   help="mismatch of NNN bonds in the displacement solve (default geometric: pure crystals "
                        "relax to their own lattice parameter)")
    p.add_argument("--table", choices=["waasmaier", "xraylib"], default="waasmaier",
                   help="atomic form factors (default Waasmaier-Kirfel 1995 via python3-periodictable)")
    p.add_argument("--b-factor", action="append", metavar="EL=B",
                   help="isotropic B factor in Å^2 (default 0.5 for S, Pb, Cd), e.g. --b-factor Pb=0.8,S=0.6")
    p.add_argument("--q-min", type=float, default=debye.DEFAULT_Q[0], help="default 1.0 1/Å")
    p.add_argument("--q-max", type=float, default=debye.DEFAULT_Q[1], help="default 4.0 1/Å")
    p.add_argument("--q-step", type=float, default=debye.DEFAULT_Q[2], help="default 0.002 1/Å")
    p.add_argument("--bin", type=float, default=debye.DEFAULT_BIN,
                   help=f"pair-distance bin (default {debye.DEFAULT_BIN} Å; error <= (Q bin)^2/24 of the pair sum)")
    p.add_argument("--instrument-fwhm", type=float, default=0.0,
                   help="Gaussian instrument function, FWHM in 1/Å (default 0: none)")
    p.add_argument("--store", metavar="H5", help="companion HDF5 file (default <FILE stem>_xrd.h5)")
    p.add_argument("--force", action="store_true", help="replace existing groups of the companion file")
    p.add_argument("--from-store", action="store_true", help="plot from the companion file, compute nothing")
    p.add_argument("--xyz", metavar="DIR", help="also write every configuration as extended XYZ into DIR")
    p.add_argument("--verbose", "-v", action="store_true", help="print progress")
    p.set_defaults(func=cmd_xrd)
