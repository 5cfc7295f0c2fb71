"""Fig. 6a: a KMC configuration coloured by its local area deviation
Delta A_R (docs/model.md "Local area deviation").

The displacements are recomputed here from the stored positions and sigma,
independently of the engine: D and C are assembled from the bonds (pairs at
distance 1; stiffness K_shell for shell-shell bonds), u = (1/2) D^+ C sigma
with D^+ the pseudo-inverse (numpy), and

    A_R = (1/Z_R) sum_{alpha(R)} | -Delta (u_{R+alpha} - u_R) + alpha |^2,   Delta = 0.1,

Delta A_R = A_R - mean of A over the sites with six neighbours (the set the
engine's dA_rms uses; tests check that the RMS over that set equals dA_rms).
Expanded (A-rich) regions are red, compressed (B-rich) ones blue.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PolyCollection
from scipy.spatial import cKDTree

import catex_reader as cr
from figures import common as cm
from figures import labels
from figures import snapshots as snap

MISMATCH = 0.1  # Delta = (l_AA - l_BB) / 2 for rest lengths 1.0 and 0.8


def bonds(positions):
    """[M, 2] bonded pairs (distance 1) and their unit vectors [M, 2]."""
    pos = np.asarray(positions, dtype=float)
    pairs = cKDTree(pos).query_pairs(1.0 + 1e-6, output_type="ndarray")
    d = pos[pairs[:, 1]] - pos[pairs[:, 0]]
    return pairs, d / np.linalg.norm(d, axis=1)[:, None]


def displacement_response(lattice, kshell=1.0):
    """G [2N, N] with u = G sigma (row 2R + x), i.e. G = (1/2) D^+ C."""
    pos = lattice.positions
    n = len(pos)
    pairs, unit = bonds(pos)
    shell = lattice.shell if lattice.shell is not None else np.zeros(n, bool)
    k = np.where(shell[pairs[:, 0]] & shell[pairs[:, 1]], kshell, 1.0)
    D = np.zeros((2 * n, 2 * n))
    C = np.zeros((2 * n, n))
    for (a, b), al, kb in zip(pairs, unit, k):
        aa = kb * np.outer(al, al)
        for i, j, v in ((a, b, al), (b, a, -al)):  # the bond seen from both ends
            D[2 * i:2 * i + 2, 2 * i:2 * i + 2] += aa
            D[2 * i:2 * i + 2, 2 * j:2 * j + 2] -= aa
            C[2 * i:2 * i + 2, i] += kb * v
            C[2 * i:2 * i + 2, j] += kb * v
    return 0.5 * np.linalg.pinv(D, rcond=1e-10, hermitian=True) @ C


def local_area(lattice, u):
    """A_R for displacements u [N, 2] (units of the mismatch)."""
    pos = lattice.positions
    n = len(pos)
    pairs, unit = bonds(pos)
    acc, z = np.zeros(n), np.zeros(n)
    for (a, b), al in zip(pairs, unit):
        du = u[b] - u[a]
        for i, d, v in ((a, du, al), (b, -du, -al)):
            acc[i] += np.sum((-MISMATCH * d + v) ** 2)
            z[i] += 1
    return acc / z


def area_deviation(lattice, sigma, G, ring=None):
    """(Delta A_R for every site, RMS over the six-neighbour sites)."""
    u = (G @ np.asarray(sigma, dtype=float)).reshape(-1, 2)
    A = local_area(lattice, u)
    if ring is None:
        ring = np.all(snap.neighbour_ring(lattice.positions) >= 0, axis=1)
    dA = A - A[ring].mean()
    return dA, float(np.sqrt(np.mean(dA[ring] ** 2)))


def cmd_area_snapshot(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc"], need="snapshots")
        rows = []
        for s in studies:
            if s.lattice != "hexagon":
                raise cm.UsageError(f"study {s.name!r}: the area deviation is defined in 2D only")
            times, sig, lat = s.snapshots(args.task)
            if len(times) == 0:
                cm.warn(f"study {s.name!r} task {args.task}: no snapshot was written")
                continue
            idx = ([int(np.argmin(np.abs(times - t))) for t in args.times] if args.times
                   else snap._pick(times, args.columns))
            kshell = float(np.atleast_1d(s.param("kshell"))[args.task]) if s.has("kshell") else 1.0
            G = displacement_response(lat, kshell)
            ring = np.all(snap.neighbour_ring(lat.positions) >= 0, axis=1)
            maps = [(times[k], *area_deviation(lat, sig[k], G, ring)) for k in idx]
            rows.append((s, lat, maps))
        if not rows:
            raise cm.UsageError("no snapshots to draw")
        lim = args.vmax or max(np.nanmax(np.abs(m[1])) for r in rows for m in r[2]) or 1.0
        ncol = max(len(r[2]) for r in rows)
        fig, axes = plt.subplots(len(rows), ncol, figsize=(2.7 * ncol, 2.9 * len(rows)), squeeze=False,
                                 layout="constrained")
        k = 0
        for i, (s, lat, maps) in enumerate(rows):
            for j in range(ncol):
                ax = axes[i, j]
                if j >= len(maps):
                    ax.set_visible(False)
                    continue
                t, dA, rms = maps[j]
                coll = PolyCollection(snap._hexagons(lat.positions), array=dA, cmap="RdBu_r",
                                      edgecolors="none")
                coll.set_clim(-lim, lim)
                ax.add_collection(coll)
                pos = lat.positions
                ax.set_xlim(pos[:, 0].min() - 1, pos[:, 0].max() + 1)
                ax.set_ylim(pos[:, 1].min() - 1, pos[:, 1].max() + 1)
                ax.set_aspect("equal")
                ax.axis("off")
                ax.set_title(f"t={t:.3g}, RMS $\\Delta A$={rms:.3g}", fontsize=7)
                labels.letter(ax, k)
                k += 1
            axes[i, 0].text(0.0, -0.04, f"{s.name}: {labels.state(s)}", transform=axes[i, 0].transAxes,
                            fontsize=7, va="top")
        fig.colorbar(coll, ax=axes.ravel().tolist(), shrink=0.7, label="$\\Delta A_{\\mathbf{R}}$ ($a^2$)")
        return cm.save(fig, args, "area-snapshot",
                       title=f"{f.path}: local area deviation (task {args.task})")


def register(sub):
    p = sub.add_parser("area-snapshot", help="configurations coloured by local area deviation (Fig. 6a)",
                       description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    cm.add_io_args(p)
    p.add_argument("--task", type=int, default=0, help="which selected trajectory (0-based; default 0)")
    p.add_argument("--columns", type=int, default=4, help="at most this many snapshot times (default 4)")
    p.add_argument("--times", type=float, nargs="+", metavar="T", help="snapshot times (nearest stored)")
    p.add_argument("--vmax", type=float, help="colour range +-VMAX (default: largest |Delta A|)")
    p.set_defaults(func=cmd_area_snapshot)
