"""Replica-exchange ladders: did they mix, and where should the rungs go.

  catexplot exchange FILE      swap acceptance per pair, round trips per
                               configuration, f_U histograms per rung and the
                               permutation trace, with the mixing verdict
  catexplot place-rungs FILE   a new ladder with about uniform swap acceptance
                               from a pilot run, printed as a YAML `kshell:` list

Mixing verdict (mixing_verdict): a ladder has mixed when every neighbouring
pair accepts swaps (acceptance >= min_acceptance, default 0.05: below that
fewer than one swap in twenty across the pair succeeds, the pair is a
bottleneck and the two halves of the ladder exchange configurations only
rarely) AND its configurations travel the
whole ladder: mean completed round trips (lowest -> highest -> lowest rung)
per configuration >= min_round_trips (default 3; one round trip is a single
decorrelation of a configuration, so a mean of one or two says the rungs'
averages rest on a handful of independent visits).  Unfilled counters (-1,
task not done) make the verdict "unknown", never "mixed".

Rung placement (place_rungs): for a swap whose energy change is Gaussian
(detailed balance then fixes its variance to twice its mean mu), the
acceptance is a = erfc(sqrt(mu) / 2), and sqrt(mu) grows linearly with the
rung spacing for close rungs.  So d_k = 2 erfcinv(a_k) is an additive
"distance" across pair k.  The profile Lambda(K), piecewise linear through
the pilot rungs with increments d_k, is inverted so that the new rungs are
equally spaced in Lambda: every new pair then has the same predicted
acceptance erfc(Lambda_total / (2 (n_new - 1))).  This is one step of the
usual feedback iteration: run a short pilot with the new ladder and place
again until the acceptances are flat.  Acceptances of exactly 0 or 1 carry
no distance information; they are clipped to [0.5 / attempts, 1 - 0.5 /
attempts] and reported.
"""

import sys
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import erfc, erfcinv

import catex_reader as cr
from figures import common as cm

#: Defaults of the mixing verdict (see the module docstring).
MIN_ACCEPTANCE = 0.05
MIN_ROUND_TRIPS = 3.0


@dataclass
class Verdict:
    """Mixing verdict of one ladder (or a state point's ladders)."""
    mixed: bool
    known: bool
    reasons: list = field(default_factory=list)
    min_acceptance: float = np.nan
    worst_pair: int = -1
    mean_round_trips: float = np.nan
    min_round_trips: float = np.nan

    def __str__(self):
        if not self.known:
            return "mixing unknown: " + "; ".join(self.reasons)
        if self.mixed:
            return (f"mixed (round trips per configuration {self.mean_round_trips:.3g} on average, "
                    f"lowest swap acceptance {self.min_acceptance:.3g} at pair {self.worst_pair})")
        return "DID NOT MIX: " + "; ".join(self.reasons)


def mixing_verdict(swap_acceptance, round_trips, kshell=None, min_acceptance=MIN_ACCEPTANCE,
                   min_round_trips=MIN_ROUND_TRIPS):
    """Verdict for one ladder: swap_acceptance [np], round_trips [nr]
    (-1 or NaN = not filled), kshell [nr] only for the messages."""
    acc = np.asarray(swap_acceptance, dtype=float)
    rt = np.asarray(round_trips, dtype=float)
    v = Verdict(mixed=False, known=True)
    if acc.size == 0 or not np.all(np.isfinite(acc)) or rt.size == 0 or np.any(~np.isfinite(rt) | (rt < 0)):
        v.known = False
        v.reasons.append("swap acceptance or round-trip counters not filled (task not done?)")
        return v
    v.worst_pair = int(np.argmin(acc))
    v.min_acceptance = float(acc[v.worst_pair])
    v.mean_round_trips = float(rt.mean())
    v.min_round_trips = float(rt.min())
    if v.min_acceptance < min_acceptance:
        where = (f" (K_shell {kshell[v.worst_pair]:g} - {kshell[v.worst_pair + 1]:g})"
                 if kshell is not None else "")
        v.reasons.append(f"pair {v.worst_pair}{where} accepts {v.min_acceptance:.3g} of its swaps "
                         f"(< {min_acceptance:g}): add rungs there (catexplot place-rungs)")
    if v.mean_round_trips < min_round_trips:
        v.reasons.append(f"{v.mean_round_trips:.3g} round trips per configuration on average "
                         f"(< {min_round_trips:g}): run longer or place the rungs better")
    v.mixed = not v.reasons
    return v


def study_verdicts(study, **kw):
    """[Verdict] for each selected ladder of an exchange study."""
    acc = np.asarray(study.data("swap_acceptance"), dtype=float)
    rt = np.asarray(study.data("round_trips"), dtype=float)
    k = study.rungs()
    return [mixing_verdict(acc[i], rt[i], k[i], **kw) for i in range(study.n)]


def combined_verdict(verdicts):
    """One verdict for a state point: mixed only if every ladder mixed."""
    if not verdicts:
        return Verdict(False, False, ["no ladders"])
    bad = [(i, v) for i, v in enumerate(verdicts) if not (v.known and v.mixed)]
    out = Verdict(mixed=not bad, known=all(v.known for v in verdicts))
    out.min_acceptance = float(np.nanmin([v.min_acceptance for v in verdicts]))
    out.mean_round_trips = float(np.nanmean([v.mean_round_trips for v in verdicts]))
    out.min_round_trips = float(np.nanmin([v.min_round_trips for v in verdicts]))
    out.worst_pair = verdicts[int(np.nanargmin([v.min_acceptance for v in verdicts]))].worst_pair
    for i, v in bad:
        out.reasons.append(f"ladder {i}: " + "; ".join(v.reasons))
    return out


# -- rung placement -----------------------------------------------------------

def swap_distance(acceptance, attempts=None):
    """d = 2 erfcinv(a) per pair, with a clipped away from 0 and 1 (see the
    module docstring).  Returns (d, clipped mask)."""
    a = np.asarray(acceptance, dtype=float)
    if attempts is None:
        eps = np.full_like(a, 1e-4)
    else:
        eps = 0.5 / np.maximum(np.asarray(attempts, dtype=float), 1.0)
    lo, hi = eps, 1 - eps
    clipped = (a < lo) | (a > hi)
    return 2 * erfcinv(np.clip(a, lo, hi)), clipped


def place_rungs(kshell, acceptance, n_new=None, target=None, attempts=None):
    """New ladder from a pilot: (new kshell [n_new], predicted acceptance per
    new pair, clipped mask of the pilot pairs).  n_new: number of rungs
    (default: as many as the pilot); target: a wanted acceptance instead,
    which sets n_new.  The ends of the ladder stay where they are."""
    k = np.asarray(kshell, dtype=float)
    d, clipped = swap_distance(acceptance, attempts)
    lam = np.concatenate([[0.0], np.cumsum(d)])
    total = lam[-1]
    if target is not None:
        if not 0 < target < 1:
            raise cm.UsageError(f"--target-acceptance {target}: must lie strictly between 0 and 1")
        n_new = int(np.ceil(total / (2 * erfcinv(target)))) + 1
    n_new = len(k) if n_new is None else int(n_new)
    if n_new < 2:
        raise cm.UsageError("a ladder needs at least 2 rungs")
    new = np.interp(np.linspace(0.0, total, n_new), lam, k)
    new[0], new[-1] = k[0], k[-1]
    pred = erfc(np.full(n_new - 1, total / (n_new - 1)) / 2)
    return new, pred, clipped


def cmd_place_rungs(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["exchange"], need="swap_acceptance")
        for s in studies:
            for key, g in _state_points(s):
                k = g.ladder()
                acc = g.rung_aggregate("swap_acceptance").mean
                att = np.sum(np.asarray(g.data("swap_attempts"), dtype=float), axis=0) \
                    if g.has("swap_attempts") else None
                if att is not None and np.any(att < 0):
                    att = None
                new, pred, clipped = place_rungs(k, acc, args.rungs, args.target_acceptance, att)
                label = f"{s.name}" + (f" ({key})" if key else "")
                print(f"# {label}: pilot of {len(k)} rungs, {g.n} ladder(s); swap acceptance per pair "
                      f"{np.round(acc, 3).tolist()}")
                if np.any(clipped):
                    print(f"# pairs {np.nonzero(clipped)[0].tolist()} accepted (almost) all or no swaps: "
                          "their distance is a bound only; iterate with a new pilot")
                print(f"# proposed: {len(new)} rungs, predicted acceptance {pred[0]:.3f} for every pair "
                      "(one feedback step: run a pilot with it and place again)")
                print("kshell: [" + ", ".join(f"{v:.{args.digits}f}" for v in new) + "]")
    return None


# -- the exchange figure --------------------------------------------------------

def _state_points(s):
    names = [p for p in s.scanned if p != "replica"]
    if not names:
        return [("", s)]
    return [(cm.key_label(names, k), g) for k, g in s.groupby(*names)]


def _panel_row(axes, s, label, g, verdict, ladder_row):
    k = g.ladder()
    acc = np.asarray(g.data("swap_acceptance"), dtype=float)
    mid = 0.5 * (k[:-1] + k[1:])
    ax = axes[0]
    for i in range(g.n):
        ax.plot(mid, acc[i], marker="o", ms=3, lw=1, alpha=0.8, label=f"ladder {i}" if g.n <= 6 else None)
    ax.axhline(MIN_ACCEPTANCE, color="#b00000", ls=":", lw=1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("pair midpoint " + cm.PARAM_LABELS["kshell"])
    ax.set_ylabel("swap acceptance")
    ax.set_title(f"{label}: swaps per pair", fontsize=9)
    if g.n <= 6:
        ax.legend(fontsize=6, frameon=False)

    ax = axes[1]
    rt = np.asarray(g.data("round_trips"), dtype=float)
    nr = rt.shape[1]
    width = 0.8 / g.n
    for i in range(g.n):
        ax.bar(np.arange(nr) + (i - (g.n - 1) / 2) * width, np.where(rt[i] >= 0, rt[i], 0), width=width)
    ax.axhline(MIN_ROUND_TRIPS, color="#b00000", ls=":", lw=1)
    ax.set_xlabel("configuration (starting rung)")
    ax.set_ylabel("round trips")
    ax.set_title(f"round trips per configuration: {verdict.mean_round_trips:.3g} mean", fontsize=9)

    ax = axes[2]
    h = np.asarray(g.data("fU_hist"), dtype=float)
    h = np.where(h >= 0, h, 0).sum(axis=0)
    edges = g.hist_edges()
    centres = 0.5 * (edges[:-1] + edges[1:])
    # each rung scaled to its own maximum: a second (smaller) phase peak stays visible next to a tall one
    dens = h / np.diff(edges)[None, :]
    dens = dens / np.maximum(dens.max(axis=1, keepdims=True), 1e-300)
    # one row per rung (rows drawn at their K_shell order, labelled by value)
    im = ax.imshow(dens, aspect="auto", origin="lower", cmap="magma_r", interpolation="nearest",
                   extent=(edges[0], edges[-1], -0.5, nr - 0.5))
    ticks = np.unique(np.linspace(0, nr - 1, min(nr, 6)).round().astype(int))
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{k[t]:.4g}" for t in ticks])
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="density / its maximum on the rung")
    ax.set_xlabel("$f_U$")
    ax.set_ylabel("rung " + cm.PARAM_LABELS["kshell"])
    ax.set_title("$f_U$ histogram per rung (two stripes on a rung: both phases)", fontsize=9)

    ax = axes[3]
    if g.has("permutation"):
        perm = np.asarray(g.data("permutation"))[ladder_row]
        ok = np.all(perm >= 0, axis=1)
        perm = perm[ok]
        stride = g.permutation_stride()
        rung_of = np.argsort(perm, axis=1)   # [sample, configuration] -> rung
        t = (np.arange(len(perm)) + 1) * stride
        cmap = plt.get_cmap("coolwarm")
        for c in sorted({0, nr // 2, nr - 1}):   # three configurations: a full trace is unreadable
            ax.step(t, k[rung_of[:, c]], where="post", lw=0.8, color=cmap(c / max(1, nr - 1)),
                    label=f"started at K={k[c]:.4g}")
        ax.set_xlabel("measured sweeps")
        ax.set_ylabel("rung " + cm.PARAM_LABELS["kshell"])
        ax.set_title(f"rung of three configurations (ladder {ladder_row})", fontsize=9)
        ax.legend(fontsize=6, frameon=False, loc="upper right")
    else:
        ax.text(0.5, 0.5, "no permutation stored", ha="center", transform=ax.transAxes)
    color = "#1a7f37" if verdict.known and verdict.mixed else "#b00000"
    short = "mixed" if verdict.known and verdict.mixed else ("DID NOT MIX" if verdict.known else "mixing unknown")
    axes[0].set_title(f"{label}: swaps per pair: {short}", fontsize=9, color=color)


def cmd_exchange(args):
    with cr.open(args.file) as f:
        studies = cm.select_studies(f, args, ["exchange"], need="swap_acceptance")
        rows = []
        for s in studies:
            for key, g in _state_points(s):
                v = combined_verdict(study_verdicts(g, min_acceptance=args.min_acceptance,
                                                   min_round_trips=args.min_round_trips))
                label = s.name + (f" ({key})" if key else "")
                print(f"{label}: {g.n} ladder(s) of {len(g.ladder())} rungs: {v}")
                rows.append((s, label, g, v))
        if len(rows) > args.max_rows:
            cm.warn(f"drawing the first {args.max_rows} of {len(rows)} state points (select with --where "
                    "or --study, or raise --max-rows)")
            rows = rows[:args.max_rows]
        fig, axes = plt.subplots(len(rows), 4, figsize=(17, 3.6 * len(rows)), squeeze=False,
                                 layout="constrained")
        for ax_row, (s, label, g, v) in zip(axes, rows):
            _panel_row(ax_row, s, label, g, v, min(args.ladder, g.n - 1))
        return cm.save(fig, args, "exchange", title=f"{f.path}: replica-exchange ladders")


def register(sub):
    import argparse
    p = sub.add_parser("exchange", help="did the replica-exchange ladders mix? (swaps, round trips, "
                                        "f_U histograms, permutation trace)",
                       description=__doc__.split("\n\n")[0] + "\n\nPrints the mixing verdict of every "
                       "state point and draws one row of panels per state point.\n\n"
                       + __doc__.split("\n\n")[2],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    cm.add_io_args(p, study_help="exchange studies (repeatable); default: every exchange study")
    p.add_argument("--ladder", type=int, default=0, help="ladder whose permutation trace is drawn (default 0)")
    p.add_argument("--min-acceptance", type=float, default=MIN_ACCEPTANCE,
                   help=f"smallest swap acceptance of a mixed ladder (default {MIN_ACCEPTANCE})")
    p.add_argument("--min-round-trips", type=float, default=MIN_ROUND_TRIPS,
                   help=f"fewest mean round trips per configuration of a mixed ladder (default {MIN_ROUND_TRIPS:g})")
    p.add_argument("--max-rows", type=int, default=6, help="state points drawn (default 6)")
    p.set_defaults(func=cmd_exchange)

    p = sub.add_parser("place-rungs", help="propose a ladder with uniform swap acceptance from a pilot run",
                       description="Reads the swap acceptance per pair of a pilot exchange run and prints, "
                                   "per state point, a YAML `kshell:` list with about uniform acceptance.\n\n"
                                   + __doc__.split("\n\n")[3],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="catex HDF5 output file of the pilot run")
    p.add_argument("--study", "-s", action="append", metavar="NAME",
                   help="exchange studies (repeatable); default: every exchange study")
    p.add_argument("--where", "-w", action="append", metavar="PARAM=VALUE", default=[],
                   help="keep only tasks with this parameter value, e.g. --where side=16")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rungs", type=int, help="number of rungs of the new ladder (default: as the pilot)")
    g.add_argument("--target-acceptance", type=float, metavar="A",
                   help="choose the number of rungs so that every pair accepts about A of its swaps")
    p.add_argument("--digits", type=int, default=4, help="decimals printed (default 4)")
    p.set_defaults(func=cmd_place_rungs)
