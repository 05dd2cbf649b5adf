"""Teach new classes: a softmax head on the pooled features of a zoo backbone (being split up)."""

from camviz.teach.session import *  # noqa: F403
from camviz.teach.session import __all__, _backbone_for, _video_frames  # noqa: F401
