"""GUI widgets: their designs as data (validated on save), their apps served from an origin
of their own, and the server calls those apps make. See ARCHITECTURE.md, "GUI widgets"."""
