"""Fig. 4a: configurations of fixed-shell equilibrium runs (studies with
`snapshot_every`), one panel per state point (e.g. per shell thickness).

As in the paper, the interior core sites (the core minus its outermost
layer, the sites the equilibrium observables use) are coloured by their
plaquette label, and the outermost core layer and the shell are drawn
translucent in the species colours (A blue, B red).  Labels are recomputed
from positions (tools/figures/snapshots.py).
"""

import argparse

import matplotlib.pyplot as plt
import numpy as np

import catex_reader as cr
from figures import common as cm
from figures import labels
from figures import snapshots as snap


def interior_core_labels(lattice, sigma):
    """Plaquette labels, -1 (drawn translucent) outside the interior core."""
    lab = snap.plaquette_labels(lattice.positions, sigma)
    shell = lattice.shell_layers or 0
    lab[lattice.layer <= shell + 1] = -1
    return lab


def _snapshots(study, row, which):
    """The stored configurations of one selected task: [nsnap, N]."""
    d = study.group["snapshots"]
    sig = np.asarray(d[study.rows[row]], dtype=int)
    lat = study.lattice_of(study.param("side")[row], study.param("shell_layers")[row])
    sig = sig[:, :lat.n]
    keep = np.any(sig != 0, axis=1)  # rows of an unfinished task are 0
    sig = sig[keep]
    if len(sig) == 0:
        return None, lat
    return sig[which if -len(sig) <= which < len(sig) else -1], lat


def cmd_eq_snapshot(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["equilibrium"], need="snapshots")
        panels = []
        for s in studies:
            names = [p for p in s.scanned if p != "replica"]
            groups = s.groupby(*names) if names else [((), s)]
            for key, g in groups:
                sigma, lat = _snapshots(g, min(args.replica, g.n - 1), args.snapshot)
                if sigma is None:
                    cm.warn(f"study {s.name!r} ({cm.key_label(names, key)}): no snapshot stored")
                    continue
                panels.append((g, lat, sigma))
        if not panels:
            raise cm.UsageError("no equilibrium snapshots to draw (run the study with snapshot_every)")
        ncol = min(args.columns, len(panels))
        nrow = int(np.ceil(len(panels) / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 3.2 * nrow), squeeze=False,
                                 layout="constrained")
        for ax in axes.ravel()[len(panels):]:
            ax.set_visible(False)
        for k, (ax, (g, lat, sigma)) in enumerate(zip(axes.ravel(), panels)):
            if lat.dim == 3:
                ax.remove()
                ax = fig.add_subplot(nrow, ncol, k + 1, projection="3d")
                snap.draw_cube(ax, lat, sigma, "species")
            else:
                snap.draw_hexagon(ax, lat, sigma, "plaquette", labels=interior_core_labels(lat, sigma))
            ax.set_title(labels.state(g), fontsize=7)
            labels.letter(ax, k, threed=lat.dim == 3)
        snap._legend(fig, ["species", "plaquette"], any(p[1].dim == 3 for p in panels))
        return cm.save(fig, args, "eq-snapshot", title=f"{f.path}: fixed-shell equilibrium configurations")


def register(sub):
    p = sub.add_parser("eq-snapshot", help="fixed-shell equilibrium configurations (Fig. 4a)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cm.add_io_args(p)
    p.add_argument("--replica", type=int, default=0, help="which replica of each state point (default 0)")
    p.add_argument("--snapshot", type=int, default=-1,
                   help="which stored snapshot of the run (default -1: the last)")
    p.add_argument("--columns", type=int, default=3, help="panels per row (default 3)")
    p.set_defaults(func=cmd_eq_snapshot)
