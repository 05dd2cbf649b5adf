"""What a training says to the user, as text (the Teach panel shows it): no widgets.

:func:`training_summary` puts the answer first (validation accuracy, or why
there is none), then the counts per class in words (captured, then how many
train and how many validate), the backbone the features came from, and the
warnings of :class:`~camviz.teach.TrainReport` (near-duplicate validation).
"""

from __future__ import annotations

from camviz.teach import TrainReport

__all__ = ["class_counts", "training_summary"]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1.0 else f"{seconds:.1f} s"


def class_counts(report: TrainReport, captured: dict[str, int]) -> list[str]:
    """One line per class: ``mug: 30 captured, 20 train, 10 validate (90% right)``."""
    copies = bool(report.options.get("augment"))
    lines = []
    for i, label in enumerate(report.labels):
        train, val = report.train_counts[i], report.val_counts[i]
        taken = captured.get(label, train + val)
        text = f"{label}: {taken} captured, {train} train{' (with copies)' if copies else ''}"
        if val:
            text += f", {val} validate ({_percent(report.class_accuracy[i])} right)"
        else:
            text += ", none to validate"
        lines.append(text)
    return lines


def training_summary(report: TrainReport, captured: dict[str, int], wall_seconds: float) -> str:
    """The panel's text after a training (several lines)."""
    if report.val_accuracy is None:
        head = f"No validation (training accuracy {_percent(report.train_accuracy)})"
    else:
        head = (
            f"Validation accuracy {_percent(report.val_accuracy)} "
            f"(training {_percent(report.train_accuracy)})"
        )
        if report.warnings and any("near-duplicate" in w for w in report.warnings):
            head += ": optimistic, see the warning"
    lines = [head, *class_counts(report, captured)]
    lines.append(
        f"Features from {report.backbone or 'the backbone'}; fit "
        f"{report.train_seconds * 1000:.0f} ms, {_duration(wall_seconds)} in all"
    )
    return "\n".join(lines)
