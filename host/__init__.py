"""widgetbox.host: the command line now; the Litestar application, storage and scheduler
arrive with the host issues."""
