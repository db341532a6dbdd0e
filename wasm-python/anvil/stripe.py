"""`anvil.stripe`: Anvil's Stripe service (customers, charges, subscriptions), which
Widgetbox does not provide. Importing works, so an app that imports it loads; using anything
raises `anvil._unavailable.ServiceNotAvailable` naming the service (Stripe's own API can be
reached with `anvil.http.request`)."""

from anvil._unavailable import unavailable

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, "the Stripe service (anvil.stripe)")
