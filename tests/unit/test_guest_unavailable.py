"""The Anvil services Widgetbox does not provide (`anvil.google`, `anvil.facebook`,
`anvil.microsoft`, `anvil.stripe`, `anvil.pdf`): their modules import as Anvil's do, and every
use raises `ServiceNotAvailable` naming the service."""

from __future__ import annotations

import copy
import importlib
import pickle
from typing import Any

import pytest

pytestmark = pytest.mark.unit

MODULES = {
    "anvil.google": "the Google service (anvil.google)",
    "anvil.google.auth": "the Google service (anvil.google)",
    "anvil.google.drive": "the Google service (anvil.google)",
    "anvil.google.sheets": "the Google service (anvil.google)",
    "anvil.google.mail": "the Google service (anvil.google)",
    "anvil.facebook": "the Facebook service (anvil.facebook)",
    "anvil.facebook.auth": "the Facebook service (anvil.facebook)",
    "anvil.microsoft": "the Microsoft service (anvil.microsoft)",
    "anvil.microsoft.auth": "the Microsoft service (anvil.microsoft)",
    "anvil.stripe": "the Stripe service (anvil.stripe)",
    "anvil.pdf": "PDF rendering (anvil.pdf)",
}


@pytest.mark.parametrize(("name", "service"), MODULES.items())
def test_each_module_imports_and_refuses_every_use(
    guest_modules: None, name: str, service: str
) -> None:
    from anvil._unavailable import ServiceNotAvailable

    module = importlib.import_module(name)
    thing = module.some_function
    expected = f"{name}.some_function: {service} is not available on Widgetbox"
    for use in (
        thing,
        lambda: thing(1, key="value"),
        lambda: thing.attribute,
        lambda: thing["key"],
        lambda: list(thing),
        lambda: setattr(thing, "x", 1),
    ):
        with pytest.raises(ServiceNotAvailable) as caught:
            use()
        assert str(caught.value) == expected
    assert repr(thing) == f"<{name}.some_function: not available on Widgetbox>"


def test_what_anvil_apps_write_at_the_top_of_a_module_loads(guest_modules: None) -> None:
    import anvil.facebook.auth
    import anvil.google.auth
    import anvil.google.drive
    import anvil.google.mail
    import anvil.microsoft.auth
    import anvil.pdf
    import anvil.server
    import anvil.stripe
    from anvil._unavailable import ServiceNotAvailable
    from anvil.google.drive import app_files
    from anvil.pdf import PDFRenderer, render_form

    assert anvil.google.auth is importlib.import_module("anvil.google.auth")
    with pytest.raises(ServiceNotAvailable, match=r"anvil\.google\.drive\.app_files: the Google"):
        app_files.my_sheet  # noqa: B018 - the attribute lookup is the test
    with pytest.raises(ServiceNotAvailable, match=r"anvil\.pdf\.render_form: PDF rendering"):
        render_form("Form1")
    with pytest.raises(ServiceNotAvailable, match=r"anvil\.pdf\.PDFRenderer"):
        PDFRenderer(page_size="A4")
    with pytest.raises(ServiceNotAvailable, match="Stripe"):
        anvil.stripe.new_customer("a@example.org", "tok")
    with pytest.raises(ServiceNotAvailable, match="Facebook"):
        anvil.facebook.auth.login()
    with pytest.raises(ServiceNotAvailable, match="Microsoft"):
        anvil.microsoft.auth.get_user_access_token()
    # server code that catches Anvil's errors catches these too
    with pytest.raises(anvil.server.AnvilWrappedError):
        anvil.google.auth.get_user_email()
    with pytest.raises(NotImplementedError):
        anvil.google.auth.get_user_email()


def test_submodules_are_reached_from_the_package(guest_modules: None) -> None:
    import anvil.google
    import anvil.microsoft

    assert anvil.google.sheets.__name__ == "anvil.google.sheets"
    assert anvil.microsoft.auth.__name__ == "anvil.microsoft.auth"


def test_probes_that_are_not_uses_stay_quiet(guest_modules: None) -> None:
    import anvil.stripe

    thing: Any = anvil.stripe.Customer
    assert not hasattr(thing, "__wrapped__")
    assert copy.copy(thing) is thing
    assert copy.deepcopy({"customer": thing})["customer"] is thing
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(thing)
    with pytest.raises(AttributeError):
        anvil.stripe._private  # noqa: B018 - the attribute lookup is the test
    namespace: dict[str, Any] = {}
    exec("from anvil.stripe import *", namespace)  # a star import refuses nothing
    assert [name for name in namespace if not name.startswith("__")] == []
