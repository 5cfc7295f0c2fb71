"""Minimum-energy displacements u = (1/2) D^+ C sigma of a catex cube.

The bonds are rebuilt from the site positions a catex file stores
(/studies/<name>/lattices/<side>_<shell>/positions, lattice units a = 1):
every pair at distance 1 (nearest neighbours, the axes) or sqrt 2 (next
nearest, face diagonals) is one bond, stiffness K_shell when both ends are
shell sites, else 1 (docs/model.md, "Elastic operator").  With the bond unit
vector alpha from i to j, stiffness k and mismatch weight m (1 for every bond
under `nnn_mismatch: unit`; the bond length, sqrt 2 for NNN, under
`geometric`), each bond contributes, visited from both ends,

    D: k alpha alpha^T to blocks (i,i), (j,j); -k alpha alpha^T to (i,j), (j,i)
    C: k m alpha to rows of i at columns i and j; -k m alpha to rows of j
    S: k m^2 / 4 to (i,i), (j,j), (i,j), (j,i)

so V = 4 S - C^T D^+ C (the engine's operator; tests compare it with
`catex potential`).  D is singular (3 translations, 3 rotations).  D^+ b for
b = C sigma (always orthogonal to the rigid modes) is computed by pinning six
degrees of freedom (all three at a central site p0, y and z at its +x
neighbour, z at its +y neighbour), which makes the reduced matrix
non-singular for a connected crystal; the sparse LU factor is kept and reused
for every configuration; the rigid-mode part of the pinned solution is then
projected out, which leaves exactly the minimum-norm solution D^+ b.
"""

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.spatial import cKDTree


class ElasticError(Exception):
    pass


def cube_bonds(positions, shell=None, kshell=1.0, tol=1e-6):
    """Bonds (i, j, stiffness, length) of a simple-cubic site set: NN (length
    1) and NNN (length sqrt 2) pairs found from the positions."""
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ElasticError(f"cube positions must be N x 3, got {pos.shape}")
    pairs = np.array(sorted(cKDTree(pos).query_pairs(np.sqrt(2.0) + tol)), dtype=np.int64).reshape(-1, 2)
    d = np.linalg.norm(pos[pairs[:, 1]] - pos[pairs[:, 0]], axis=1)
    keep = (np.abs(d - 1.0) < tol) | (np.abs(d - np.sqrt(2.0)) < tol)
    pairs, d = pairs[keep], d[keep]
    k = np.ones(len(pairs))
    if shell is not None:
        sh = np.asarray(shell, dtype=bool)
        k[sh[pairs[:, 0]] & sh[pairs[:, 1]]] = kshell
    return pairs[:, 0], pairs[:, 1], k, d


class CubeElastic:
    """D, C, S of one cube and a reusable solver for u = (1/2) D^+ C sigma."""

    def __init__(self, positions, shell=None, kshell=1.0, nnn_mismatch="geometric"):
        if nnn_mismatch not in ("unit", "geometric"):
            raise ElasticError(f"nnn_mismatch must be 'unit' or 'geometric', got {nnn_mismatch!r}")
        self.positions = np.asarray(positions, dtype=float)
        self.n = n = self.positions.shape[0]
        i, j, k, length = cube_bonds(self.positions, shell, kshell)
        if len(i) == 0:
            raise ElasticError("no bonds found: positions are not a unit simple-cubic lattice")
        self.bonds = (i, j, k, length)
        m = length if nnn_mismatch == "geometric" else np.ones_like(length)
        alpha = (self.positions[j] - self.positions[i]) / length[:, None]

        # D: 3N x 3N from the 3x3 blocks k alpha alpha^T.
        blocks = k[:, None, None] * alpha[:, :, None] * alpha[:, None, :]
        rows, cols, vals = [], [], []
        a_, b_ = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
        for (r, c, sign) in ((i, i, 1.0), (j, j, 1.0), (i, j, -1.0), (j, i, -1.0)):
            rows.append((3 * r[:, None, None] + a_).ravel())
            cols.append((3 * c[:, None, None] + b_).ravel())
            vals.append((sign * blocks).ravel())
        self.D = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(3 * n, 3 * n))
        # C: 3N x N.
        f = (k * m)[:, None] * alpha
        rows, cols, vals = [], [], []
        for (r, sign) in ((i, 1.0), (j, -1.0)):
            for c in (i, j):
                rows.append((3 * r[:, None] + np.arange(3)).ravel())
                cols.append(np.repeat(c, 3))
                vals.append((sign * f).ravel())
        self.C = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(3 * n, n))
        w = k * m * m / 4.0
        self.S = sp.csr_matrix((np.tile(w, 4), (np.concatenate([i, j, i, j]), np.concatenate([i, j, j, i]))),
                               shape=(n, n))
        self._rigid = self._rigid_basis()
        self._pinned, self._free, self._lu = self._factor()

    def _rigid_basis(self):
        """Orthonormal basis [3N, 6] of translations and infinitesimal rotations."""
        n, x = self.n, self.positions - self.positions.mean(axis=0)
        modes = np.zeros((3 * n, 6))
        for a in range(3):
            modes[a::3, a] = 1.0
        for a in range(3):  # rotation about axis a: omega x r
            w = np.zeros(3)
            w[a] = 1.0
            modes[:, 3 + a] = np.cross(w, x).ravel()
        q, _ = np.linalg.qr(modes)
        return q

    def _factor(self):
        x = self.positions
        c = x.mean(axis=0)
        p0 = int(np.argmin(np.linalg.norm(x - c, axis=1)))
        tree = cKDTree(x)

        def neighbour(shift):
            d, idx = tree.query(x[p0] + shift)
            if d > 1e-6:
                raise ElasticError("cannot pin the rigid modes: central site has no +x / +y neighbour")
            return int(idx)

        p1, p2 = neighbour([1.0, 0, 0]), neighbour([0, 1.0, 0])
        pinned = np.array([3 * p0, 3 * p0 + 1, 3 * p0 + 2, 3 * p1 + 1, 3 * p1 + 2, 3 * p2 + 2])
        free = np.setdiff1d(np.arange(3 * self.n), pinned)
        Dr = self.D[free][:, free].tocsc()
        try:
            lu = spla.splu(Dr)
        except RuntimeError as e:
            raise ElasticError(f"pinned D is singular ({e}): is the crystal connected?") from None
        return pinned, free, lu

    def pseudo_solve(self, b):
        """D^+ b for b orthogonal to the rigid modes (columns of a 2D b solved at once)."""
        b = np.asarray(b, dtype=float)
        x = np.zeros_like(b)
        x[self._free] = self._lu.solve(b[self._free])
        return x - self._rigid @ (self._rigid.T @ x)

    def displacements(self, sigma):
        """u = (1/2) D^+ C sigma as an [N, 3] array (units of the mismatch:
        the physical displacement is -Delta u with Delta = (a_A - a_B) / 2)."""
        sigma = np.asarray(sigma, dtype=float)
        u = 0.5 * self.pseudo_solve(self.C @ sigma)
        return u.reshape(self.n, 3) if sigma.ndim == 1 else u.reshape(self.n, 3, -1)

    def potential(self, project=True):
        """V = 4 S - C^T D^+ C (dense; small lattices only), and V_eff = P V P."""
        X = self.pseudo_solve(self.C.toarray())
        V = 4.0 * self.S.toarray() - self.C.T @ X
        V = 0.5 * (V + V.T)
        if project:
            P = np.eye(self.n) - 1.0 / self.n
            V = P @ V @ P
        return V
