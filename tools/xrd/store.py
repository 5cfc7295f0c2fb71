"""The companion HDF5 file of XRD observables.

Why a companion file and not a group inside the catex file: the engine
creates its file complete and `--resume` checks it (job text, task count,
dataset shapes); writing analysis results into it would make the engine's
record depend on post-processing and could be lost or clash on a re-run.
The companion file names its source (path, job name and the SHA-256 of the
job text), so a stale companion is detected (`check_source`).

Layout:
    /                                attrs: format "catex-xrd", format_version 1,
                                            source_file, source_job_name, source_job_sha256
    /<study>/<structure>_<level>/    attrs: cd_site, structure (zincblende|rocksalt) and the Settings
        q                  [nq]              1/Angstrom
        task               [ntraj]           task ids in the source file
        time, c            [ntraj, nsnap]    snapshot time (t = 0: pristine), composition c
        intensity          [ntraj, nsnap, nq]
        peak_position, peak_fwhm, peak_area  [ntraj, nsnap, 3]   (111), (200), (220)
        ratio_111_200, fit_rms               [ntraj, nsnap]
        reference_intensity [2, nq], reference_peak_position [2, 3], reference_peak_area [2, 3],
        reference_ratio_111_200 [2]          pure A (PbS) and pure B (CdS) crystals of the same lattice
"""

import hashlib
import os

import h5py
import numpy as np

FORMAT = "catex-xrd"
UNITS = {"q": ("1/Angstrom", "momentum transfer Q = 4 pi sin(theta) / lambda"),
         "task": ("", "task id in the source catex file"),
         "time": ("1/k_diff0", "snapshot time (0 = pristine crystal)"),
         "c": ("", "composition c (fraction of A sites); conversion X = 1 - c"),
         "intensity": ("electrons^2", "Debye-equation powder intensity I(Q)"),
         "peak_position": ("1/Angstrom", "fitted centre of (111), (200), (220)"),
         "peak_fwhm": ("1/Angstrom", "fitted FWHM of (111), (200), (220)"),
         "peak_area": ("electrons^2/Angstrom", "integrated intensity of (111), (200), (220)"),
         "ratio_111_200": ("", "I111 / I200 (integrated intensities)"),
         "fit_rms": ("", "rms residual of the peak fit relative to the maximum"),
         "reference_intensity": ("electrons^2", "I(Q) of the pure A and pure B crystals"),
         "reference_peak_position": ("1/Angstrom", "peak centres of the pure A and pure B crystals"),
         "reference_peak_area": ("electrons^2/Angstrom", "integrated intensities of the pure crystals"),
         "reference_ratio_111_200": ("", "I111 / I200 of the pure A and pure B crystals")}


class StoreError(Exception):
    pass


def job_sha256(catex_file):
    text = catex_file.job.get("text", "")
    return hashlib.sha256(str(text).encode()).hexdigest()


def group_name(study, structure_name, level):
    return f"{study}/{structure_name}_{level}"


def write(path, catex_file, study, structure_name, cd_site, settings, series, force=False):
    """Add one series group; an existing group is replaced only with force."""
    mode = "a" if os.path.exists(path) else "w"
    with h5py.File(path, mode) as f:
        sha = job_sha256(catex_file)
        if mode == "a":
            if f.attrs.get("format") != FORMAT:
                raise StoreError(f"{path}: exists and is not a catex-xrd file")
            if f.attrs.get("source_job_sha256") != sha and not force:
                raise StoreError(f"{path}: belongs to another job (source {f.attrs.get('source_file')}); "
                                 "use another --store or --force")
        f.attrs.update(format=FORMAT, format_version=1, source_file=os.path.abspath(catex_file.path),
                       source_job_name=str(catex_file.job.get("name", "")), source_job_sha256=sha)
        name = group_name(study, structure_name, settings.level)
        if name in f:
            if not force:
                raise StoreError(f"{path}: group /{name} exists; use --force to replace it")
            del f[name]
        g = f.create_group(name)
        g.attrs.update(settings.attrs())
        g.attrs.update(cd_site=cd_site, structure=structure_name)
        g.create_dataset("q", data=settings.q)
        for k, v in series.items():
            g.create_dataset(k, data=np.asarray(v), compression="gzip" if k == "intensity" else None)
        for k, (unit, desc) in UNITS.items():
            if k in g:
                g[k].attrs.update(units=unit, description=desc)
    return name


def read(path, study, structure_name, level):
    if not os.path.exists(path):
        raise StoreError(f"{path}: no such file")
    with h5py.File(path, "r") as f:
        name = group_name(study, structure_name, level)
        if name not in f:
            raise StoreError(f"{path}: no group /{name}")
        g = f[name]
        out = {k: g[k][()] for k in g}
        out["attrs"] = dict(g.attrs)
        out["source_job_sha256"] = f.attrs.get("source_job_sha256")
    return out


def check_source(path, catex_file):
    with h5py.File(path, "r") as f:
        return f.attrs.get("source_job_sha256") == job_sha256(catex_file)
