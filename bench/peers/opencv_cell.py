"""One OpenCV cell of convkit's bench (bench/peers/opencv.cjs runs it; see there).

Usage: python3 opencv_cell.py SPEC.json. The spec names the op, the input file (float32,
NCHW, N = 1), the thread count and the repetition rule of bench/util.cjs measure(). The
image is converted to OpenCV's interleaved HWC layout before timing; the output is written
back as CHW float32 after it. Prints one JSON line: times in ms, OpenCV's version.
"""
import json
import sys
import time

import cv2
import numpy as np


def main():
    spec = json.load(open(sys.argv[1]))
    cv2.setNumThreads(int(spec["threads"]))
    c, h, w = spec["shape"][1:]
    x = np.fromfile(spec["input"], dtype=np.float32).reshape(c, h, w)
    img = np.ascontiguousarray(x.transpose(1, 2, 0))  # HWC (untimed)
    op = spec["op"]
    if op == "filter2d":
        k = np.array(spec["kernel"], dtype=np.float32).reshape(spec["ksize"], spec["ksize"])
        run = lambda: cv2.filter2D(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT_101)
    elif op == "pad":
        p = int(spec["pad"])
        run = lambda: cv2.copyMakeBorder(img, p, p, p, p, cv2.BORDER_REFLECT_101)
    elif op == "resize":
        interp = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "bicubic": cv2.INTER_CUBIC}[spec["mode"]]
        oh, ow = spec["out"]
        run = lambda: cv2.resize(img, (ow, oh), interpolation=interp)
    else:
        raise SystemExit("unknown op " + op)

    def once():
        t0 = time.perf_counter()
        out = run()
        return (time.perf_counter() - t0) * 1e3, out

    r = spec["reps"]
    first_ms, out = once()
    y = out.reshape(out.shape[0], out.shape[1], -1).transpose(2, 0, 1)  # CHW (untimed)
    np.ascontiguousarray(y, dtype=np.float32).tofile(spec["output"])
    warm, calls = first_ms, 1
    while warm < r["warmTime"] * 1e3 and calls < 1000 and first_ms * 3 < r["capTime"] * 1e3:
        warm += once()[0]
        calls += 1
    times = []
    t0 = time.perf_counter()
    while True:
        times.append(once()[0])
        elapsed = (time.perf_counter() - t0) * 1e3
        if len(times) >= r["maxReps"]:
            break
        if elapsed >= r["minTime"] * 1e3 and len(times) >= r["minReps"]:
            break
        if elapsed + float(np.median(times)) > r["capTime"] * 1e3:
            break
    print(json.dumps({
        "median": float(np.median(times)), "min": min(times), "max": max(times), "reps": len(times),
        "firstMs": first_ms, "warmupCalls": calls, "version": cv2.__version__, "threads": cv2.getNumThreads(),
        "outShape": list(y.shape),
    }))


main()
