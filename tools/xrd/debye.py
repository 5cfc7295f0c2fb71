"""Powder intensity by the Debye equation,

    I(Q) = sum_i sum_j f_i(Q) f_j(Q) sin(Q r_ij) / (Q r_ij),
    f_i(Q) = f0_i(Q) exp(-B_i (Q / 4 pi)^2)     (isotropic B factor per species),

from pair-distance histograms per species pair.  Why histograms: the
species-resolved histogram h_ab(r) has to be built once per configuration
(O(n^2) distances, vectorised in blocks); after that every Q point costs
O(bins) instead of O(n^2), and form factors, B factors and the Q grid can
change without touching the atoms.  A 3D L = 12 crystal (13,824 cations and
sulfur atoms, ~1e8 pairs) takes a few seconds per snapshot.

Binning: linear ("cloud-in-cell") assignment of each distance r to the two
nodes k delta, (k+1) delta around it, weights (1 - w, w), w = r / delta - k.
Summing sinc(Q r_k) over the nodes is then exactly the linear interpolation
of sinc(Q r) between nodes, whose error per pair is at most
delta^2 / 8 * max |d^2/dr^2 sinc(Q r)| = (Q delta)^2 / 24 (|sinc''| <= 1/3).
So |I_hist(Q) - I_exact(Q)| <= (Q delta)^2 / 24 * sum_{i != j} |f_i f_j|,
with the default delta = 0.004 A and Q <= 4 A^-1 at most 1.1e-5 of the pair
sum: far below the (111), (200), (220) peak heights (tested against the
direct double sum, `error_bound`).
"""

import numpy as np
from scipy.ndimage import gaussian_filter1d

from . import formfactor as ffm

SPECIES = ("S", "Pb", "Cd")
DEFAULT_BIN = 0.004              # Angstrom
DEFAULT_Q = (1.0, 4.0, 0.002)    # Q_min, Q_max, step (1/Angstrom)
DEFAULT_B = {"S": 0.5, "Pb": 0.5, "Cd": 0.5}   # A^2; room-temperature-like, isotropic


def q_grid(q_min=DEFAULT_Q[0], q_max=DEFAULT_Q[1], step=DEFAULT_Q[2]):
    n = int(round((q_max - q_min) / step)) + 1
    return q_min + step * np.arange(n)


def _pair_index(ns):
    """Index of the unordered species pair (a <= b) in a symmetric ns x ns table."""
    idx = -np.ones((ns, ns), dtype=np.int64)
    k = 0
    for a in range(ns):
        for b in range(a, ns):
            idx[a, b] = idx[b, a] = k
            k += 1
    return idx, k


class Histogram:
    """Species counts and unordered-pair distance histograms of one set of atoms."""

    def __init__(self, counts, hist, delta, ns, sum_w=None):
        self.counts, self.hist, self.delta, self.ns = counts, hist, delta, ns
        self.sum_w = counts if sum_w is None else sum_w   # sum of weights per species (bound)

    @classmethod
    def of(cls, codes, positions, delta=DEFAULT_BIN, ns=len(SPECIES), block=384, weights=None):
        """weights: optional occupancy per atom (partial occupation, or an
        apodising envelope); a pair counts w_i w_j, an atom's self term w_i^2."""
        codes = np.asarray(codes, dtype=np.int64)
        pos = np.asarray(positions, dtype=float)
        n = len(codes)
        occ = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        pidx, npairs = _pair_index(ns)
        extent = np.ptp(pos, axis=0) if n else np.zeros(3)
        nbins = int(np.ceil(np.linalg.norm(extent) / delta)) + 3
        hist = np.zeros(npairs * nbins)
        for s in range(0, n, block):
            e = min(n, s + block)
            d = pos[s:e, None, :] - pos[None, s:, :]                  # [blk, n - s, 3]
            r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
            jj = np.arange(s, n)[None, :]
            ii = np.arange(s, e)[:, None]
            mask = jj > ii
            r = r[mask]
            t = pidx[codes[s:e, None], codes[None, s:]][mask]
            x = r / delta
            k = np.floor(x).astype(np.int64)
            w = x - k
            base = t * nbins + k
            ww = (occ[s:e, None] * occ[None, s:])[mask]
            hist += np.bincount(base, ww * (1.0 - w), minlength=hist.size)
            hist += np.bincount(base + 1, ww * w, minlength=hist.size)
        counts = np.bincount(codes, occ ** 2, minlength=ns).astype(float)
        sum_w = np.bincount(codes, np.abs(occ), minlength=ns).astype(float)
        return cls(counts, hist.reshape(npairs, nbins), delta, ns, sum_w)

    def intensity(self, q, table="waasmaier", b_factors=None, chunk=4096):
        """I(Q) (electron units^2, self terms included) on the grid q."""
        q = np.asarray(q, dtype=float)
        f = self._f(q, table, b_factors)
        pidx, npairs = _pair_index(self.ns)
        nbins = self.hist.shape[1]
        r = self.delta * np.arange(nbins)
        S = np.zeros((len(q), npairs))
        for s in range(0, nbins, chunk):
            e = min(nbins, s + chunk)
            S += np.sinc(np.outer(q, r[s:e]) / np.pi) @ self.hist[:, s:e].T
        out = np.sum(self.counts[None, :] * f ** 2, axis=1)
        for a in range(self.ns):
            for b in range(a, self.ns):
                out += 2.0 * f[:, a] * f[:, b] * S[:, pidx[a, b]]
        return out

    def error_bound(self, q, table="waasmaier", b_factors=None):
        """The bound (Q delta)^2 / 24 * sum_{i != j} |f_i f_j| on |I_hist - I_exact|."""
        q = np.asarray(q, dtype=float)
        f = np.abs(self._f(q, table, b_factors))
        tot = f @ self.sum_w
        pairs = tot ** 2 - np.sum(self.counts[None, :] * f ** 2, axis=1)
        return (q * self.delta) ** 2 / 24.0 * pairs

    def _f(self, q, table, b_factors):
        b = dict(DEFAULT_B)
        b.update(b_factors or {})
        return np.stack([ffm.form_factor(s, q, table) * ffm.debye_waller(b[s], q) for s in SPECIES[:self.ns]],
                        axis=1)


def intensity(atoms, q=None, table="waasmaier", b_factors=None, delta=DEFAULT_BIN):
    """I(Q) of an xrd.structure.Atoms (histogram method)."""
    q = q_grid() if q is None else q
    return Histogram.of(atoms.codes, atoms.positions, delta).intensity(q, table, b_factors)


def intensity_direct(codes, positions, q, table="waasmaier", b_factors=None, weights=None):
    """The Debye double sum over all ordered atom pairs (i = j included);
    O(n^2 nQ): the reference for small crystals."""
    codes = np.asarray(codes, dtype=np.int64)
    pos = np.asarray(positions, dtype=float)
    q = np.asarray(q, dtype=float)
    b = dict(DEFAULT_B)
    b.update(b_factors or {})
    f = np.stack([ffm.form_factor(s, q, table) * ffm.debye_waller(b[s], q) for s in SPECIES], axis=1)
    r = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
    occ = np.ones(len(codes)) if weights is None else np.asarray(weights, dtype=float)
    out = np.zeros(len(q))
    for k, qq in enumerate(q):
        fi = f[k, codes] * occ
        out[k] = fi @ np.sinc(qq * r / np.pi) @ fi
    return out


def instrument(q, intensity_q, fwhm):
    """Convolution with a Gaussian instrument function of this FWHM (1/A) on a uniform grid."""
    if not fwhm:
        return np.asarray(intensity_q, dtype=float)
    step = q[1] - q[0]
    return gaussian_filter1d(np.asarray(intensity_q, dtype=float), fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0))) / step,
                             mode="nearest")


def size_average(patterns, weights):
    """Number-weighted mean of the patterns of crystals of different sizes
    (rows of `patterns`, same Q grid): a powder of a size distribution."""
    p = np.asarray(patterns, dtype=float)
    w = np.asarray(weights, dtype=float)
    if p.ndim != 2 or w.shape != (p.shape[0],) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("size_average: one non-negative weight per pattern, not all zero")
    return (w / w.sum()) @ p
