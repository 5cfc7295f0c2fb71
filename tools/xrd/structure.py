"""From a catex cube configuration to atoms.

Mapping (docs/model.md sites, lattice constant a = 1 = one cell): every site
R is one rocksalt conventional cell, centred at R, spanning R - 1/2 .. R + 1/2
in site units.  All cells share one commensurate sulfur sublattice: S on the
fcc points of every cell (corners and face centres, each shared point once,
so the crystal is closed by S on every face).  Each cell holds four cations
of its species:

* A sites (sigma = +1): Pb on octahedral (rocksalt) positions
  (1/2,0,0), (0,1/2,0), (0,0,1/2), (1/2,1/2,1/2) of the cell;
* B sites (sigma = -1): Cd on the same octahedral positions (rocksalt CdS,
  `cd_site="octahedral"`) or on the tetrahedral positions
  (1/4,1/4,1/4) + fcc (zincblende CdS, `cd_site="tetrahedral"`).

Positions, four levels (X = reference coordinate of an atom in site units,
a_A, a_B the lattice parameters of the A and B phases, a0 = (a_A + a_B) / 2,
Delta = (a_A - a_B) / 2, u the displacements (1/2) D^+ C sigma of
xrd.elastic, in units of the mismatch, so the physical displacement is
-Delta u, docs/model.md "Local area deviation"):

* "rigid":     r = a_rigid X                      (one lattice parameter, default a_A)
* "displaced": every cell is translated to a0 R - Delta u_R and keeps its
               own phase's lattice parameter inside: r = a0 R - Delta u_R + a_sigma (X - R);
               a shared S atom sits at the mean of the positions its cells give it;
* "bulk":      no relaxation, every cell at its own phase's bulk parameter about
               the crystal centre, r = a_sigma X (shared S atoms: mean over their
               cells), the construction of the experiment's Debye simulations
               (core and shell each at its bulk lattice parameter, not relaxed);
* "strained":  every atom follows the displacement field itself,
               r = a0 X - Delta u(X), u(X) the trilinear interpolation of the site
               displacements (linear extrapolation beyond the outermost centres),
               so cells are locally strained and no atom is doubled or split.

With nnn_mismatch "geometric" (the default here) a pure crystal relaxes to
its own lattice parameter exactly (u = -R for all A, +R for all B), so both
relaxed levels reproduce pure PbS at a_A and pure CdS at a_B; "unit" (the
paper's KMC convention) cannot dilate a uniform 3D crystal fully.
"""

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from . import elastic

A_PBS = 5.936       # rocksalt PbS (JCPDS 01-072-4873 / 05-0592), Angstrom
A_CDS_ZB = 5.818    # zincblende CdS (JCPDS 01-075-0581 / 10-0454), Angstrom
LEVELS = ("rigid", "bulk", "displaced", "strained")
CD_SITES = {"tetrahedral": "zincblende", "octahedral": "rocksalt"}

S_BASIS = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
OCTAHEDRAL = np.array([[.5, 0, 0], [0, .5, 0], [0, 0, .5], [.5, .5, .5]])
TETRAHEDRAL = np.array([[.25, .25, .25], [.25, .75, .75], [.75, .25, .75], [.75, .75, .25]])
# the 14 fcc points of a closed cube: corners and face centres
S_CLOSED = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]
                    + [[.5, .5, 0], [.5, .5, 1], [.5, 0, .5], [.5, 1, .5], [0, .5, .5], [1, .5, .5]], float)


class StructureError(Exception):
    pass


class Atoms:
    """Symbols [n] (str), positions [n, 3] (Angstrom), species code [n]
    (0 S, 1 Pb, 2 Cd) and the parameters that built them."""

    SPECIES = ("S", "Pb", "Cd")

    def __init__(self, codes, positions, info=None):
        self.codes = np.asarray(codes, dtype=np.int8)
        self.positions = np.asarray(positions, dtype=float)
        self.info = dict(info or {})

    @property
    def symbols(self):
        return [self.SPECIES[c] for c in self.codes]

    def __len__(self):
        return len(self.codes)

    def counts(self):
        return {s: int(np.sum(self.codes == k)) for k, s in enumerate(self.SPECIES)}

    def to_ase(self):
        import ase
        return ase.Atoms(symbols=self.symbols, positions=self.positions, info=self.info)

    def write_extxyz(self, path):
        """Extended XYZ (ase.io), for other Debye codes (e.g. debyer, DiffPy)."""
        import ase.io
        ase.io.write(path, self.to_ase(), format="extxyz")


class CubeBuilder:
    """Builds the atoms of any configuration sigma of one cube lattice; the
    elastic factorisation is done once and reused along a trajectory."""

    def __init__(self, positions, shell=None, kshell=1.0, cd_site="tetrahedral", a_A=A_PBS, a_B=A_CDS_ZB,
                 level="displaced", a_rigid=None, nnn_mismatch="geometric"):
        if cd_site not in CD_SITES:
            raise StructureError(f"cd_site must be one of {', '.join(CD_SITES)}, got {cd_site!r}")
        if level not in LEVELS:
            raise StructureError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        if not (a_A > 0 and a_B > 0):
            raise StructureError("lattice parameters must be positive")
        self.sites = np.asarray(positions, dtype=float)
        if self.sites.ndim != 2 or self.sites.shape[1] != 3:
            raise StructureError("the XRD mapping needs a 3D (cube) lattice")
        self.cd_site, self.level = cd_site, level
        self.a_A, self.a_B = float(a_A), float(a_B)
        self.a_rigid = float(a_rigid) if a_rigid is not None else self.a_A
        self.elastic = (elastic.CubeElastic(self.sites, shell, kshell, nnn_mismatch)
                        if level in ("displaced", "strained") else None)
        self.nnn_mismatch = nnn_mismatch
        # S sublattice: unique fcc points (keys in half-site units) and the cells touching each.
        corner = self.sites - 0.5
        pts = (corner[:, None, :] + S_CLOSED[None, :, :]).reshape(-1, 3)
        keys = np.rint(2 * pts).astype(np.int64)
        self._s_keys, self._s_inverse = np.unique(keys, axis=0, return_inverse=True)
        self._s_inverse = self._s_inverse.ravel()
        self._s_cell = np.repeat(np.arange(len(self.sites)), len(S_CLOSED))
        self._s_local = np.tile(S_CLOSED, (len(self.sites), 1))
        self._s_count = np.bincount(self._s_inverse).astype(float)
        grid = [np.unique(np.round(self.sites[:, a], 6)) for a in range(3)]
        if len(grid[0]) * len(grid[1]) * len(grid[2]) != len(self.sites):
            raise StructureError("the sites are not a full rectangular simple-cubic grid")
        self._grid = grid
        self._grid_index = tuple(np.searchsorted(grid[a], np.round(self.sites[:, a], 6)) for a in range(3))

    def info(self):
        return {"cd_site": self.cd_site, "cds_structure": CD_SITES[self.cd_site], "level": self.level,
                "a_A": self.a_A, "a_B": self.a_B, "a_rigid": self.a_rigid, "nnn_mismatch": self.nnn_mismatch}

    def atoms(self, sigma):
        sigma = np.asarray(sigma)
        n = len(self.sites)
        if sigma.shape != (n,) or not np.all(np.isin(sigma, (-1, 1))):
            raise StructureError(f"sigma must be {n} values of +1/-1")
        b = sigma < 0
        cat_local = np.where(b[:, None, None], TETRAHEDRAL if self.cd_site == "tetrahedral" else OCTAHEDRAL,
                             OCTAHEDRAL)                                   # [n, 4, 3]
        cat_codes = np.repeat(np.where(b, 2, 1), 4)
        corner = self.sites - 0.5
        cat_X = (corner[:, None, :] + cat_local).reshape(-1, 3)
        s_X = self._s_keys / 2.0
        if self.level == "rigid":
            cat_r, s_r = self.a_rigid * cat_X, self.a_rigid * s_X
        elif self.level == "bulk":
            a_cell = np.where(b, self.a_B, self.a_A)
            cat_r = (a_cell[:, None, None] * (corner[:, None, :] + cat_local)).reshape(-1, 3)
            cand = a_cell[self._s_cell, None] * (corner[self._s_cell] + self._s_local)
            s_r = np.stack([np.bincount(self._s_inverse, cand[:, k]) for k in range(3)], axis=1)
            s_r /= self._s_count[:, None]
        else:
            a0, delta = 0.5 * (self.a_A + self.a_B), 0.5 * (self.a_A - self.a_B)
            u = self.elastic.displacements(sigma.astype(float))
            if self.level == "displaced":
                centre = a0 * self.sites - delta * u
                a_cell = np.where(b, self.a_B, self.a_A)
                cat_r = (centre[:, None, :] + a_cell[:, None, None] * (cat_local - 0.5)).reshape(-1, 3)
                cand = centre[self._s_cell] + a_cell[self._s_cell, None] * (self._s_local - 0.5)
                s_r = np.stack([np.bincount(self._s_inverse, cand[:, k]) for k in range(3)], axis=1)
                s_r /= self._s_count[:, None]
            else:
                field = np.zeros(tuple(len(g) for g in self._grid) + (3,))
                field[self._grid_index] = u
                interp = RegularGridInterpolator(self._grid, field, method="linear", bounds_error=False,
                                                 fill_value=None)
                cat_r = a0 * cat_X - delta * interp(cat_X)
                s_r = a0 * s_X - delta * interp(s_X)
        codes = np.concatenate([np.zeros(len(s_r), np.int8), cat_codes.astype(np.int8)])
        info = self.info()
        info["c"] = float(np.mean(sigma > 0))
        return Atoms(codes, np.vstack([s_r, cat_r]), info)


def cube_sites(L):
    """Site positions of an L x L x L cube (centred, lattice units), as catex stores them."""
    x = np.arange(L) - (L - 1) / 2.0
    g = np.stack(np.meshgrid(x, x, x, indexing="ij"), axis=-1).reshape(-1, 3)
    return g[:, ::-1].copy()
