"""Peak observables of the (111), (200) and (220) reflections.

One joint least-squares fit over Q = 1.55 .. 3.30 A^-1 of three
pseudo-Voigt peaks (position Q0, FWHM, integrated area, Lorentzian fraction
eta) on a linear background, as the experiment fits single peaks per
reflection: where a zincblende shell splits (111) or (200), the single fitted
peak gives its intensity-weighted centre and a larger width, which is what
the experiment reports.  The integrated intensity is the fitted area above
the background; I111/I200 is the ratio of the areas.
"""

import numpy as np
from scipy.optimize import least_squares

HKL = ("111", "200", "220")
HKL_N2 = {"111": 3, "200": 4, "220": 8}
FIT_RANGE = (1.55, 3.30)


def q_bragg(a, hkl):
    """Q_hkl = 2 pi sqrt(h^2 + k^2 + l^2) / a."""
    return 2.0 * np.pi * np.sqrt(HKL_N2[hkl]) / a


def pseudo_voigt(q, q0, fwhm, area, eta):
    g = np.sqrt(4.0 * np.log(2.0) / np.pi) / fwhm * np.exp(-4.0 * np.log(2.0) * ((q - q0) / fwhm) ** 2)
    lo = (2.0 / (np.pi * fwhm)) / (1.0 + 4.0 * ((q - q0) / fwhm) ** 2)
    return area * (eta * lo + (1.0 - eta) * g)


def _model(p, q):
    out = p[0] + p[1] * (q - 2.4)
    for k in range(3):
        out = out + pseudo_voigt(q, *p[2 + 4 * k: 6 + 4 * k])
    return out


class PeakFitError(Exception):
    pass


def fit_peaks(q, intensity, a_lo=5.70, a_hi=6.06):
    """Fit the three peaks.  Windows for the starting positions come from a
    lattice-parameter range a_lo .. a_hi (default: bracketing CdS and PbS).
    Returns dict hkl -> (position, fwhm, area) and 'ratio_111_200', 'rms'
    (relative residual)."""
    q = np.asarray(q, float)
    y = np.asarray(intensity, float)
    m = (q >= FIT_RANGE[0]) & (q <= FIT_RANGE[1])
    qq, yy = q[m], y[m]
    if len(qq) < 50:
        raise PeakFitError("the Q grid does not cover 1.55 .. 3.30 1/A")
    scale = yy.max()
    yy = yy / scale
    bg0 = min(yy[0], yy[-1])
    p0, lo, hi = [bg0, 0.0], [-np.inf, -np.inf], [np.inf, np.inf]
    for hkl in HKL:
        w0, w1 = q_bragg(a_hi, hkl) - 0.06, q_bragg(a_lo, hkl) + 0.06
        sel = (qq >= w0) & (qq <= w1)
        k = np.argmax(yy[sel])
        q0, h = qq[sel][k], yy[sel][k] - bg0
        p0 += [q0, 0.08, max(h, 1e-6) * 0.08 * 1.1, 0.3]
        lo += [w0 - 0.05, 0.004, 0.0, 0.0]
        hi += [w1 + 0.05, 0.6, np.inf, 1.0]
    r = least_squares(lambda p: _model(p, qq) - yy, p0, bounds=(lo, hi), x_scale="jac", max_nfev=4000)
    if not r.success:
        raise PeakFitError(f"peak fit did not converge: {r.message}")
    p = r.x
    out = {}
    for k, hkl in enumerate(HKL):
        q0, fwhm, area, _ = p[2 + 4 * k: 6 + 4 * k]
        out[hkl] = (float(q0), float(fwhm), float(area * scale))
    out["ratio_111_200"] = out["111"][2] / out["200"][2] if out["200"][2] > 0 else np.nan
    out["rms"] = float(np.sqrt(np.mean(r.fun ** 2)))
    return out
