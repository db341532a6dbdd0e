"""The component catalogue (client/src/gui/components.json), with each component's groups of
common properties expanded (its own properties after them). The loader hands the catalogue
over as the Python literal `anvil._catalogue_data.CATALOGUE`, so nothing here parses JSON
(slow to import on Brython)."""

from ._catalogue_data import CATALOGUE


def _expand():
    groups = CATALOGUE["groups"]
    found = {}
    for name, spec in CATALOGUE["components"].items():
        properties = {}
        for group in spec.get("include", []):
            properties.update(groups[group])
        properties.update(spec.get("properties", {}))
        found[name] = {
            "properties": properties,
            "events": tuple(spec.get("events", ())),
            "container": bool(spec.get("container", False)),
            "layout_properties": dict(spec.get("layout_properties", {})),
            "invisible": bool(spec.get("invisible", False)),
        }
    return found


COMPONENTS = _expand()
FORM_EVENTS = tuple(CATALOGUE["form_events"])
