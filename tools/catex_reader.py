"""Read catex HDF5 output into numpy arrays.

The layout is the "Output file" section of README.md. Everything a figure
needs goes through this module, so that the plotting code never touches
h5py paths and so that one place decides which tasks count (by default only
finished ones: a task that is pending or failed holds NaN / fill values that
would silently bias a mean).

    import catex_reader as cr
    with cr.open("run.h5") as f:
        print(f.studies)                      # ['kscan', ...]
        s = f.study("kscan")                  # done tasks only
        s.param("kshell")                     # float64 per task
        for side, g in s.groupby("side"):     # sub-studies, sorted by value
            t = g.aggregate("fU_var", by="kshell", err="fU_var_err")
            t.x, t.mean, t.err, t.n
        s.where(kshell=17).mean("f_mean")     # mean over the selected tasks

Errors (missing file, study, dataset, parameter value) raise CatexError with
a message that lists what *is* there.
"""

import os
from collections import namedtuple

import h5py
import numpy as np

#: Names of the last axis of every `f` dataset (README: attribute `phases`).
PHASES = ("U1", "S1", "S2", "U2", "unclassified")

#: Every per-task parameter the engine records (README "/tasks/<param>").
PARAMS = ("side", "shell_layers", "kshell", "kT", "eps", "J", "dmu", "composition", "t_max")

#: Datasets of a study group that are not per-task data.
_NON_DATA = {"lattices"}


def _is_dimension_scale(d):
    """Coordinate datasets (HDF5 dimension scales: task, sample, phase, ...)
    are axes of the data, not data."""
    cls = d.attrs.get("CLASS")
    return cls is not None and (cls.decode() if isinstance(cls, bytes) else str(cls)) == "DIMENSION_SCALE"

_CACHE_LIMIT = 64 * 2**20  # bytes; larger datasets are read row by row


class CatexError(Exception):
    """A problem with a catex file, or a request it cannot satisfy."""


def n_sites(lattice, side, shell_layers=0):
    """Number of sites of a hexagon / cube with core `side` and a shell.

    docs/model.md: hexagon N = 3 s^2 - 3 s + 1 with s = side + shell_layers;
    cube N = L^3 with L = side + 2 shell_layers.  With shell_layers = 0
    this is N_core, the size axis of the finite-size-scaling plots.
    """
    side = np.asarray(side, dtype=float)
    if lattice == "hexagon":
        s = side + shell_layers
        return (3 * s * s - 3 * s + 1).astype(int) if s.ndim else int(3 * s * s - 3 * s + 1)
    if lattice == "cube":
        s = side + 2 * shell_layers
        return (s**3).astype(int) if s.ndim else int(s**3)
    raise CatexError(f"unknown lattice kind {lattice!r} (expected hexagon or cube)")


def _text(value):
    """HDF5 strings arrive as str, bytes or 0-d arrays depending on how they
    were written (fixed/variable length, C or h5py); normalise to str."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return value if isinstance(value, str) else str(value)


def _text_list(value):
    """A string-list attribute (e.g. `scanned`) as a tuple of str.  Accepts an
    array of strings, a single comma/space separated string, or nothing."""
    if value is None or isinstance(value, h5py.Empty):
        return ()
    if isinstance(value, (bytes, str)) or (isinstance(value, np.ndarray) and value.shape == ()):
        text = _text(value)
        return tuple(t for t in text.replace(",", " ").split() if t)
    return tuple(_text(v) for v in np.asarray(value).ravel() if _text(v))


def _attrs(obj):
    out = {}
    for k in obj.attrs:
        try:
            v = obj.attrs[k]
        except (OSError, TypeError):  # an attribute h5py cannot read (e.g. empty vlen list)
            v = h5py.Empty("f")
        if isinstance(v, h5py.Empty):
            out[k] = ()
        elif isinstance(v, (bytes, str)):
            out[k] = _text(v)
        elif isinstance(v, np.ndarray) and v.dtype.kind in "OSU":
            out[k] = _text_list(v)
        elif isinstance(v, np.ndarray) and v.shape == ():
            out[k] = v[()]
        else:
            out[k] = v
    return out


def open(path):  # noqa: A001  (mirrors the builtin on purpose: cr.open(path))
    """Open a catex output file read-only; use as a context manager."""
    return CatexFile(path)


class CatexFile:
    """A catex HDF5 file: job metadata, the task table, and its studies."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise CatexError(f"{self.path}: no such file")
        try:
            self.h5 = h5py.File(self.path, "r")
        except OSError as e:
            raise CatexError(f"{self.path}: not a readable HDF5 file ({e})") from None
        if "studies" not in self.h5 or "tasks" not in self.h5:
            self.h5.close()
            raise CatexError(f"{self.path}: not a catex output file (no /studies or /tasks group)")
        self.attrs = _attrs(self.h5)
        self.job = _attrs(self.h5["job"]) if "job" in self.h5 else {}
        self._tasks = {}
        self._cache = {}
        # Study order = order of first task (the job file's order), not the
        # alphabetical order in which HDF5 lists groups.
        groups = [(name, g) for name, g in self.h5["studies"].items() if isinstance(g, h5py.Group)]
        groups.sort(key=lambda ng: (int(ng[1].attrs.get("first_task", 0)), ng[0]))
        self.studies = [name for name, _ in groups]

    # -- context manager -------------------------------------------------
    def close(self):
        self.h5.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"CatexFile({self.path!r}, studies={self.studies})"

    # -- the task table ----------------------------------------------------
    @property
    def ntasks(self):
        return int(self.job.get("ntasks", self.h5["tasks/status"].shape[0]))

    def tasks(self, name):
        """A column of /tasks (status, runtime, rank, message, a parameter...)."""
        if name not in self._tasks:
            if name not in self.h5["tasks"]:
                raise CatexError(f"{self.path}: /tasks has no column {name!r}; "
                                 f"columns: {', '.join(sorted(self.h5['tasks']))}")
            data = self.h5["tasks"][name][()]
            if data.dtype.kind in "OS":
                data = np.array([_text(v) for v in data], dtype=object)
            self._tasks[name] = data
        return self._tasks[name]

    def status_counts(self):
        """{'pending': n0, 'done': n1, 'failed': n2} over the whole job."""
        st = self.tasks("status")
        return {"pending": int(np.sum(st == 0)), "done": int(np.sum(st == 1)), "failed": int(np.sum(st == 2))}

    # -- studies -----------------------------------------------------------
    def study(self, name=None, status=1):
        """A study as a `Study`.

        name: study name; may be omitted when the file has exactly one study.
        status: which tasks to keep: 1 (done; the default), a list of status
        codes, or None for every task (pending ones hold NaN).
        """
        if name is None:
            if len(self.studies) != 1:
                raise CatexError(f"{self.path}: {len(self.studies)} studies ({', '.join(self.studies)}); "
                                 "say which one")
            name = self.studies[0]
        if name not in self.studies:
            raise CatexError(f"{self.path}: no study {name!r}; studies: {', '.join(self.studies) or '(none)'}")
        return Study(self, name, status=status)

    def studies_of_kind(self, kind):
        """Names of the studies of one kind ('kmc', 'equilibrium', 'potential')."""
        return [n for n in self.studies if _text(self.h5["studies"][n].attrs.get("kind", "")) == kind]

    def describe(self):
        """A short human-readable summary (what `catexplot info` prints)."""
        lines = [f"{self.path}: job {self.job.get('name', '?')!s}, "
                 f"format {self.attrs.get('format_version', '?')}, catex {self.attrs.get('catex_version', '?')}"]
        c = self.status_counts()
        lines.append(f"tasks: {self.ntasks} ({c['done']} done, {c['pending']} pending, {c['failed']} failed)")
        for n in self.studies:
            s = Study(self, n, status=None)
            done = int(np.sum(s.status == 1))
            scan = ", ".join(f"{p} {_fmt_values(s.values(p))}" for p in s.scanned) or "no scan"
            lines.append(f"  {n}: {s.kind} {s.lattice}, {s.n} tasks ({done} done), "
                         f"replicas {s.replicas}; {scan}")
            data = [d for d in s.datasets()]
            lines.append(f"      datasets: {', '.join(data)}")
        return "\n".join(lines)


def _fmt_values(v):
    v = np.asarray(v)
    if len(v) > 6:
        return f"[{v[0]:g} .. {v[-1]:g}] ({len(v)} values)"
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"


Aggregate = namedtuple("Aggregate", "x mean err n")
Aggregate.__doc__ = """Per-value statistics over replicas (see Study.aggregate).
x: sorted distinct values of the grouping parameter; mean, err: arrays whose
first axis matches x; n: number of tasks behind each value."""


class Lattice:
    """One lattice of a study (for snapshots): positions [N, dim], layer,
    shell and boundary flags, as stored under lattices/<side>_<shell_layers>."""

    def __init__(self, group, kind, side, shell_layers):
        self.kind, self.side, self.shell_layers = kind, side, shell_layers
        self.positions = np.asarray(group["positions"][()], dtype=float)
        if self.positions.ndim == 1:  # tolerate a flat N*dim array
            dim = 2 if kind == "hexagon" else 3
            self.positions = self.positions.reshape(-1, dim)
        self.layer = np.asarray(group["layer"][()], dtype=int) if "layer" in group else None
        self.shell = np.asarray(group["shell"][()], dtype=bool) if "shell" in group else None
        self.boundary = np.asarray(group["boundary"][()], dtype=bool) if "boundary" in group else None

    @property
    def n(self):
        return self.positions.shape[0]

    @property
    def dim(self):
        return self.positions.shape[1]

    def __repr__(self):
        return f"Lattice({self.kind}, side={self.side}, shell_layers={self.shell_layers}, N={self.n})"


class Study:
    """A selection of the tasks of one study, with its data as numpy arrays.

    Every per-task array is indexed by the selection's rows in the study's
    own task order.  `where` and `groupby` return new Study objects that share
    the file's cache, so selecting is cheap.
    """

    def __init__(self, file, name, status=1, rows=None):
        self.file, self.name = file, name
        self.group = file.h5["studies"][name]
        a = _attrs(self.group)
        self.attrs = a
        self.kind = _text(a.get("kind", ""))
        self.lattice = _text(a.get("lattice", ""))
        self.nnn_mismatch = _text(a.get("nnn_mismatch", "unit"))
        self.first_task = int(a.get("first_task", 0))
        self.replicas = int(a.get("replicas", 1))
        self.ntasks_total = int(a.get("ntasks", self._length_from_data()))
        if rows is None:
            rows = np.arange(self.ntasks_total)
            st = self._status_all()
            if status is not None:
                keep = np.isin(st, np.atleast_1d(status))
                rows = rows[keep]
        self.rows = np.asarray(rows, dtype=int)
        self._status = status
        if "scanned" in a:
            self.scanned = tuple(p for p in _text_list(a["scanned"]))
        else:  # derive it: every parameter with more than one value
            self.scanned = tuple(p for p in PARAMS if p in self.group
                                 and len(np.unique(self._column(p))) > 1)

    def _length_from_data(self):
        for p in PARAMS:
            if p in self.group:
                return self.group[p].shape[0]
        raise CatexError(f"{self.file.path}: study {self.name!r} has no ntasks attribute and no parameters")

    def _status_all(self):
        st = self.file.tasks("status")
        return np.asarray(st[self.first_task:self.first_task + self.ntasks_total])

    def _column(self, name):
        """A whole per-task dataset of the study (all tasks), cached."""
        key = (self.name, name)
        if key not in self.file._cache:
            self.file._cache[key] = self.group[name][()]
        return self.file._cache[key]

    def _derived(self, rows):
        return Study(self.file, self.name, status=self._status, rows=rows)

    def __repr__(self):
        return (f"Study({self.name!r}, kind={self.kind}, lattice={self.lattice}, "
                f"{len(self.rows)} of {self.ntasks_total} tasks, scanned={list(self.scanned)})")

    def __len__(self):
        return len(self.rows)

    @property
    def n(self):
        """Number of selected tasks."""
        return len(self.rows)

    @property
    def task_ids(self):
        """Global task ids of the selection (index into /tasks)."""
        return self.first_task + self.rows

    @property
    def status(self):
        return self._status_all()[self.rows]

    @property
    def replica(self):
        if "replica" in self.group:
            return np.asarray(self._column("replica"))[self.rows]
        return np.asarray(self.file.tasks("replica"))[self.task_ids]

    def datasets(self):
        """Names of the study's per-task data sets (parameters excluded)."""
        return [k for k in self.group if k not in _NON_DATA and k not in PARAMS and k != "replica"
                and isinstance(self.group[k], h5py.Dataset) and not _is_dimension_scale(self.group[k])]

    def has(self, name):
        return name in self.group and isinstance(self.group[name], h5py.Dataset)

    # -- parameters --------------------------------------------------------
    def param(self, name):
        """Value of a parameter for every selected task (float64)."""
        if name == "replica":
            return self.replica.astype(float)
        if name not in self.group:
            if name in PARAMS and name in self.file.h5["tasks"]:
                return np.asarray(self.file.tasks(name), dtype=float)[self.task_ids]
            raise CatexError(f"study {self.name!r} has no parameter {name!r}; "
                             f"parameters: {', '.join(p for p in PARAMS if p in self.group)}")
        return np.asarray(self._column(name), dtype=float)[self.rows]

    def values(self, name):
        """Sorted distinct values of a parameter over the selection."""
        return np.unique(self.param(name))

    def n_core(self):
        """N_core for every selected task (sites of the core, docs/model.md)."""
        return n_sites(self.lattice, self.param("side"))

    # -- selection ---------------------------------------------------------
    def where(self, strict=True, **conditions):
        """Tasks whose parameters match, e.g. where(kshell=17, side=24).

        A value may be a number (matched with a relative tolerance of 1e-9,
        because scan values such as 0.1 steps are computed in floating
        point), a list/tuple of numbers (any of them), or a callable taking
        the array of values and returning a mask.  With strict=True (the
        default) an empty result is an error listing the values present.
        """
        mask = np.ones(self.n, dtype=bool)
        for name, want in conditions.items():
            vals = self.param(name)
            if callable(want):
                m = np.asarray(want(vals), dtype=bool)
            else:
                wants = np.atleast_1d(np.asarray(want, dtype=float))
                m = np.zeros(self.n, dtype=bool)
                for w in wants:
                    m |= np.isclose(vals, w, rtol=1e-9, atol=1e-12)
            if strict and not np.any(m & mask):
                raise CatexError(f"study {self.name!r}: no {'done ' if self._status == 1 else ''}task with "
                                 f"{name}={want!r}; values present: {_fmt_values(self.values(name))}")
            mask &= m
        if strict and not np.any(mask):
            raise CatexError(f"study {self.name!r}: no task matches {conditions}")
        return self._derived(self.rows[mask])

    def groupby(self, *names):
        """[(key, Study)] for each distinct value (tuple of values for several
        names) in increasing order; keys are floats."""
        if not names:
            return [((), self)]
        cols = np.column_stack([self.param(n) for n in names]) if self.n else np.zeros((0, len(names)))
        keys = np.unique(cols, axis=0) if self.n else []
        out = []
        for key in keys:
            m = np.all(np.isclose(cols, key, rtol=1e-9, atol=1e-12), axis=1)
            k = float(key[0]) if len(names) == 1 else tuple(float(v) for v in key)
            out.append((k, self._derived(self.rows[m])))
        return out

    # -- data --------------------------------------------------------------
    def data(self, name):
        """A per-task dataset for the selected tasks; first axis = task."""
        if not self.has(name):
            raise CatexError(f"study {self.name!r} ({self.kind}) has no dataset {name!r}; "
                             f"datasets: {', '.join(self.datasets()) or '(none)'}")
        ds = self.group[name]
        if ds.size * ds.dtype.itemsize <= _CACHE_LIMIT:
            return np.asarray(self._column(name))[self.rows]
        if self.n == 0:
            return np.zeros((0,) + ds.shape[1:], dtype=ds.dtype)
        order = np.argsort(self.rows)
        part = ds[np.sort(self.rows).tolist()]
        out = np.empty_like(part)
        out[order] = part
        return out

    __getitem__ = data

    def dataset_attrs(self, name):
        if not self.has(name):
            self.data(name)  # raises the informative error
        return _attrs(self.group[name])

    def phases(self, name="f"):
        """Names of the last axis of an f dataset (its `phases` attribute)."""
        ph = self.dataset_attrs(name).get("phases")
        return tuple(_text_list(ph)) if ph is not None and len(_text_list(ph)) else PHASES

    def mean(self, name, fill=False):
        """Mean over the selected tasks (NaN-aware: samples a task did not
        reach are NaN and are left out).  fill=True forward-fills trailing NaN
        of each task first (see fill_trailing)."""
        return self.mean_sem(name, fill=fill)[0]

    def sem(self, name, fill=False):
        """Standard error of the mean over tasks, std(ddof=1)/sqrt(n), with
        n counting the non-NaN entries; NaN where n < 2."""
        return self.mean_sem(name, fill=fill)[1]

    def mean_sem(self, name, fill=False):
        """(mean, standard error, count) over the selected tasks."""
        x = np.asarray(self.data(name), dtype=float)
        if fill:
            x = fill_trailing(x)
        return mean_sem(x, axis=0)

    def aggregate(self, name, by, err=None):
        """Statistics over replicas of a per-task observable at each value of
        the parameter `by` (e.g. fU_var by kshell).

        mean: average over the tasks at that value.
        err: without `err`, the standard error over those tasks (NaN for a
        single task).  With `err` naming the engine's per-task error dataset
        (e.g. 'fU_var_err', the error of each task's time average), the
        propagated error sqrt(sum err_i^2)/n, or the standard error over
        tasks when that is larger.  Two or three replicas give a very noisy
        standard deviation that is sometimes far too small, so it is never
        trusted alone when the engine's own error exists; taking the larger
        one also catches an engine error that misses correlations.
        """
        groups = self.groupby(by)
        if not groups:
            raise CatexError(f"study {self.name!r}: no done tasks to aggregate")
        use_err = err is not None and self.has(err)
        xs, means, errs, ns = [], [], [], []
        for key, g in groups:
            m, s = combine_replicas(g.data(name), g.data(err) if use_err else None)
            xs.append(key)
            means.append(m)
            errs.append(s)
            ns.append(g.n)
        return Aggregate(np.array(xs), np.array(means), np.array(errs), np.array(ns))

    def time(self):
        """The common observation time grid of a kmc selection.

        Raises if the tasks have different grids (t_max scanned, or state
        points with different automatic t_min): group by state point first."""
        t = np.asarray(self.data("time"), dtype=float)
        if t.shape[0] == 0:
            raise CatexError(f"study {self.name!r}: no tasks selected")
        ref = np.nanmedian(t, axis=0)
        finite = np.isfinite(t)
        if not np.allclose(t[finite], np.broadcast_to(ref, t.shape)[finite], rtol=1e-6, atol=1e-12):
            raise CatexError(f"study {self.name!r}: tasks have different time grids; "
                             "select one state point first (where/groupby)")
        return ref

    # -- lattices and snapshots ------------------------------------------------
    def lattice_names(self):
        return list(self.group["lattices"]) if "lattices" in self.group else []

    def lattice_of(self, side=None, shell_layers=None):
        """The Lattice with this core side and shell (defaults: those of the
        first selected task)."""
        if side is None:
            side = self.param("side")[0]
        if shell_layers is None:
            try:
                shell_layers = self.param("shell_layers")[0]
            except CatexError:
                shell_layers = 0
        key = f"{int(round(side))}_{int(round(shell_layers))}"
        if "lattices" not in self.group or key not in self.group["lattices"]:
            raise CatexError(f"study {self.name!r} has no lattice {key!r}; "
                             f"lattices: {', '.join(self.lattice_names()) or '(none)'}")
        return Lattice(self.group["lattices"][key], self.lattice, side, shell_layers)

    def snapshots(self, row=0):
        """(times [nsnap], sigma [nsnap, N], lattice) of the row-th selected
        task; sigma is trimmed to that task's N (the dataset is padded to the
        largest N of the study).  Snapshots never written (trajectory ended
        first) have a NaN time and are dropped."""
        if self.n == 0:
            raise CatexError(f"study {self.name!r}: no tasks selected")
        sub = self._derived(self.rows[[row]])
        lat = sub.lattice_of()
        sig = np.asarray(sub.data("snapshots"))[0][:, :lat.n].astype(int)
        times = np.asarray(sub.data("snapshot_time"), dtype=float)[0]
        ok = np.isfinite(times) & np.any(sig != 0, axis=1)
        return times[ok], sig[ok], lat


def mean_sem(x, axis=0):
    """(NaN-aware mean, standard error, count) along an axis."""
    x = np.asarray(x, dtype=float)
    cnt = np.sum(np.isfinite(x), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(cnt > 0, np.nansum(x, axis=axis), np.nan)
        m = s / cnt
        dev = np.where(np.isfinite(x), x - np.expand_dims(m, axis), 0.0)
        var = np.sum(dev**2, axis=axis) / (cnt - 1)
        se = np.where(cnt >= 2, np.sqrt(var / cnt), np.nan)
    return m, se, cnt


def combine_replicas(values, errors=None):
    """(mean, error) over axis 0 of independent estimates of one quantity.

    error: the standard error over the estimates; with `errors` (each
    estimate's own standard error) the propagated sqrt(sum err_i^2)/n, or
    the standard error when that is larger (see Study.aggregate for why)."""
    m, se, cnt = mean_sem(values, axis=0)
    if errors is None:
        return m, se
    e = np.asarray(errors, dtype=float)
    with np.errstate(invalid="ignore"):
        prop = np.sqrt(np.nansum(e**2, axis=0)) / np.maximum(np.sum(np.isfinite(e), axis=0), 1)
        prop = np.where(np.any(np.isfinite(e), axis=0), prop, np.nan)
        return m, np.where(np.isfinite(se), np.fmax(se, prop), prop)


def fill_trailing(x):
    """Forward-fill the trailing NaNs of each task along the sample axis (1).

    A KMC trajectory that stops early (no event left, or c <= c_stop) has no
    samples after its end; averaging only the still-running trajectories
    there would bias late-time means toward slow trajectories.  Holding the
    final state is exact when no event is left and a good approximation for
    c_stop = 0 (fully exchanged); the caller decides."""
    x = np.array(x, dtype=float, copy=True)
    if x.ndim < 2 or x.shape[1] == 0:
        return x
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    for i in range(flat.shape[0]):
        for k in range(flat.shape[2]):
            col = flat[i, :, k]
            fin = np.nonzero(np.isfinite(col))[0]
            if len(fin) and fin[-1] < len(col) - 1:
                col[fin[-1] + 1:] = col[fin[-1]]
    return flat.reshape(x.shape)
