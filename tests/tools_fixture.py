"""Writes a small synthetic catex output file following README "Output file".

The tools' tests need catex-format files without running the engine (which
may not exist yet, and is slow for the sizes a plot needs), with numbers that
are known in advance: the reader must return exactly what is stored, and the
finite-size-scaling analysis must find peaks placed at known positions.

    import tools_fixture
    truth = tools_fixture.write("/tmp/x.h5")   # returns the known peaks etc.

Layout written (all of README's datasets, with `units` / `description`):
  kmc hexagon studies  noninteracting, ising, elastic (3 models, side 4),
                       elastic_snap (side 6, snapshots, t_max scanned? no)
  kmc cube study       cube_kmc (L 3, snapshots)
  equilibrium studies  shell (hexagon side 5, shell_layers 0..4, 2 replicas),
                       kscan (hexagon sides 6, 8, 10, 12; kshell 1..30;
                       3 replicas; Lorentzian Var(f_U) peaks, side 12's
                       peak lies beyond the range on purpose),
                       cube_eq (cube L 3, 1 shell layer, kshell scan)
  potential study      pot (hexagon side 3)
Some tasks are left pending (status 0, NaN data) and one failed (status 2),
so that readers which forget the status filter give wrong numbers.
"""

import numpy as np
import h5py

PHASES = ["U1", "S1", "S2", "U2", "unclassified"]
PARAMS = ["side", "shell_layers", "kshell", "kT", "eps", "J", "dmu", "composition", "t_max"]

# Known peaks of the synthetic Var(f_U)(K_shell) curves of study `kscan`:
# side -> (position, height, half width); baseline added everywhere.
KSCAN_PEAKS = {6: (8.0, 0.020, 3.0), 8: (11.0, 0.035, 2.5), 10: (14.0, 0.050, 2.0),
               12: (40.0, 0.070, 2.0)}
KSCAN_BASELINE = 0.002
KSCAN_REL_NOISE = 0.04   # relative noise of each replica's fU_var


def hexagon(side, shell_layers=0):
    """Positions [N,2], layer, shell, boundary of a hexagon, in the engine's
    site order (axial row r, then column q; src/model/lattice.c)."""
    s = side + shell_layers
    pos, layer = [], []
    for r in range(-(s - 1), s):
        for q in range(-(s - 1), s):
            ring = max(abs(q), abs(r), abs(q + r))
            if ring > s - 1:
                continue
            pos.append((q + 0.5 * r, 0.5 * np.sqrt(3.0) * r))
            layer.append(s - ring)
    layer = np.array(layer, dtype=np.int32)
    return (np.array(pos), layer, (layer <= shell_layers).astype(np.int8),
            (layer == 1).astype(np.int8))


def cube(side, shell_layers=0):
    """Positions [N,3], layer, shell, boundary of a cube (order z, y, x)."""
    L = side + 2 * shell_layers
    c = 0.5 * (L - 1)
    pos, layer = [], []
    for z in range(L):
        for y in range(L):
            for x in range(L):
                pos.append((x - c, y - c, z - c))
                layer.append(1 + min(x, y, z, L - 1 - x, L - 1 - y, L - 1 - z))
    layer = np.array(layer, dtype=np.int32)
    return (np.array(pos), layer, (layer <= shell_layers).astype(np.int8),
            (layer == 1).astype(np.int8))


def lattice(kind, side, shell_layers=0):
    return hexagon(side, shell_layers) if kind == "hexagon" else cube(side, shell_layers)


def _ds(g, name, data, units="1", description=""):
    d = g.create_dataset(name, data=data)
    d.attrs["units"] = units
    d.attrs["description"] = description or name
    return d


def _expand(params, replicas):
    """Cartesian product, last-listed parameter fastest, replica fastest of
    all (README "Scanning")."""
    names = list(params)
    grids = np.meshgrid(*[np.atleast_1d(np.asarray(params[n], dtype=float)) for n in names], indexing="ij")
    combos = np.stack([g.ravel() for g in grids], axis=1)
    rows = np.repeat(combos, replicas, axis=0)
    rep = np.tile(np.arange(replicas), len(combos))
    return {n: rows[:, i] for i, n in enumerate(names)}, rep


class _Job:
    def __init__(self, rng):
        self.rng = rng
        self.studies = []     # (name, attrs, values, replica, data, lattices)
        self.ntasks = 0

    def add(self, name, kind, lattice_kind, params, replicas, make_data, nnn="unit"):
        full = {"side": 4, "shell_layers": 0, "kshell": 1.0, "kT": 1.0, "eps": 0.0, "J": 0.0,
                "dmu": 0.0, "composition": 0.5, "t_max": 100.0}
        full.update(params)
        vals, rep = _expand(full, replicas)
        nt = len(rep)
        scanned = [p for p in PARAMS if np.atleast_1d(full[p]).size > 1]
        attrs = {"kind": kind, "lattice": lattice_kind, "nnn_mismatch": nnn, "scanned": scanned,
                 "first_task": self.ntasks, "ntasks": nt, "replicas": replicas}
        lats = {}
        for side, sl in sorted(set(zip(vals["side"].astype(int), vals["shell_layers"].astype(int)))):
            lats[f"{side}_{sl}"] = lattice(lattice_kind, side, sl)
        data = make_data(vals, rep, lats, self.rng)
        self.studies.append((name, attrs, vals, rep, data, lats))
        self.ntasks += nt


def _kmc_data(model_tau, ns=30, nsnap=0, snap_pattern=False):
    def make(vals, rep, lats, rng):
        nt = len(rep)
        t_max = vals["t_max"]
        time = np.array([np.geomspace(1e-2, tm, ns) for tm in t_max])
        tau = model_tau * (1 + 0.2 * rng.standard_normal(nt))[:, None]
        c = np.exp(-time / tau)
        U2 = 1 - c
        S = 0.3 * np.exp(-((np.log(time) - np.log(tau)) ** 2))
        U1 = np.clip(c - S, 0, 1)
        S1 = 0.6 * S
        S2 = 0.4 * S
        un = np.clip(1 - U1 - S1 - S2 - U2, 0, 1)
        f = np.stack([U1, S1, S2, U2, un], axis=-1)
        f /= f.sum(axis=-1, keepdims=True)
        d = {"time": time, "c": c, "f": f,
             "dA_rms": 0.05 * np.exp(-time / tau) + 0.01,
             "events": rng.integers(100, 10000, size=(nt, 2)).astype(np.int64),
             "t_end": t_max.copy(), "stop_reason": np.ones(nt, dtype=np.int8)}
        nmax = max(len(v[0]) for v in lats.values())
        if nsnap:
            st = np.array([np.geomspace(1.0, tm, nsnap) for tm in t_max])
            snaps = np.zeros((nt, nsnap, nmax), dtype=np.int8)
            for i in range(nt):
                key = f"{int(vals['side'][i])}_{int(vals['shell_layers'][i])}"
                pos, layer = lats[key][0], lats[key][1]
                n = len(pos)
                for k in range(nsnap):
                    sig = np.where(layer <= 1 + k, -1, 1)
                    if snap_pattern and pos.shape[1] == 2:
                        # a sqrt3 x sqrt3 superlattice in the upper half: S1/S2 labels appear
                        a = np.round(pos[:, 0] - pos[:, 1] / np.sqrt(3)).astype(int)
                        b = np.round(2 * pos[:, 1] / np.sqrt(3)).astype(int)
                        sub = (a - b) % 3
                        sup = np.where(sub == 0, -1, 1)
                        sig = np.where((pos[:, 1] > 0.5) & (layer > 1 + k), sup, sig)
                    flip = rng.random(n) < 0.05
                    sig = np.where(flip, -sig, sig)
                    snaps[i, k, :n] = sig
            d["snapshot_time"] = st
            d["snapshots"] = snaps
        return d
    return make


def _eq_data(peaks=None, shell_trend=False):
    def make(vals, rep, lats, rng):
        nt = len(rep)
        side, sl, k = vals["side"], vals["shell_layers"], vals["kshell"]
        if shell_trend:   # superlattice grows with shell thickness (Fig. 4b-like)
            s = np.clip(sl / 6.0, 0, 1)
        else:
            s = 1 / (1 + np.exp(-(k - 10.0)))
        fU = (1 - s) * 0.9
        fS = s * 0.9
        f = np.stack([fU / 2, fS / 2, fS / 2, fU / 2, np.full(nt, 0.1)], axis=1)
        f = f + 0.01 * rng.standard_normal(f.shape)
        d = {"f_mean": f, "f_err": np.full((nt, 5), 0.01),
             "fU_mean": f[:, 0] + f[:, 3], "fU_err": np.full(nt, 0.014)}
        if peaks:
            var = np.empty(nt)
            for i in range(nt):
                x0, h, w = peaks[int(side[i])]
                var[i] = KSCAN_BASELINE + h / (1 + ((k[i] - x0) / w) ** 2)
        else:
            var = 0.01 + 0.005 * np.sin(sl + k)
        err = KSCAN_REL_NOISE * var
        d["fU_var"] = var + err * rng.standard_normal(nt)
        d["fU_var_err"] = err
        d["E_mean"] = rng.standard_normal(nt)
        d["E_err"] = np.full(nt, 0.1)
        d["E_var"] = 1 + 0.1 * rng.random(nt)
        d["E_var_err"] = np.full(nt, 0.05)
        d["dA2_mean"] = (0.002 * (1 + sl) * np.exp(-np.clip(sl - 6, 0, None))) + 1e-4 * rng.random(nt)
        d["dA2_err"] = np.full(nt, 1e-4)
        d["tau_fU"] = 10 * rng.random(nt)
        d["tau_E"] = 10 * rng.random(nt)
        d["acceptance"] = 0.1 + 0.1 * rng.random(nt)
        return d
    return make


def _pot_data(vals, rep, lats, rng):
    nt = len(rep)
    nmax = max(len(v[0]) for v in lats.values())
    V = np.zeros((nt, nmax, nmax))
    n = np.zeros(nt, dtype=np.int32)
    for i in range(nt):
        key = f"{int(vals['side'][i])}_{int(vals['shell_layers'][i])}"
        m = len(lats[key][0])
        a = rng.standard_normal((m, m))
        V[i, :m, :m] = a @ a.T
        n[i] = m
    return {"V": V, "n": n}


def build(rng):
    """Describes the synthetic job (studies, parameters, data) in memory."""
    job = _Job(rng)
    ns = 30
    job.add("noninteracting", "kmc", "hexagon", {"side": 4, "kT": 1.0, "dmu": -10.0}, 5, _kmc_data(20.0, ns))
    job.add("ising", "kmc", "hexagon", {"side": 4, "kT": 2.0, "J": 1.0, "dmu": -10.0}, 5, _kmc_data(50.0, ns))
    job.add("elastic", "kmc", "hexagon", {"side": 4, "kT": 0.2, "eps": 1.0, "dmu": -20.0}, 5,
            _kmc_data(30.0, ns, nsnap=3, snap_pattern=True))
    job.add("elastic_snap", "kmc", "hexagon", {"side": 7, "kT": 0.2, "eps": 1.0, "dmu": -20.0}, 3,
            _kmc_data(30.0, ns, nsnap=4, snap_pattern=True))
    job.add("cube_kmc", "kmc", "cube", {"side": 4, "kT": 1.5, "eps": 1.0, "dmu": -200.0}, 3,
            _kmc_data(40.0, ns, nsnap=3))
    job.add("shell", "equilibrium", "hexagon",
            {"side": 5, "shell_layers": list(range(0, 5)), "kT": 0.2, "eps": 1.0}, 2,
            _eq_data(shell_trend=True))
    job.add("kscan", "equilibrium", "hexagon",
            {"side": sorted(KSCAN_PEAKS), "shell_layers": 1, "kshell": list(range(1, 31)),
             "kT": 0.2, "eps": 1.0}, 3, _eq_data(peaks=KSCAN_PEAKS))
    job.add("cube_eq", "equilibrium", "cube",
            {"side": 3, "shell_layers": 1, "kshell": [1, 5, 10, 15, 20], "kT": 1.5, "eps": 1.0}, 2,
            _eq_data())
    job.add("pot", "potential", "hexagon", {"side": 3, "kshell": [1.0, 2.0]}, 1, _pot_data)
    return job


def write(path, seed=12345, pending=True):
    """Writes the synthetic file; returns a dict with what the tests need:
    'status' (per global task), 'pending' and 'failed' task ids, 'peaks'."""
    rng = np.random.default_rng(seed)
    job = build(rng)
    nt = job.ntasks
    status = np.ones(nt, dtype=np.int8)
    failed = []
    pend = []
    if pending:
        # last trajectory of `ising` pending; one kscan task failed; one pending
        ising = [s for s in job.studies if s[0] == "ising"][0][1]
        pend.append(ising["first_task"] + ising["ntasks"] - 1)
        ks = [s for s in job.studies if s[0] == "kscan"][0][1]
        failed.append(ks["first_task"] + 7)
        pend.append(ks["first_task"] + 40)
        status[pend] = 0
        status[failed] = 2
    with h5py.File(path, "w") as h:
        h.attrs["catex_version"] = "0.1.0-fixture"
        h.attrs["format_version"] = 1
        j = h.create_group("job")
        j.attrs["name"] = "fixture"
        j.attrs["seed"] = seed
        j.attrs["text"] = "name: fixture\n# synthetic file written by tests/tools_fixture.py\n"
        j.attrs["ntasks"] = nt
        t = h.create_group("tasks")
        cols = {p: np.empty(nt) for p in PARAMS}
        st_idx = np.empty(nt, dtype=np.int32)
        idx = np.empty(nt, dtype=np.int64)
        reps = np.empty(nt, dtype=np.int32)
        for k, (name, attrs, vals, rep, data, lats) in enumerate(job.studies):
            a, n = attrs["first_task"], attrs["ntasks"]
            for p in PARAMS:
                cols[p][a:a + n] = vals[p]
            st_idx[a:a + n] = k
            idx[a:a + n] = np.arange(n)
            reps[a:a + n] = rep
        _ds(t, "study", st_idx)
        _ds(t, "index", idx)
        _ds(t, "replica", reps)
        _ds(t, "status", status, description="0 pending, 1 done, 2 failed")
        _ds(t, "runtime", np.where(status == 1, rng.random(nt), np.nan), units="s")
        _ds(t, "rank", np.where(status == 1, rng.integers(0, 2, nt), -1).astype(np.int32))
        msg = np.array(["" if i not in failed else "synthetic failure" for i in range(nt)], dtype=object)
        t.create_dataset("message", data=msg, dtype=h5py.string_dtype())
        for p in PARAMS:
            _ds(t, p, cols[p])
        sg = h.create_group("studies")
        for name, attrs, vals, rep, data, lats in job.studies:
            g = sg.create_group(name)
            for key, v in attrs.items():
                if key == "scanned":
                    g.attrs[key] = np.array(v, dtype=h5py.string_dtype()) if v else np.array(
                        [], dtype=h5py.string_dtype())
                else:
                    g.attrs[key] = v
            a, n = attrs["first_task"], attrs["ntasks"]
            st = status[a:a + n]
            for p in PARAMS:
                _ds(g, p, vals[p])
            _ds(g, "replica", rep.astype(np.int32))
            for key, arr in data.items():
                arr = np.array(arr)
                if arr.dtype.kind == "f":
                    arr[st != 1] = np.nan
                else:
                    arr[st != 1] = 0
                d = _ds(g, key, arr)
                if key in ("f", "f_mean", "f_err"):
                    d.attrs["phases"] = np.array(PHASES, dtype=h5py.string_dtype())
            lg = g.create_group("lattices")
            for key, (pos, layer, shell, boundary) in lats.items():
                x = lg.create_group(key)
                _ds(x, "positions", pos)
                _ds(x, "layer", layer)
                _ds(x, "shell", shell)
                _ds(x, "boundary", boundary)
    return {"status": status, "pending": pend, "failed": failed, "peaks": KSCAN_PEAKS}


if __name__ == "__main__":
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else "fixture.h5"
    write(out)
    print(out)


# ---------------------------------------------------------------------------
# Exchange (replica-exchange) studies: the layout of README "Output file", exchange studies
# (the contract the engine writes), filled by simulating a ladder of a
# two-state model whose equilibrium is known in closed form.
#
# Model: a configuration is in phase x = 0 (U, f_U ~ mu_U) or x = 1 (S,
# f_U ~ mu_S), with Gaussian noise of width sd in f_U independent of the
# energy.  Its energy under rung K is
#     E_K = x G(K) + B(K) + e,   G(K) = -(2 kT) asinh((K - K*) / w),
# B a configuration-independent term and e a configuration term the same at
# every rung (both cancel in every ratio, as in the real engine).  Then
# p_S(K) = (1 + u / sqrt(1 + u^2)) / 2 with u = (K - K*) / w, so
#     <f_U>(K)   = mu_U + (mu_S - mu_U) p_S
#     Var(f_U)(K) = (mu_U - mu_S)^2 / (4 (1 + u^2)) + sd^2
# exactly: a Lorentzian peak of height (mu_U - mu_S)^2 / 4 at K* over the
# baseline sd^2.  G is not linear in K, so reweighting between rungs is not
# trivially exact either.
# ---------------------------------------------------------------------------

class TwoState:
    """The two-state model above; `exact_*` are the closed forms."""

    def __init__(self, k_star, width, mu_u=0.75, mu_s=0.2, sd=0.03, kT=0.2):
        self.k_star, self.width, self.mu_u, self.mu_s, self.sd, self.kT = k_star, width, mu_u, mu_s, sd, kT

    def gap(self, k):
        """G(K) = E_K(S) - E_K(U)."""
        return -2.0 * self.kT * np.arcsinh((np.asarray(k, dtype=float) - self.k_star) / self.width)

    def bulk(self, k):
        return -3.0 * np.asarray(k, dtype=float) ** 1.5   # any function of K alone

    def energy(self, x, k, e=0.0):
        return x * self.gap(k) + self.bulk(k) + e

    def p_s(self, k):
        u = (np.asarray(k, dtype=float) - self.k_star) / self.width
        return 0.5 * (1 + u / np.sqrt(1 + u * u))

    def exact_mean(self, k):
        return self.mu_u + (self.mu_s - self.mu_u) * self.p_s(k)

    def exact_var(self, k):
        p = self.p_s(k)
        return (self.mu_u - self.mu_s) ** 2 * p * (1 - p) + self.sd ** 2

    @property
    def peak_height(self):
        return (self.mu_u - self.mu_s) ** 2 / 4 + self.sd ** 2

    def draw_fu(self, x, rng):
        return np.where(x == 1, self.mu_s, self.mu_u) + self.sd * rng.standard_normal(np.shape(x))

    def draw_iid(self, kshell, ns, rng):
        """ns independent samples at each rung: (x [ns, nr], fU [ns, nr],
        energy [ns, nr, nr] with energy[s, k, l] = E_l of sample (s, k))."""
        kshell = np.asarray(kshell, dtype=float)
        x = (rng.random((ns, len(kshell))) < self.p_s(kshell)).astype(int)
        fu = self.draw_fu(x, rng)
        e = rng.standard_normal(x.shape)
        energy = self.energy(x[:, :, None], kshell[None, None, :], e[:, :, None])
        return x, fu, energy


def _round_trip_update(rung_of, nr, state, trips):
    """Round trips per configuration: state 0 = not yet at the bottom, 1 =
    visited the bottom (heading up), 2 = visited the top after the bottom
    (heading down); 2 -> bottom completes a round trip."""
    at_bot, at_top = rung_of == 0, rung_of == nr - 1
    trips += (state == 2) & at_bot
    state[:] = np.where(at_bot, 1, np.where(at_top & (state == 1), 2, state))


def simulate_ladder(model, kshell, rng, equilibrate=500, measure=4000, flip_prob=0.02,
                    exchange_every=1, sample_stride=10, permutation_stride=20, hist_bins=50,
                    blocked_pair=None, nblocks=20):
    """One ladder task of the two-state model with exact Metropolis moves and
    swaps (even/odd pairs alternating).  blocked_pair: index of a pair whose
    swaps are always rejected (a ladder that cannot mix).  Returns the
    per-task arrays of the exchange layout."""
    kshell = np.asarray(kshell, dtype=float)
    nr = len(kshell)
    beta = 1.0 / model.kT
    x = (rng.random(nr) < model.p_s(kshell)).astype(int)     # by configuration
    e_conf = rng.standard_normal(nr)                             # by configuration
    config_at = np.arange(nr)                                    # configuration at rung k
    state = np.zeros(nr, dtype=int)
    trips = np.zeros(nr, dtype=np.int64)
    attempts = np.zeros(nr - 1, dtype=np.int64)
    accepted = np.zeros(nr - 1, dtype=np.int64)
    moves_acc = np.zeros(nr)
    series = np.empty((measure, nr))
    energies = np.empty((measure, nr))
    samples_fu, samples_e, samples_f, perms = [], [], [], []
    parity = 0
    gap = model.gap(kshell)
    for sweep in range(equilibrate + measure):
        # one Metropolis flip attempt per configuration (the "sweep")
        xk = x[config_at]
        prop = 1 - xk
        d = (prop - xk) * gap
        try_flip = rng.random(nr) < flip_prob
        acc = try_flip & (rng.random(nr) < np.exp(-beta * np.clip(d, 0, None)))
        x[config_at[acc]] = prop[acc]
        if sweep >= equilibrate:
            moves_acc += acc
        if (sweep + 1) % exchange_every == 0:
            ks = np.arange(parity, nr - 1, 2)          # disjoint pairs: decided independently
            a, b = config_at[ks], config_at[ks + 1]
            # E_k(s_b) + E_k+1(s_a) - E_k(s_a) - E_k+1(s_b): bulk and e cancel
            delta = (x[b] - x[a]) * (gap[ks] - gap[ks + 1])
            ok = (rng.random(len(ks)) < np.exp(-beta * np.clip(delta, 0, None))) & (ks != blocked_pair)
            config_at[ks[ok]], config_at[ks[ok] + 1] = b[ok], a[ok]
            if sweep >= equilibrate:
                attempts[ks] += 1
                accepted[ks[ok]] += 1
            parity ^= 1
        rung_of = np.empty(nr, dtype=int)
        rung_of[config_at] = np.arange(nr)
        if sweep >= equilibrate:
            _round_trip_update(rung_of, nr, state, trips)
        else:
            state[:] = np.where(rung_of == 0, 1, np.where((rung_of == nr - 1) & (state == 1), 2, state))
        if sweep < equilibrate:
            continue
        m = sweep - equilibrate
        xk = x[config_at]
        fu = model.draw_fu(xk, rng)
        series[m] = fu
        energies[m] = model.energy(xk, kshell, e_conf[config_at])
        if m % sample_stride == 0:
            samples_fu.append(fu)
            samples_e.append(model.energy(xk[:, None], kshell[None, :], e_conf[config_at][:, None]))
            samples_f.append(_phases_of(fu))
        if m % permutation_stride == 0:
            perms.append(config_at.copy())
    var, var_err = _jackknife_var(series, nblocks)
    mean = series.mean(axis=0)
    mean_err = series.reshape(nblocks, -1, nr).mean(axis=1).std(axis=0, ddof=1) / np.sqrt(nblocks)
    edges = np.linspace(0.0, 1.0, hist_bins + 1)
    hist = np.stack([np.histogram(np.clip(series[:, k], 0, 1), bins=edges)[0] for k in range(nr)])
    f = _phases_of(series)
    return {
        "kshell": kshell, "f_mean": f.mean(axis=0), "f_err": np.tile(mean_err[:, None], (1, 5)),
        "fU_mean": mean, "fU_err": mean_err, "fU_var": var, "fU_var_err": var_err,
        "E_mean": energies.mean(axis=0), "E_err": energies.std(axis=0) / np.sqrt(nblocks),
        "acceptance": moves_acc / measure, "fU_hist": hist.astype(np.int64),
        "swap_attempts": attempts, "swap_acceptance": accepted / np.maximum(attempts, 1),
        "round_trips": trips, "permutation": np.array(perms, dtype=np.int32),
        "sample_fU": np.array(samples_fu), "sample_energy": np.array(samples_e),
        "sample_f": np.array(samples_f), "_edges": edges,
    }


def _phases_of(fu):
    """f_alpha [.., 5] consistent with f_U: U split evenly into U1 and U2."""
    fu = np.asarray(fu, dtype=float)
    rest = 1 - fu
    return np.stack([fu / 2, 0.45 * rest, 0.45 * rest, fu / 2, 0.1 * rest], axis=-1)


def _jackknife_var(series, nblocks):
    """Var (ddof 0) of each column and its block-jackknife error (written
    independently of tools/catex_reader.py on purpose)."""
    n = series.shape[0] - series.shape[0] % nblocks
    s = series[:n]
    full = s.var(axis=0)
    blocks = s.reshape(nblocks, -1, s.shape[1])
    loo = []
    for b in range(nblocks):
        rest = np.concatenate([blocks[i] for i in range(nblocks) if i != b])
        loo.append(rest.var(axis=0))
    loo = np.array(loo)
    err = np.sqrt((nblocks - 1) / nblocks * np.sum((loo - loo.mean(axis=0)) ** 2, axis=0))
    return full, err


#: Exchange fixture: side -> two-state model (peak position, half width,
#: mu_U - mu_S grows with size so the peak height grows).
EXCHANGE_MODELS = {8: TwoState(5.0, 0.6, mu_u=0.65, mu_s=0.30),
                   10: TwoState(6.0, 0.45, mu_u=0.70, mu_s=0.25),
                   12: TwoState(7.0, 0.35, mu_u=0.75, mu_s=0.20)}
#: The ladder that does not mix (study `stuck`): its own size.
STUCK_SIDE = 14
STUCK_MODEL = TwoState(8.0, 0.3, mu_u=0.8, mu_s=0.15)
EXCHANGE_RUNGS = 13     # rungs from K* - 3 w to K* + 3 w
EXCHANGE_LADDERS = 3    # independent ladders per size


def exchange_ladder(model, nr=EXCHANGE_RUNGS, span=3.0):
    return model.k_star + model.width * np.linspace(-span, span, nr)


def _write_exchange_study(sg, name, first_task, sides, ladders, models, rng, blocked_pair=None,
                          **sim):
    tasks = [(side, rep) for side in sides for rep in range(ladders)]
    results = [simulate_ladder(models[side], exchange_ladder(models[side]), rng,
                               blocked_pair=blocked_pair, **sim) for side, _ in tasks]
    nl = len(tasks)
    g = sg.create_group(name)
    attrs = {"kind": "exchange", "lattice": "hexagon", "nnn_mismatch": "unit",
             "scanned": ["side"] if len(sides) > 1 else [], "first_task": first_task, "ntasks": nl,
             "replicas": ladders, "rungs": EXCHANGE_RUNGS, "exchange_every": sim.get("exchange_every", 1),
             "hist_bins": 50, "sample_stride": sim.get("sample_stride", 10),
             "permutation_stride": sim.get("permutation_stride", 20)}
    for key, v in attrs.items():
        if key == "scanned":
            g.attrs[key] = np.array(v, dtype=h5py.string_dtype())
        else:
            g.attrs[key] = v
    per_task = {"side": [t[0] for t in tasks], "shell_layers": np.ones(nl), "kT": [models[t[0]].kT for t in tasks],
                "eps": np.ones(nl), "J": np.zeros(nl), "dmu": np.zeros(nl), "composition": np.full(nl, 0.5),
                "t_max": np.full(nl, np.nan)}
    for p, v in per_task.items():
        _ds(g, p, np.asarray(v, dtype=float))
    _ds(g, "replica", np.array([t[1] for t in tasks], dtype=np.int32))
    axes = {"kshell": "task rung", "f_mean": "task rung phase", "f_err": "task rung phase",
            "fU_hist": "task rung bin", "swap_attempts": "task pair", "swap_acceptance": "task pair",
            "permutation": "task sample rung", "sample_fU": "task sample rung",
            "sample_energy": "task sample rung rung", "sample_f": "task sample rung phase"}
    for key in results[0]:
        if key.startswith("_"):
            continue
        d = _ds(g, key, np.stack([r[key] for r in results]),
                units="eps" if key.startswith("E_") or key == "sample_energy" else "1")
        d.attrs["axes"] = axes.get(key, "task rung")
        if key in ("f_mean", "f_err", "sample_f"):
            d.attrs["phases"] = np.array(PHASES, dtype=h5py.string_dtype())
        if key == "fU_hist":
            d.attrs["bin_edges"] = results[0]["_edges"]
        if key == "permutation":
            d.attrs["stride"] = sim.get("permutation_stride", 20)
    lg = g.create_group("lattices")
    for side in sides:
        pos, layer, shell, boundary = hexagon(side, 1)
        x = lg.create_group(f"{side}_1")
        _ds(x, "positions", pos)
        _ds(x, "layer", layer)
        _ds(x, "shell", shell)
        _ds(x, "boundary", boundary)
    return tasks, results


def write_exchange(path, seed=2024, measure=4000, ladders=EXCHANGE_LADDERS, falling=True):
    """A file with exchange studies:
      ladder    sides 8, 10, 12 (EXCHANGE_MODELS), `ladders` ladders each, mixing;
      stuck     side STUCK_SIDE (14), 2 ladders whose middle pair never accepts a swap
                (and slow moves): the ladder does not mix;
      falling   (falling=True) an equilibrium K_shell scan whose Var(f_U)
                peak height FALLS with size (fss must warn).
    Returns {'models', 'ladder': [(side, replica)], 'results': [...]}."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as h:
        h.attrs["catex_version"] = "0.1.0-fixture"
        h.attrs["format_version"] = 1
        sg = h.create_group("studies")
        tasks, results = _write_exchange_study(sg, "ladder", 0, sorted(EXCHANGE_MODELS), ladders,
                                               EXCHANGE_MODELS, rng, measure=measure)
        nt = len(tasks)
        stuck_tasks, stuck = _write_exchange_study(sg, "stuck", nt, [STUCK_SIDE], 2, {STUCK_SIDE: STUCK_MODEL}, rng,
                                                   blocked_pair=EXCHANGE_RUNGS // 2, flip_prob=1e-4,
                                                   measure=measure // 2)
        nt += len(stuck_tasks)
        if falling:
            job = _Job(rng)
            job.ntasks = nt
            job.add("falling", "equilibrium", "hexagon",
                    {"side": sorted(FALLING_PEAKS), "shell_layers": 1, "kshell": list(np.arange(1.0, 20.5, 0.5)),
                     "kT": 0.2, "eps": 1.0}, 3, _eq_data(peaks=FALLING_PEAKS))
            name, attrs, vals, rep, data, lats = job.studies[0]
            g = sg.create_group(name)
            for key, v in attrs.items():
                g.attrs[key] = np.array(v, dtype=h5py.string_dtype()) if key == "scanned" else v
            for p in PARAMS:
                _ds(g, p, vals[p])
            _ds(g, "replica", rep.astype(np.int32))
            for key, arr in data.items():
                _ds(g, key, np.asarray(arr))
            nt += attrs["ntasks"]
        j = h.create_group("job")
        j.attrs["name"] = "fixture-exchange"
        j.attrs["seed"] = seed
        j.attrs["ntasks"] = nt
        t = h.create_group("tasks")
        _ds(t, "status", np.ones(nt, dtype=np.int8), description="0 pending, 1 done, 2 failed")
        _ds(t, "replica", np.zeros(nt, dtype=np.int32))
    return {"models": EXCHANGE_MODELS, "ladder": tasks, "results": results, "stuck": stuck}


#: Equilibrium scan whose peaks get LOWER with size (a falling height).
FALLING_PEAKS = {6: (6.0, 0.050, 2.0), 8: (8.0, 0.035, 1.6), 10: (10.0, 0.022, 1.3)}
