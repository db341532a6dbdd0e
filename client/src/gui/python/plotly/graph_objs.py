"""plotly.graph_objs: the older name of plotly.graph_objects."""

from plotly.graph_objects import *  # noqa: F403
from plotly.graph_objects import __all__  # noqa: F401
