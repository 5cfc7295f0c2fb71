"""Panel annotations shared by the plot commands: a panel letter in the
corner, and the parameters of the state point a panel shows (kT, dmu, N in
the paper's reduced units), so that a figure read on its own says what was
simulated."""

import string

import numpy as np

import catex_reader as cr


def letter(ax, k, threed=False):
    """(a), (b), ... in the upper-left corner of panel k."""
    text = f"({string.ascii_lowercase[k % 26]})"
    if threed:
        ax.text2D(0.01, 0.98, text, transform=ax.transAxes, fontsize=10, fontweight="bold", va="top")
    else:
        ax.text(-0.02, 1.02, text, transform=ax.transAxes, fontsize=10, fontweight="bold",
                va="bottom", ha="right")


def _one(study, name):
    try:
        v = np.unique(study.param(name))
    except cr.CatexError:
        return None
    v = v[np.isfinite(v)]
    return float(v[0]) if len(v) == 1 else None


def state(study, with_n=True):
    """'N=721, kT/ε=0.2, Δμ/ε=-20' for a selection with one state point
    (energies in units of eps, else J, else kT, as in the paper); parameters
    that vary within the selection are left out."""
    kT, eps, J, dmu = (_one(study, p) for p in ("kT", "eps", "J", "dmu"))
    parts = []
    if with_n:
        side, shell = _one(study, "side"), _one(study, "shell_layers")
        if side is not None:
            n = int(cr.n_sites(study.lattice, side))
            parts.append(f"$N_{{\\rm core}}$={n}" if shell else f"N={n}")
            if shell:
                parts.append(f"{shell:g} shell layer{'s' if shell != 1 else ''}")
    if eps:
        unit, uname = eps, "\\epsilon"
    elif J:
        unit, uname = J, "J"
    else:
        unit, uname = kT, "k_BT"
    if kT is not None and unit and uname != "k_BT":
        parts.append(f"$k_BT/{uname}$={kT / unit:g}")
    if dmu is not None and unit and dmu != 0:
        parts.append(f"$\\Delta\\mu/{uname}$={dmu / unit:g}")
    ks = _one(study, "kshell")
    if ks is not None and ks != 1:
        parts.append(f"$K_{{\\rm shell}}$={ks:g}")
    return ", ".join(parts)
