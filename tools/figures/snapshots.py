"""Configuration snapshots: a hexagon coloured by species and by plaquette
label (Figs. 1b, 3c), and a 3D cube as a scatter (Fig. 7a).

The labels are recomputed here in numpy from the stored positions, following
docs/model.md's rule, instead of being read from the file: the engine stores only
sigma, and an independent implementation doubles as a check of the
engine's phase fractions (tests compare them on known patterns).

  neighbours: sites at distance 1 (2D, 6 of them, ordered by angle
  0, 60, ..., 300 degrees); 3D: distance 1 and sqrt 2 (18 bonds)
  2D labels (index into catex_reader.PHASES, -1 = no full ring):
    U1: sigma = +1 and all 6 neighbours +1          U2: the same with -1
    S1: (sigma = -1 and all neighbours +1) or (sigma = +1 and ring alternates)
    S2: (sigma = +1 and all neighbours -1) or (sigma = -1 and ring alternates)
    "ring alternates": every pair of adjacent ring neighbours differs
  3D: U1 / U2 if the site and its 18 neighbours are all +1 / -1
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from scipy.spatial import cKDTree

import catex_reader as cr
from figures import common as cm
from figures import labels

U1, S1, S2, U2, UNCL = range(5)


def neighbour_ring(positions):
    """[N, 6] indices of the 2D neighbours at 0, 60, ..., 300 degrees (-1 where
    missing).  Consecutive entries (cyclically) are mutually adjacent."""
    pos = np.asarray(positions, dtype=float)
    n = len(pos)
    ring = -np.ones((n, 6), dtype=int)
    pairs = cKDTree(pos).query_pairs(1.0 + 1e-6, output_type="ndarray")
    for a, b in ((pairs[:, 0], pairs[:, 1]), (pairs[:, 1], pairs[:, 0])):
        d = pos[b] - pos[a]
        ang = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
        slot = np.round(ang / 60.0).astype(int) % 6
        ring[a, slot] = b
    return ring


def bonded_neighbours(positions, cutoff):
    """List of neighbour-index arrays within `cutoff` (3D: sqrt 2 gives the
    18 NN + NNN bonds of docs/model.md)."""
    tree = cKDTree(np.asarray(positions, dtype=float))
    return [np.array(sorted(set(nb) - {i}), dtype=int)
            for i, nb in enumerate(tree.query_ball_point(positions, cutoff + 1e-6))]


def plaquette_labels(positions, sigma, ring=None):
    """Phase index per site of a 2D configuration (docs/model.md plaquette rule);
    -1 for sites without all 6 neighbours."""
    sigma = np.asarray(sigma, dtype=int)
    if ring is None:
        ring = neighbour_ring(positions)
    full = np.all(ring >= 0, axis=1)
    nb = np.where(ring >= 0, sigma[np.clip(ring, 0, None)], 0)
    all_plus = np.all(nb == 1, axis=1)
    all_minus = np.all(nb == -1, axis=1)
    alternates = np.all(nb * np.roll(nb, -1, axis=1) == -1, axis=1)
    s = sigma
    lab = np.full(len(sigma), UNCL, dtype=int)
    lab[(s == 1) & all_plus] = U1
    lab[(s == -1) & all_minus] = U2
    lab[((s == -1) & all_plus) | ((s == 1) & alternates)] = S1
    lab[((s == 1) & all_minus) | ((s == -1) & alternates)] = S2
    lab[~full] = -1
    return lab


def cube_labels(positions, sigma, neighbours=None):
    """Phase index per site of a 3D configuration: U1 / U2 / unclassified,
    -1 for sites with fewer than 18 bonds."""
    sigma = np.asarray(sigma, dtype=int)
    if neighbours is None:
        neighbours = bonded_neighbours(positions, np.sqrt(2.0))
    lab = np.full(len(sigma), UNCL, dtype=int)
    for i, nb in enumerate(neighbours):
        if len(nb) < 18:
            lab[i] = -1
        elif sigma[i] == 1 and np.all(sigma[nb] == 1):
            lab[i] = U1
        elif sigma[i] == -1 and np.all(sigma[nb] == -1):
            lab[i] = U2
    return lab


def phase_fractions(labels, sites=None):
    """f_alpha over the classified sites (or an explicit site set)."""
    lab = labels if sites is None else labels[sites]
    lab = lab[lab >= 0]
    return np.array([np.mean(lab == k) if len(lab) else np.nan for k in range(5)])


def _hexagons(pos):
    """Voronoi cells of the triangular lattice: hexagons of circumradius
    1/sqrt 3 with vertices at 30 + 60 k degrees."""
    ang = np.radians(30 + 60 * np.arange(6))
    r = 1 / np.sqrt(3)
    return pos[:, None, :] + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)[None]


def draw_hexagon(ax, lattice, sigma, scheme="species", labels=None):
    """Draws one 2D configuration.  scheme='plaquette' colours each classified
    site by its label and shows the sites without a full ring translucent in
    the species colours (Fig. 4a's convention)."""
    pos = lattice.positions
    species = np.array([to_rgba(cm.SPECIES_COLORS[1 if s > 0 else -1]) for s in sigma])
    if scheme == "species":
        colors = species
    else:
        if labels is None:
            labels = plaquette_labels(pos, sigma)
        colors = species.copy()
        colors[:, 3] = 0.3
        for k, name in enumerate(cr.PHASES):
            colors[labels == k] = to_rgba(cm.PHASE_COLORS[name])
    ax.add_collection(PolyCollection(_hexagons(pos), facecolors=colors, edgecolors="white", linewidths=0.2))
    ax.set_xlim(pos[:, 0].min() - 1, pos[:, 0].max() + 1)
    ax.set_ylim(pos[:, 1].min() - 1, pos[:, 1].max() + 1)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_cube(ax, lattice, sigma, scheme="species", labels=None):
    """3D scatter: A opaque blue, B translucent red (Fig. 7a); or by U label."""
    pos = lattice.positions
    if scheme == "species":
        a, b = sigma > 0, sigma < 0
        # B translucent but visible (alpha 0.06 vanished at N = 512), A opaque
        ax.scatter(*pos[b].T, color=cm.SPECIES_COLORS[-1], alpha=0.18, s=14, depthshade=False, lw=0)
        ax.scatter(*pos[a].T, color=cm.SPECIES_COLORS[1], alpha=0.95, s=16, depthshade=True, lw=0)
    else:
        if labels is None:
            labels = cube_labels(pos, sigma)
        for k, name in ((UNCL, "unclassified"), (U2, "U2"), (U1, "U1")):
            m = labels == k
            ax.scatter(*pos[m].T, color=cm.PHASE_COLORS[name], alpha=0.9 if k == U1 else 0.15,
                       s=12, lw=0, depthshade=k == U1)
    lim = np.abs(pos).max() + 0.5
    for set_lim in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        set_lim(-lim, lim)
    ax.set_box_aspect((1, 1, 1))
    ax.set_axis_off()


def draw_cube_slices(ax, lattice, sigma, ncols=None):
    """The planes z = const of a cube side by side (A blue, B red), so that
    columns of A along z show as blue spots at the same place in every
    plane (Fig. 7a's modulated pattern, hidden in a 3D scatter)."""
    pos = lattice.positions
    idx = np.round(pos - pos.min(axis=0)).astype(int)
    L = idx.max(axis=0) + 1
    grid = np.zeros((L[2], L[1], L[0]))
    grid[idx[:, 2], idx[:, 1], idx[:, 0]] = np.asarray(sigma, dtype=float)
    nz = L[2]
    ncols = ncols or int(np.ceil(np.sqrt(nz)))
    nrows = int(np.ceil(nz / ncols))
    gap = 1
    img = np.full((nrows * (L[1] + gap) - gap, ncols * (L[0] + gap) - gap, 4), 1.0)
    a, b = np.array(to_rgba(cm.SPECIES_COLORS[1])), np.array(to_rgba(cm.SPECIES_COLORS[-1]))
    for z in range(nz):
        r, c = divmod(z, ncols)
        y0, x0 = r * (L[1] + gap), c * (L[0] + gap)
        plane = grid[z]
        img[y0:y0 + L[1], x0:x0 + L[0]] = np.where(plane[..., None] > 0, a, b)
        ax.text(x0 - 0.5, y0 - 0.6, f"z={z}", fontsize=5, va="bottom")
    ax.imshow(img, interpolation="nearest", origin="upper")
    ax.set_axis_off()


def _pick(times, k):
    """k indices spread over the available snapshots (first and last kept)."""
    n = len(times)
    if n <= k:
        return list(range(n))
    return sorted(set(np.round(np.linspace(0, n - 1, k)).astype(int).tolist()))


def cmd_snapshot(args):
    schemes = ["species", "plaquette"] if args.color == "both" else [args.color]
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["kmc"], need="snapshots")
        rows = []
        for s in studies:
            if args.task >= s.n:
                raise cm.UsageError(f"study {s.name!r}: --task {args.task} but only {s.n} tasks selected")
            times, sig, lat = s.snapshots(args.task)
            if len(times) == 0:
                cm.warn(f"study {s.name!r} task {args.task}: no snapshot was written")
                continue
            if args.times:
                idx = [int(np.argmin(np.abs(times - t))) for t in args.times]
            else:
                idx = _pick(times, args.columns)
            for sch in schemes:
                rows.append((s, lat, times, sig, idx, sch))
        if not rows:
            raise cm.UsageError("no snapshots to draw")
        ncol = max(len(r[4]) for r in rows)
        threed = any(r[1].dim == 3 for r in rows)
        fig = plt.figure(figsize=(2.6 * ncol, 2.7 * len(rows)))
        for i, (s, lat, times, sig, idx, sch) in enumerate(rows):
            for j, k in enumerate(idx):
                if lat.dim == 3 and args.view == "slices" and sch == "species":
                    ax = fig.add_subplot(len(rows), ncol, i * ncol + j + 1)
                    draw_cube_slices(ax, lat, sig[k])
                elif lat.dim == 3:
                    ax = fig.add_subplot(len(rows), ncol, i * ncol + j + 1, projection="3d")
                    draw_cube(ax, lat, sig[k], sch)
                else:
                    ax = fig.add_subplot(len(rows), ncol, i * ncol + j + 1)
                    draw_hexagon(ax, lat, sig[k], sch)
                c = (np.mean(sig[k]) + 1) / 2
                head = f"{s.name}: {labels.state(s)}\n" if j == 0 else ""
                ax.set_title(f"{head}t={times[k]:.3g}  c={c:.2f}", fontsize=7)
                labels.letter(ax, i * ncol + j, threed=ax.name == "3d")
        _legend(fig, schemes, threed)
        return cm.save(fig, args, "snapshot", title=f"{f.path}: configurations (task {args.task})")


def _legend(fig, schemes, threed):
    from matplotlib.patches import Patch
    handles = []
    if "species" in schemes:
        handles += [Patch(color=cm.SPECIES_COLORS[1], label="A ($\\sigma=+1$)"),
                    Patch(color=cm.SPECIES_COLORS[-1], label="B ($\\sigma=-1$)")]
    if "plaquette" in schemes:
        names = ["U1", "U2", "unclassified"] if threed else list(cr.PHASES)
        handles += [Patch(color=cm.PHASE_COLORS[n], label=cm.PHASE_LABELS[n]) for n in names]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, -0.02))


def register(sub):
    p = sub.add_parser("snapshot", help="configurations by species and plaquette label (Figs. 1b, 3c, 7a)",
                       description="Stored configurations of a KMC trajectory: hexagons drawn as lattice "
                                   "cells coloured by species (A blue, B red) and/or by plaquette label "
                                   "(computed here from positions, docs/model.md); cubes as 3D scatter.  One row "
                                   "per study and colour scheme, one column per snapshot time.")
    cm.add_io_args(p)
    p.add_argument("--task", type=int, default=0,
                   help="which selected trajectory of each study (0-based, after --where; default 0)")
    p.add_argument("--color", choices=["species", "plaquette", "both"], default="both",
                   help="colour scheme (default both: two rows, as Fig. 3c)")
    p.add_argument("--columns", type=int, default=5, help="at most this many snapshot times (default 5)")
    p.add_argument("--times", type=float, nargs="+", metavar="T",
                   help="snapshot times to show (the nearest stored one each)")
    p.add_argument("--view", choices=["3d", "slices"], default="3d",
                   help="cubes: 3D scatter (A opaque, B translucent) or the planes z = const side by side "
                        "(species colours; default 3d)")
    p.set_defaults(func=cmd_snapshot)
