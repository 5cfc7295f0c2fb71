"""XRD observables along stored KMC trajectories of a catex cube study."""

import numpy as np

from . import debye, peaks, structure


class SeriesError(Exception):
    pass


class Settings:
    """Everything that defines a pattern besides the configuration."""

    def __init__(self, level="displaced", a_A=structure.A_PBS, a_B=structure.A_CDS_ZB, a_rigid=None,
                 nnn_mismatch="geometric", table="waasmaier", b_factors=None, q=None,
                 bin_width=debye.DEFAULT_BIN, instrument_fwhm=0.0):
        self.level, self.a_A, self.a_B, self.a_rigid = level, a_A, a_B, a_rigid
        self.nnn_mismatch, self.table = nnn_mismatch, table
        self.b_factors = dict(debye.DEFAULT_B)
        self.b_factors.update(b_factors or {})
        self.q = debye.q_grid() if q is None else np.asarray(q, float)
        self.bin_width, self.instrument_fwhm = bin_width, instrument_fwhm

    def attrs(self):
        return {"level": self.level, "a_A": self.a_A, "a_B": self.a_B,
                "a_rigid": self.a_A if self.a_rigid is None else self.a_rigid,
                "nnn_mismatch": self.nnn_mismatch, "form_factor_table": self.table,
                "B_S": self.b_factors["S"], "B_Pb": self.b_factors["Pb"], "B_Cd": self.b_factors["Cd"],
                "bin_width": self.bin_width, "instrument_fwhm": self.instrument_fwhm}


def pattern(builder, sigma, settings):
    at = builder.atoms(sigma)
    h = debye.Histogram.of(at.codes, at.positions, settings.bin_width)
    i = h.intensity(settings.q, settings.table, settings.b_factors)
    return at, debye.instrument(settings.q, i, settings.instrument_fwhm)


def _observables(q, i):
    try:
        r = peaks.fit_peaks(q, i)
    except peaks.PeakFitError:
        nan3 = np.full(3, np.nan)
        return nan3, nan3, nan3, np.nan, np.nan
    pos = np.array([r[h][0] for h in peaks.HKL])
    fwhm = np.array([r[h][1] for h in peaks.HKL])
    area = np.array([r[h][2] for h in peaks.HKL])
    return pos, fwhm, area, r["ratio_111_200"], r["rms"]


def trajectory_series(study, rows, cd_site, settings, include_start=True, progress=None, xyz=None):
    """Patterns and peak observables of the snapshots of the selected rows
    (tasks) of a kmc cube study, for one CdS structure.  The pristine crystal
    (t = 0, all A) is prepended when include_start.  Returns a dict of arrays
    [ntraj, nsnap(, ...)] plus the pure-A and pure-B references."""
    if study.lattice != "cube":
        raise SeriesError(f"study {study.name!r}: the XRD mapping needs a cube lattice, not {study.lattice!r}")
    if not study.has("snapshots"):
        raise SeriesError(f"study {study.name!r} stores no snapshots (job key `snapshots`)")
    out = None
    builders = {}
    kshell = study.param("kshell")
    for t_i, row in enumerate(rows):
        times, sig, lat = study.snapshots(row)
        if include_start:
            times = np.concatenate([[0.0], times])
            sig = np.vstack([np.ones((1, lat.n), int), sig])
        key = (lat.side, lat.shell_layers, float(kshell[row]))
        if key not in builders:
            builders[key] = structure.CubeBuilder(lat.positions, lat.shell, kshell[row], cd_site, settings.a_A,
                                                  settings.a_B, settings.level, settings.a_rigid,
                                                  settings.nnn_mismatch)
        b = builders[key]
        if out is None:
            ns, nq = len(times), len(settings.q)
            shape = (len(rows), ns)
            out = {"time": np.full(shape, np.nan), "c": np.full(shape, np.nan),
                   "intensity": np.full(shape + (nq,), np.nan), "peak_position": np.full(shape + (3,), np.nan),
                   "peak_fwhm": np.full(shape + (3,), np.nan), "peak_area": np.full(shape + (3,), np.nan),
                   "ratio_111_200": np.full(shape, np.nan), "fit_rms": np.full(shape, np.nan),
                   "task": np.asarray(study.task_ids)[np.asarray(rows, dtype=int)]}
            ref_i, ref = [], []
            for s in (+1, -1):
                _, i = pattern(b, np.full(lat.n, s), settings)
                ref_i.append(i)
                ref.append(_observables(settings.q, i))
            out["reference_intensity"] = np.array(ref_i)
            out["reference_peak_position"] = np.array([r[0] for r in ref])
            out["reference_peak_area"] = np.array([r[2] for r in ref])
            out["reference_ratio_111_200"] = np.array([r[3] for r in ref])
        for k in range(min(len(times), out["time"].shape[1])):
            at, i = pattern(b, sig[k], settings)
            if xyz is not None:
                at.info.update(time=float(times[k]), task=int(out["task"][t_i]))
                at.write_extxyz(xyz(out["task"][t_i], k))
            pos, fwhm, area, ratio, rms = _observables(settings.q, i)
            out["time"][t_i, k], out["c"][t_i, k] = times[k], np.mean(sig[k] > 0)
            out["intensity"][t_i, k] = i
            out["peak_position"][t_i, k], out["peak_fwhm"][t_i, k], out["peak_area"][t_i, k] = pos, fwhm, area
            out["ratio_111_200"][t_i, k], out["fit_rms"][t_i, k] = ratio, rms
            if progress:
                progress(t_i, k, len(times))
    if out is None:
        raise SeriesError(f"study {study.name!r}: no trajectory selected")
    return out
