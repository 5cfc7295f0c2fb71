"""Shared pieces of the plot commands: colours, argument parsing, selection
of studies from the command line, and saving.

Colours follow the paper: species A (original cation, sigma = +1) blue,
species B (incoming, sigma = -1) red.  Phase colours run from A-rich to
B-rich (U1 blue, S1 green, S2 orange, U2 red) with unclassified grey, the
same in every figure so that a snapshot and a fraction plot read together.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # headless: the tools only ever write files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import catex_reader as cr  # noqa: E402

SPECIES_COLORS = {+1: "#2f64c8", -1: "#d23c32"}   # A blue, B red
PHASE_COLORS = {"U1": "#1f4fa8", "S1": "#2ca02c", "S2": "#ff9f1c", "U2": "#c0392b",
                "unclassified": "#9a9a9a", "fU": "#6a3d9a"}
PHASE_LABELS = {"U1": "$U_1$", "S1": "$S_1$", "S2": "$S_2$", "U2": "$U_2$",
                "unclassified": "unclassified", "fU": "$f_U$"}
PARAM_LABELS = {"kshell": "$K_{\\rm shell}$", "shell_layers": "shell thickness (layers)",
                "side": "core side", "kT": "$k_BT$", "eps": "$\\epsilon$", "J": "$J$",
                "dmu": "$\\Delta\\mu$", "composition": "core composition $c$", "t_max": "$t_{\\max}$"}


class UsageError(Exception):
    """A command-line request that cannot be honoured (printed without a
    traceback by catexplot)."""


def warn(msg):
    print(f"catexplot: warning: {msg}", file=sys.stderr)


def add_io_args(p, study_help="study to plot (repeatable); default: every suitable study",
                output_default=None):
    p.add_argument("file", metavar="FILE", help="catex HDF5 output file")
    p.add_argument("--study", "-s", action="append", metavar="NAME", help=study_help)
    p.add_argument("--where", "-w", action="append", metavar="PARAM=VALUE", default=[],
                   help="keep only tasks with this parameter value, e.g. --where kshell=17 "
                        "(repeatable; VALUE may be a comma-separated list)")
    p.add_argument("--all-tasks", action="store_true",
                   help="include pending and failed tasks (their data are NaN); default: done tasks only")
    p.add_argument("-o", "--output", metavar="PNG", default=output_default,
                   help="output image (PNG, PDF, SVG by extension); default: <FILE stem>_<command>.png")
    p.add_argument("--title", help="figure title (default: file and study names)")
    p.add_argument("--dpi", type=int, default=150, help="resolution of raster output (default 150)")


def parse_where(items):
    """['kshell=17', 'side=8,10'] -> {'kshell': [17.0], 'side': [8.0, 10.0]}"""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--where {item!r}: expected PARAM=VALUE")
        k, v = item.split("=", 1)
        k = k.strip()
        if k not in cr.PARAMS and k != "replica":
            raise UsageError(f"--where {item!r}: unknown parameter {k!r}; parameters: {', '.join(cr.PARAMS)}")
        try:
            out[k] = [float(x) for x in v.split(",") if x.strip()]
        except ValueError:
            raise UsageError(f"--where {item!r}: {v!r} is not a number or list of numbers") from None
    return out


def common_lattice(studies):
    """The lattice every study has (None for no studies): sizes of different
    lattices cannot be scaled together."""
    lattices = {s.lattice for s in studies}
    if len(lattices) > 1:
        raise UsageError("studies of different lattices cannot be scaled together")
    return next(iter(lattices), None)


def add_also_arg(p, what):
    """--also FILE (repeatable): the exchange studies of further files, for
    commands that scale over sizes; `what` says what a later file's size does."""
    p.add_argument("--also", action="append", metavar="FILE",
                   help=f"a further file whose exchange studies join the scaling (repeatable); {what}")


def select_also(stack, args, need=None):
    """The exchange studies of every --also file (each opened on the
    contextlib.ExitStack `stack`), with --where and --all-tasks applied."""
    import types
    out = []
    for path in args.also or []:
        g = stack.enter_context(cr.open(path))
        out += select_studies(g, types.SimpleNamespace(study=None, where=args.where, all_tasks=args.all_tasks),
                              ["exchange"], need=need)
    return out


def select_studies(f, args, kinds, need=None):
    """The studies named by --study (all of the given kinds if none), with
    --where applied.  `need` (a dataset name) filters the default choice to
    studies that have it, and is an error for explicitly named ones."""
    status = None if getattr(args, "all_tasks", False) else 1
    names = args.study
    if not names:
        names = [n for n in f.studies if f.study(n, status=None).kind in kinds]
        if need:
            names = [n for n in names if f.study(n, status=None).has(need)]
        if not names:
            raise UsageError(f"{f.path}: no {'/'.join(kinds)} study"
                             f"{' with dataset ' + need if need else ''}; studies: {', '.join(f.studies)}")
    out = []
    where = parse_where(getattr(args, "where", []))
    for n in names:
        s = f.study(n, status=status)
        if s.kind not in kinds:
            raise UsageError(f"study {n!r} is a {s.kind} study; this command needs {' or '.join(kinds)}")
        if need and not s.has(need):
            s.data(need)  # raises the informative CatexError
        if s.n == 0:
            raise UsageError(f"study {n!r} has no done tasks yet (use --all-tasks to plot pending ones)")
        if where:
            s = s.where(**{k: v for k, v in where.items()})
        if need and need in ("dA_rms", "dA2_mean") and not np.any(np.isfinite(s.data(need))):
            raise UsageError(f"study {n!r}: {need} holds no values (area_deviation off, or a 3D study)")
        out.append(s)
    return out


def output_path(args, command):
    if args.output:
        return args.output
    stem = os.path.splitext(os.path.basename(args.file))[0]
    return f"{stem}_{command}.png"


def save(fig, args, command, title=None):
    """Titles, saves and closes a figure; returns the path written."""
    path = output_path(args, command)
    t = args.title if getattr(args, "title", None) else title
    if t:
        fig.suptitle(t, fontsize=10)
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    fig.savefig(path, dpi=args.dpi, bbox_inches="tight")
    plt.close(fig)
    print(path)
    return path


def key_label(names, key):
    """'kshell=17, side=8' for a groupby key."""
    if not names:
        return ""
    vals = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{n}={v:g}" for n, v in zip(names, vals))


def size_label(lattice, side, shell_layers=None):
    n = cr.n_sites(lattice, side)
    what = "side" if lattice == "hexagon" else "L"
    return f"$N_{{\\rm core}}$={n} ({what} {side:g})"


def grid(n, ncols=3, panel=(4.0, 3.2)):
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def default_phases(lattice):
    """Phases worth plotting: 2D has all four; the 3D rule knows only U1/U2."""
    return ["U1", "S1", "S2", "U2"] if lattice == "hexagon" else ["U1", "U2", "unclassified"]


def phase_index(name):
    if name == "fU":
        return None
    try:
        return cr.PHASES.index(name)
    except ValueError:
        raise UsageError(f"unknown phase {name!r}; phases: {', '.join(cr.PHASES)}, fU") from None


def phase_series(f, name):
    """f[..., alpha] for a phase name, or f_U1 + f_U2 for 'fU'."""
    if name == "fU":
        return f[..., 0] + f[..., 3]
    return f[..., phase_index(name)]
