"""Write tests/data/golden_chelsea_top5.json: the default model's top-5 on chelsea.png.

Regenerate only on purpose (a new default model or a deliberate preprocessing
change), and say why in the commit:  .venv/bin/python tests/data/make_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import load_image

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("golden_chelsea_top5.json")

with Classifier.create(ClassifierOptions(top_k=5)) as clf:
    result = clf.classify(load_image(ROOT / "assets/photos/skimage/chelsea.png"))
    golden = {
        "photo": "assets/photos/skimage/chelsea.png",
        "model": clf.info.name,
        "sha256": clf.info.spec.sha256 if clf.info.spec else None,
        "top5": [c.to_dict() for c in result.categories],
    }
OUT.write_text(json.dumps(golden, indent=2) + "\n")
print(json.dumps(golden, indent=2))
