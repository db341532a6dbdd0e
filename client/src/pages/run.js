// One run: rendered by the server; while it is still going, its output streams in live.

import { RunConsole } from "../lib/console.js";
import { pageData } from "../lib/dom.js";
import { follow } from "../lib/live.js";
import { ready } from "../lib/page.js";

const { widget, run } = pageData();

if (!run.finished) {
  const root = document.querySelector(".run-detail");
  const view = new RunConsole(root, { slug: widget.slug });
  view.attach(run.id);
  follow(run.id, {
    status: (status) => view.status(status),
    output: (stream, text) => view.write(stream, text),
    replace: (record) => view.replace(record),
    done: (summary) => view.done(summary),
  });
}
ready();
