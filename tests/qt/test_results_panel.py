from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel

from camviz.qt.results_panel import UNCERTAIN_TEXT, ResultsPanel
from camviz.results import Category, ClassificationResult, StageTimes


def make_result(
    scores: list[tuple[str, float]], *, uncertain: bool = False
) -> ClassificationResult:
    cats = tuple(Category(i, label, score) for i, (label, score) in enumerate(scores))
    return ClassificationResult(
        categories=cats,
        probabilities=np.array([s for _, s in scores], np.float32),
        uncertain=uncertain,
        model="efficientnet_lite0_int8",
        times=StageTimes(1.0, 10.5, 0.5),
    )


def test_shows_labels_bars_and_percentages(qtbot) -> None:
    panel = ResultsPanel(top_k=3)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_result(
        make_result([("tabby, tabby cat", 0.6213), ("tiger cat", 0.25), ("Egyptian cat", 0.05)])
    )
    rows = panel.rows()
    assert [r[0] for r in rows] == ["tabby", "tiger cat", "Egyptian cat"]
    assert panel.full_labels() == ["tabby, tabby cat", "tiger cat", "Egyptian cat"]
    assert panel.row_widgets()[0][0].toolTip() == "tabby, tabby cat"
    assert panel.headline_text() == "tabby  62%"
    assert [r[2] for r in rows] == ["62.1%", "25.0%", "5.0%"]
    assert abs(rows[0][1] - 0.621) < 1e-3
    assert "efficientnet_lite0_int8" in panel.header_text()
    assert "12.0 ms" in panel.header_text()
    assert not panel.is_uncertain()
    labels = [w[0] for w in panel.row_widgets()]
    assert all(w.isVisible() for w in labels[:3]) and not labels[3].isVisible()


def test_uncertain_state_is_distinct(qtbot) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_result(make_result([("a", 0.2), ("b", 0.15)], uncertain=True))
    assert panel.is_uncertain()
    banner = panel.findChild(QLabel, "uncertainBanner")
    assert banner is not None and banner.isVisible() and banner.text() == UNCERTAIN_TEXT
    panel.set_result(make_result([("a", 0.9)]))
    assert not panel.is_uncertain() and not banner.isVisible()


def test_rows_are_stable_widgets(qtbot) -> None:
    panel = ResultsPanel(max_rows=5, top_k=5)
    qtbot.addWidget(panel)
    panel.show()
    widgets = panel.row_widgets()
    ids = [id(w) for row in widgets for w in row]
    for k in range(1, 6):
        panel.set_result(make_result([(f"label {i}", 1.0 / (i + 2)) for i in range(k)]))
        assert len(panel.rows()) == k
    panel.set_result(make_result([("only", 0.99)]))
    assert panel.rows() == [("only", 0.99, "99.0%")]
    assert [id(w) for row in panel.row_widgets() for w in row] == ids
    assert not widgets[1][0].isVisible()


def test_top_k_limits_rows(qtbot) -> None:
    panel = ResultsPanel(max_rows=10, top_k=5)
    qtbot.addWidget(panel)
    panel.set_top_k(2)
    panel.set_result(make_result([(str(i), 0.1) for i in range(5)]))
    assert len(panel.rows()) == 2
    panel.set_top_k(50)
    assert panel.top_k() == 10
    panel.set_result(None)
    assert panel.rows() == []


def test_long_labels_are_elided_with_the_full_label_on_hover(qtbot) -> None:
    panel = ResultsPanel(top_k=2)
    qtbot.addWidget(panel)
    panel.resize(260, 200)
    panel.show()
    long = "a really very extraordinarily long category name that cannot fit, synonym"
    panel.set_result(make_result([(long, 0.7), ("b", 0.2)]))
    label = panel.row_widgets()[0][0]
    assert label.text() == long.split(",")[0]
    assert label.elided_text().endswith("…") and len(label.elided_text()) < len(label.text())
    assert label.toolTip() == long


def test_the_not_sure_banner_takes_no_extra_space(qtbot) -> None:
    panel = ResultsPanel(top_k=5)
    qtbot.addWidget(panel)
    panel.show()
    empty = panel.sizeHint()
    panel.set_result(make_result([("a", 0.9), ("b", 0.05)]))
    sure = panel.sizeHint()
    panel.set_result(make_result([("a", 0.2), ("b", 0.15)], uncertain=True))
    assert panel.sizeHint() == sure == empty
    assert panel.headline_text() == ""


def test_display_names_from_metadata_are_shown_with_the_label_on_hover(qtbot) -> None:
    panel = ResultsPanel(top_k=2)
    qtbot.addWidget(panel)
    panel.show()
    cats = (
        Category(282, "tiger cat", 0.7, 282, "chat rayé"),
        Category(281, "tabby, tabby cat", 0.2, 281, "chat tigré"),
    )
    result = make_result([("tiger cat", 0.7), ("tabby, tabby cat", 0.2)])
    panel.set_result(ClassificationResult(cats, result.probabilities, False, "m", result.times))
    assert [r[0] for r in panel.rows()] == ["chat rayé", "chat tigré"]
    assert panel.full_labels() == ["tiger cat", "tabby, tabby cat"]
    assert panel.row_widgets()[1][0].toolTip() == "tabby, tabby cat"
    assert panel.headline_text() == "chat rayé  70%"
