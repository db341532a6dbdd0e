"""The reliability suite: real `widgetbox serve` processes, real HTTP and real SQLite files
on this machine's loopback, under load, crashes and full disks (`just soak`; a short
version of every scenario runs in `just test`). See `__main__` for the list."""
