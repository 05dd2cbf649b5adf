"""How labels are shown: the category's display name, with the full label kept for hover.

The display name (:attr:`camviz.results.Category.display_name`) is the model's own
display name when its metadata has one, else the label's first synonym
("tabby" for "tabby, tabby cat"); the window offers the whole label as a tooltip.
"""

from __future__ import annotations

__all__ = ["full_label_tip"]


def full_label_tip(label: str, shown: str) -> str:
    """The tooltip for ``label`` shown as ``shown``: the full label when it says more, else ''."""
    text = label.strip()
    return text if text != shown.strip() else ""
