#!/usr/bin/python3
"""Checks on catex output files for the farm tests.

  h5tool.py same A B            datasets of A and B bitwise identical (except
                                /tasks/runtime and /tasks/rank, which depend on
                                the schedule); attributes too
  h5tool.py same-data A B       as `same`, but the job text (/job attribute
                                "text") may differ: the same job but for a
                                key that must not change any data
  h5tool.py metadata A B        every byte outside the datasets' raw-data
                                extents is identical: flushes never rewrote
                                HDF5 metadata
  h5tool.py status A            prints the /tasks/status values
  h5tool.py done-subset A B     every task done in A is done in B with
                                identical rows (nothing reported done is lost)
"""
import sys

import h5py
import numpy as np

SCHEDULE = {"tasks/runtime", "tasks/rank"}
# where and when the file was made (/provenance datasets) differ by design
RUN = ("provenance/",)
# HDF5 dimension scales: object references, compared by the names they point to
REFS = {"DIMENSION_LIST", "REFERENCE_LIST"}


def datasets(f):
    out = {}
    f.visititems(lambda n, o: out.__setitem__(n, o) if isinstance(o, h5py.Dataset) else None)
    return out


def objects(f):
    out = {"/": f}
    f.visititems(lambda n, o: out.__setitem__(n, o))
    return out


def ref_names(obj, key):
    """DIMENSION_LIST / REFERENCE_LIST as the names of the objects referred to."""
    out = []
    for row in obj.attrs[key]:
        items = row.tolist() if hasattr(row, "tolist") else row
        items = items if isinstance(items, (list, tuple)) else [items]
        out.append([obj.file[x].name if isinstance(x, h5py.Reference) else x for x in items])
    return out


def attrs_equal(a, b, skip=()):
    if sorted(a.attrs.keys()) != sorted(b.attrs.keys()):
        return False
    for k in a.attrs:
        if k in skip:
            continue
        if k in REFS:
            if ref_names(a, k) != ref_names(b, k):
                return False
            continue
        x, y = np.asarray(a.attrs[k]), np.asarray(b.attrs[k])
        if x.shape != y.shape or not np.array_equal(x, y):
            return False
    return True


def same(pa, pb, ignore_job_text=False):
    bad = []
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        oa, ob = objects(a), objects(b)
        if sorted(oa) != sorted(ob):
            bad.append("object lists differ: %s" % sorted(set(oa) ^ set(ob)))
        for name in sorted(set(oa) & set(ob)):
            skip = {"text"} if ignore_job_text and name == "job" else set()
            if not attrs_equal(oa[name], ob[name], skip):
                bad.append("attributes of %s differ" % name)
            if isinstance(oa[name], h5py.Dataset) and name not in SCHEDULE and not name.startswith(RUN):
                x, y = oa[name][()], ob[name][()]
                if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                    bad.append("data of %s differ" % name)
    return bad


def extents(path):
    with h5py.File(path, "r") as f:
        ext = []
        for name, d in datasets(f).items():
            off = d.id.get_offset()
            if off is not None:
                ext.append((off, off + d.id.get_storage_size(), name))
        return sorted(ext)


def metadata(pa, pb):
    ea, eb = extents(pa), extents(pb)
    if ea != eb:
        return ["raw-data extents differ"]
    a, b = open(pa, "rb").read(), open(pb, "rb").read()
    if len(a) != len(b):
        return ["file sizes differ: %d vs %d" % (len(a), len(b))]
    mask = np.ones(len(a), dtype=bool)
    for lo, hi, _ in ea:
        mask[lo:hi] = False
    x, y = np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8)
    diff = np.nonzero((x != y) & mask)[0]
    if diff.size:
        return ["%d metadata bytes differ, first at offset %d" % (diff.size, diff[0])]
    return []


def done_subset(pa, pb):
    bad = []
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        sa, sb = a["tasks/status"][()], b["tasks/status"][()]
        done = np.nonzero(sa == 1)[0]
        if np.any(sb[done] != 1):
            bad.append("tasks done in %s are not done in %s: %s" % (pa, pb, done[sb[done] != 1]))
        study, index = a["tasks/study"][()], a["tasks/index"][()]
        names = list(a["studies"].keys())
        order = {int(a["studies"][n].attrs["first_task"]): n for n in names}
        firsts = sorted(order)
        for t in done:
            g = order[firsts[int(study[t])]]
            for name, d in a["studies"][g].items():
                if isinstance(d, h5py.Dataset) and d.shape and d.shape[0] == a["studies"][g].attrs["ntasks"]:
                    if d[index[t]].tobytes() != b["studies"][g][name][index[t]].tobytes():
                        bad.append("row %d of /studies/%s/%s changed" % (index[t], g, name))
    return bad


def main():
    cmd = sys.argv[1]
    if cmd == "status":
        with h5py.File(sys.argv[2], "r") as f:
            print(" ".join(str(int(s)) for s in f["tasks/status"][()]))
        return 0
    bad = {"same": same, "same-data": lambda a, b: same(a, b, ignore_job_text=True), "metadata": metadata,
           "done-subset": done_subset}[cmd](sys.argv[2], sys.argv[3])
    for b in bad:
        print("h5tool %s: %s" % (cmd, b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
