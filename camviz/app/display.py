"""How labels are shown: short display names, with the full label kept for hover.

ImageNet-style labels list synonyms separated by commas ("tabby, tabby cat");
the window shows the first one ("tabby") and offers the whole label as a tooltip.
"""

from __future__ import annotations

__all__ = ["display_name", "full_label_tip"]


def display_name(label: str) -> str:
    """The first synonym of ``label`` (text before the first comma), stripped.

    A label that starts with a comma, or has nothing before it, is shown whole.
    """
    text = label.strip()
    head = text.split(",", 1)[0].strip()
    return head or text


def full_label_tip(label: str) -> str:
    """The tooltip for a shortened label: the full label when it says more, else ''."""
    text = label.strip()
    return text if display_name(text) != text else ""
