"""A small part of plotly.py for GUI apps' Plot component: `plotly.graph_objects` (also
`plotly.graph_objs`) with Scatter, Bar, Pie, Layout and Figure. The chart itself is drawn by
plotly.js in the page."""
