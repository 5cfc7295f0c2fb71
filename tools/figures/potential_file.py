"""Files written by `catex potential` (README "Output file", last paragraph):
one lattice, /lattice/{positions, layer, boundary, shell, bonds} and
/potential/V (N x N V_eff), with the parameters and solver statistics as
root attributes.  `catexplot info` describes them too."""

import h5py
import numpy as np


def is_potential_file(path):
    try:
        with h5py.File(path, "r") as f:
            return "potential" in f and "V" in f["potential"] and "lattice" in f
    except OSError:
        return False


def describe(path):
    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        V = f["potential/V"]
        n = V.shape[0]
        v = np.asarray(V[()])
        rows = np.abs(v.sum(axis=1)).max() if n else float("nan")

        def g(k, default="?"):
            x = a.get(k, default)
            return x.decode() if isinstance(x, bytes) else x

        lines = [f"{path}: catex potential file (catex {g('catex_version')})",
                 f"  lattice {g('lattice')}, side {g('side')}, shell_layers {g('shell_layers')}, "
                 f"kshell {g('kshell')}, nnn_mismatch {g('nnn_mismatch')}: N = {n}",
                 f"  V_eff {n} x {n}: max |row sum| {rows:.3g}, symmetric to {np.abs(v - v.T).max():.3g}; "
                 f"V_checksum {g('V_checksum', 'none')}",
                 f"  solver: rigid {g('rigid')}, ksp {g('ksp_type')}, pc {g('pc_type')}, "
                 f"factor {g('factor_solver')}, residual {g('residual')}, {g('solve_seconds')} s",
                 f"  datasets: {', '.join(sorted('lattice/' + k for k in f['lattice']))}, potential/V"]
        return "\n".join(lines)
