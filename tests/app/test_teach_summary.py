"""The words of a training's summary (camviz.app.teach_summary), and bursts in capture."""

from __future__ import annotations

import numpy as np

from camviz.app.teach_summary import class_counts, training_summary
from camviz.teach import TrainReport


def _report(**changes: object) -> TrainReport:
    values: dict[str, object] = dict(
        labels=("mug", "background"),
        train_counts=(20, 25),
        val_counts=(10, 0),
        train_accuracy=1.0,
        val_accuracy=0.9,
        class_accuracy=(0.9, None),
        confusion=np.array([[9, 1], [0, 0]]),
        loss=0.1,
        iterations=30,
        train_seconds=0.012,
        backbone="mobilenet_v3_small",
    )
    values.update(changes)
    return TrainReport(**values)  # type: ignore[arg-type]


def test_counts_read_as_words_per_class() -> None:
    lines = class_counts(_report(), {"mug": 30, "background": 25})
    assert lines == [
        "mug: 30 captured, 20 train, 10 validate (90% right)",
        "background: 25 captured, 25 train, none to validate",
    ]


def test_summary_names_the_backbone_used_and_flags_near_duplicates() -> None:
    text = training_summary(_report(), {"mug": 30, "background": 25}, 1.5)
    first, *_, last = text.splitlines()
    assert first == "Validation accuracy 90% (training 100%)"
    assert last.startswith("Features from mobilenet_v3_small;") and "1.5 s" in last
    warned = _report(warnings=("98% of the validation frames are near-duplicates of ...",))
    assert training_summary(warned, {}, 0.25).splitlines()[-1].endswith("250 ms in all")
    assert training_summary(warned, {}, 1.0).splitlines()[0].endswith("optimistic, see the warning")
    none = training_summary(_report(val_accuracy=None, val_counts=(0, 0)), {}, 1.0)
    assert none.startswith("No validation (training accuracy 100%)")
