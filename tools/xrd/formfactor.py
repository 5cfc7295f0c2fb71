"""Atomic X-ray form factors f0(Q) from Debian-packaged tables (no typed-in
coefficients):

* "waasmaier" (default): the five-Gaussian fits of D. Waasmaier and
  A. Kirfel, Acta Cryst. A51 (1995) 416-431, as shipped with
  python3-periodictable (periodictable/xsf/f0_WaasKirf.dat, read by
  periodictable.cromermann.fxrayatq);
* "xraylib": xraylib's tabulated Rayleigh form factor FF_Rayl(Z, q) with
  q = sin(theta)/lambda = Q / (4 pi) (T. Schoonjans et al., Spectrochim.
  Acta B 66 (2011) 776-784), as a second, independent table.

Neutral atoms; anomalous dispersion (f', f'') is neglected, as in the
experiment's Debye simulations.  Q is in 1/Angstrom.
"""

import numpy as np

TABLES = ("waasmaier", "xraylib")
ATOMIC_NUMBER = {"S": 16, "Cd": 48, "Pb": 82}


def form_factor(symbol, q, table="waasmaier"):
    """f0 of a neutral atom at momentum transfer(s) q (1/Angstrom)."""
    q = np.asarray(q, dtype=float)
    if table == "waasmaier":
        from periodictable import cromermann
        return np.asarray(cromermann.fxrayatq(symbol, q), dtype=float)
    if table == "xraylib":
        import xraylib
        z = ATOMIC_NUMBER.get(symbol) or xraylib.SymbolToAtomicNumber(symbol)
        flat = [xraylib.FF_Rayl(z, float(x) / (4.0 * np.pi)) for x in q.ravel()]
        return np.asarray(flat, dtype=float).reshape(q.shape)
    raise ValueError(f"unknown form-factor table {table!r}; tables: {', '.join(TABLES)}")


def debye_waller(b_factor, q):
    """Amplitude damping exp(-B s^2), s = Q / (4 pi), of an isotropic B (A^2)."""
    return np.exp(-b_factor * (np.asarray(q, dtype=float) / (4.0 * np.pi)) ** 2)
