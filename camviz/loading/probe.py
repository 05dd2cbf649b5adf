"""Test-load one model file in a throwaway process: ``python -m camviz.loading.probe PATH``.

Run by :func:`camviz.loading.safety.check_model_file`, never in the app's own process: a
hostile or damaged model file may crash the native runtime (a segfault or an
abort), and that must only take this child down. It loads the file the way the
app would (:meth:`Classifier.create`: interpreter, tensor shapes, labels, one
invoke on a grey image) and prints one JSON line:

* ``{"ok": true, "input_size": [w, h], "num_classes": n, "dtype": "uint8"}``, exit 0;
* ``{"ok": false, "type": "ModelLoadError", "message": "..."}``, exit 3, for a clean
  camviz error (the parent re-raises it with the same type and message).

Any other exit code, or death by a signal, is a crash.
"""

from __future__ import annotations

import json
import sys

EXIT_REFUSED = 3
EXIT_USAGE = 2


def _limit_resources(memory_mb: int) -> None:
    """No core dumps; a bounded address space so a hostile tensor size cannot eat the RAM."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = memory_mb * 2**20
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _refused(kind: str, message: str) -> int:
    """Report a refusal on stdout (one JSON line) and give the refusal's exit code."""
    print(json.dumps({"ok": False, "type": kind, "message": message}), flush=True)
    return EXIT_REFUSED


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2, 3):
        print("usage: python -m camviz.loading.probe PATH [MEMORY_MB [BACKEND]]", file=sys.stderr)
        return EXIT_USAGE
    _limit_resources(int(args[1]) if len(args) >= 2 else 0)
    backend = args[2] if len(args) == 3 else "auto"

    from camviz.classifier import Classifier, ClassifierOptions
    from camviz.errors import CamvizError

    try:
        options = ClassifierOptions(model=args[0], threads=1, backend=backend)
        with Classifier.create(options) as clf:
            info = clf.info
            report = {
                "ok": True,
                "input_size": list(info.input_size),
                "num_classes": info.num_classes,
                "dtype": info.dtype,
            }
    except CamvizError as exc:
        return _refused(type(exc).__name__, str(exc))
    except MemoryError:
        return _refused("ModelLoadError", f"{args[0]} asks for more memory than a test load allows")
    except Exception as exc:  # a bug of camviz on a damaged file, not a crash of the runtime
        return _refused("unexpected", f"{type(exc).__name__}: {exc}")
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
