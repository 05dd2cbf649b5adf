"""Acceptance benchmark of batch classification (issue "Batch classification at scale").

Makes 40 real photos as 4000x3000 JPEGs (the 27 of assets/photos, upscaled; the
second pass flipped and cropped), then measures in one run:

1. a plain sequential loop (full decode, centre crop, invoke; same model and
   threads), as a whole process, vs ``camviz classify`` as a whole process: the
   speed-up, and how often camviz's top-1 equals full-size decoding's;
2. ``camviz classify --ray`` (a local 2-CPU Ray instance): the same top-1 for every file;
3. ``camviz bench`` on assets/video/vtest.avi: the lossless pipeline's share of
   the device's ceiling and the real-time overhead p95.

    python benchmarks/batch_bench.py [--threads 2] [--no-ray] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
from harness import Span, machine

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "assets" / "photos"
SIZE = (4000, 3000)

SEQUENTIAL = r"""
import json, sys, time
from pathlib import Path
from camviz.imageio import load_image
from camviz.loading import open_classifier
paths = sorted(Path(sys.argv[1]).glob("*.jpg"))
with open_classifier(threads=int(sys.argv[2])) as clf:
    start = time.perf_counter()
    for path in paths:
        result = clf.classify(load_image(path))  # full decode; the preprocessor centre-crops
        print(json.dumps({"path": str(path), "top": result.top.index}))
    print(json.dumps({"loop_s": time.perf_counter() - start}))
"""


def make_photos(folder: Path, count: int = 40) -> list[Path]:
    sources = sorted(p for p in PHOTOS.glob("*/*") if p.suffix.lower() in {".jpg", ".png"})
    paths = []
    for i in range(count):
        image = cv2.imread(str(sources[i % len(sources)]), cv2.IMREAD_COLOR)
        if i >= len(sources):  # second pass: mirrored, and a 4:3 crop off the top-left
            image = cv2.flip(image, 1)
            h, w = image.shape[:2]
            image = image[: max(8, int(h * 0.9)), : max(8, int(w * 0.9))]
        big = cv2.resize(image, SIZE, interpolation=cv2.INTER_CUBIC)
        path = folder / f"{i:02d}_{sources[i % len(sources)].stem}.jpg"
        cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def timed(args: list[str]) -> tuple[float, str]:
    with Span() as span:
        run = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    if run.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{run.stderr[-3000:]}")
    if not run.stdout.strip():
        print(f"{' '.join(args[:4])}... wrote nothing:\n{run.stderr[-3000:]}", file=sys.stderr)
    return span.wall_s, run.stdout


def tops(stdout: str) -> dict[str, int]:
    found = {}
    for line in stdout.splitlines():
        record = json.loads(line)
        if "top" in record:
            top = record["top"]
            found[Path(record["path"]).name] = top if isinstance(top, int) else top[0]["index"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--json-out", type=Path, default=None)
    opts = parser.parse_args()
    py = sys.executable
    report: dict[str, object] = {"machine": machine().to_dict(), "threads": opts.threads}
    with tempfile.TemporaryDirectory(prefix="camviz-batch-") as tmp:
        folder = Path(tmp)
        make_photos(folder)
        cv2.imread(str(next(folder.glob("*.jpg"))))  # warm the page cache
        seq_s, seq_out = timed([py, "-c", SEQUENTIAL, str(folder), str(opts.threads)])
        loop_s = json.loads(seq_out.splitlines()[-1])["loop_s"]
        full = tops(seq_out)
        cam = [py, "-m", "camviz", "classify", "--json", "--threads", str(opts.threads)]
        cam_s, cam_out = timed([*cam, str(folder)])
        local = tops(cam_out)
        same = sum(local.get(name) == top for name, top in full.items())
        report["photos"] = len(full)
        report["sequential_process_s"] = round(seq_s, 3)
        report["sequential_loop_s"] = round(loop_s, 3)
        report["camviz_classify_process_s"] = round(cam_s, 3)
        report["speedup_process_vs_process"] = round(seq_s / cam_s, 3)
        report["top1_equal_to_full_decode"] = round(same / max(1, len(full)), 4)
        if not opts.no_ray:
            ray_s, ray_out = timed([*cam, "--ray", "--", str(folder)])
            on_ray = tops(ray_out)
            report["ray_process_s"] = round(ray_s, 3)
            report["ray_records"] = len(on_ray)
            report["ray_top1_equal_to_local"] = sum(
                on_ray.get(n) == t for n, t in local.items()
            ) / max(1, len(local))
    bench_args = [py, "-m", "camviz", "bench", "--json", "--quiet", "--threads", str(opts.threads)]
    _, bench_out = timed([*bench_args, "--source", str(ROOT / "assets/video/vtest.avi")])
    bench = json.loads(bench_out)
    report["bench_lossless_fps"] = bench["lossless"]["fps"]
    report["bench_ceiling"] = bench["ceiling"]
    report["bench_lossless_share_of_ceiling"] = bench["ceiling"]["lossless_share"]
    report["bench_realtime_overhead_ms"] = bench["pipeline"]["overhead_ms"]
    print(json.dumps(report, indent=2))
    if opts.json_out:
        opts.json_out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
