"""Qt front end of camviz: the only package that imports PySide6.

Widgets (``frame_view``, ``results_panel``, ``meter``) are usable on their own;
``bridge`` turns pipeline callbacks (worker threads) into queued Qt signals;
``window`` and ``app`` assemble the live classifier window.
"""

from __future__ import annotations
