"""Waiting without freezing the page: the loading indicator that covers the app while server
calls are in flight (as Anvil's does: the visitor cannot click meanwhile, but timers and
animations go on), `anvil.server.no_loading_indicator` and `anvil.server.loading_indicator`,
and `time.sleep` in client code.

Only Pyodide with JSPI can suspend Python (`_platform`'s `can_wait`); on Brython a server
call is a synchronous request during which the page does not repaint, so the indicator is
never seen there and `time.sleep` blocks the page as it does in plain Python."""

from . import _platform

_quiet = 0
"""How many `no_loading_indicator` blocks are open (one counter for the page, as in Anvil)."""


class _NoLoadingIndicator:
    """`with anvil.server.no_loading_indicator:` makes server calls without the indicator."""

    def __enter__(self):
        global _quiet
        _quiet += 1
        return self

    def __exit__(self, *exc_info):
        global _quiet
        _quiet -= 1
        return False


no_loading_indicator = _NoLoadingIndicator()


class loading_indicator:
    """Show the loading indicator while a block runs (`with anvil.server.loading_indicator():`),
    over the whole app or over one component (`loading_indicator(self.card_1)`), which cannot
    be clicked meanwhile; or `start()` and `stop()` it."""

    def __init__(self, component=None, min_height=None):
        self._component = component
        self._min_height = min_height
        self._shown = False
        self._cover = None
        """The page's indicator, kept once made (showing it again costs less than making it)."""
        self._over = None
        """A component's, while shown."""

    def start(self):
        if self._shown:
            return
        dom = _platform.get()
        self._shown = True
        if self._cover is not None:  # the page's indicator, built once: shown again
            dom.set_attr(self._cover, "hidden", None)
            return
        cover = dom.create("div")
        dom.set_class(cover, "wb-loading-cover", True)
        spinner = dom.create("div")
        dom.set_class(spinner, "wb-spinner", True)
        dom.set_attr(spinner, "role", "progressbar")
        dom.set_attr(spinner, "aria-label", "Loading")
        dom.append(cover, spinner)
        if self._component is None:
            dom.set_class(cover, "wb-loading-page", True)
            dom.append(dom.overlay(), cover)
            self._cover = cover
        else:
            target = self._component._dom
            dom.set_class(target, "wb-loading-target", True)
            if self._min_height is not None:
                dom.set_style(cover, "min-height", f"{float(self._min_height):g}px")
            dom.append(target, cover)
            self._over = cover

    def stop(self):
        if not self._shown:
            return
        dom = _platform.get()
        self._shown = False
        if self._cover is not None:
            dom.set_attr(self._cover, "hidden", "")
            return
        dom.detach(self._over)
        dom.set_class(self._component._dom, "wb-loading-target", False)
        self._over = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False


_calls_shown = 0
"""Server calls in flight that show the indicator."""
_page_indicator = loading_indicator()


class _ServerCall:
    """One server call: the indicator from the first call in flight to the last, unless the
    call is made in a `no_loading_indicator` block or with `call_s`."""

    def __enter__(self):
        global _calls_shown
        self._shown = _quiet == 0 and _platform.get().can_wait()
        if self._shown:
            _calls_shown += 1
            _page_indicator.start()
        return self

    def __exit__(self, *exc_info):
        global _calls_shown
        if self._shown:
            _calls_shown -= 1
            if _calls_shown == 0:
                _page_indicator.stop()
        return False


def server_call():
    """The context a server call runs in: the indicator, when one is due."""
    return _ServerCall()


def answer_of(show, on_close=None):
    """`show(finished)` opens something the visitor answers (a dialog), which calls
    `finished(value)` when done: the value, waited for where the runtime can suspend Python
    (`on_close(value)` is called too, if given). Where it cannot, `show(on_close)` is all
    there is, and what it returns is returned at once."""
    dom = _platform.get()
    if not dom.can_wait():
        return show(on_close)
    answers = []
    woken = dom.waiter()

    def finished(value):
        answers.append(value)
        woken.wake()
        if on_close is not None:
            on_close(value)

    show(finished)
    if not answers:  # still open: wait until it is answered
        woken.wait()
    return answers[0]


_blocking_sleep = None
"""The runtime's own `time.sleep`, kept by `install_sleep`."""


def sleep(seconds):
    """`time.sleep` for client code: suspends this Python call (the page goes on) where the
    runtime can; elsewhere the plain, page-blocking sleep."""
    dom = _platform.get()
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if not dom.can_wait():
        _blocking_sleep(seconds)
        return
    woken = dom.waiter()
    dom.set_timeout(woken.wake, seconds)
    woken.wait()


def install_sleep():
    """Make `time.sleep` the suspending one (at start-up, on a runtime that can wait; time
    is imported here only: the other runtime need not load it)."""
    global _blocking_sleep
    import time

    if _blocking_sleep is None:
        _blocking_sleep = time.sleep
    time.sleep = sleep
