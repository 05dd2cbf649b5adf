"""Tools of the camviz repository that are not part of the ``camviz`` package (not in the wheel)."""
