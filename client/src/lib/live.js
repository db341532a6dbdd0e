// Following a run: its Server-Sent Events (status, output, done) while it is in progress,
// and its stored record when the stream cannot be used.

import { api } from "./api.js";
import { FINISHED } from "./format.js";

/**
 * Calls `on.status(status)`, `on.output(stream, text)` and finally `on.done(summary)`.
 * If the stream breaks before the end, the run's record is fetched instead (once it has
 * finished) and handed to `on.replace(record)`, which shows its output afresh, then `on.done`.
 * Returns a function that stops following.
 */
export function follow(runId, on) {
  let finished = false;
  const source = new EventSource(`/api/runs/${runId}/events`);
  const parse = (event) => JSON.parse(event.data);
  source.addEventListener("status", (event) => on.status(parse(event).status));
  source.addEventListener("output", (event) => {
    const { stream, text } = parse(event);
    on.output(stream, text);
  });
  source.addEventListener("done", (event) => {
    finished = true;
    source.close();
    on.done(parse(event));
  });
  source.addEventListener("error", () => {
    if (finished) return;
    source.close(); // no automatic reconnect: it would replay the output from the start
    poll(runId, on, () => finished).catch((error) => on.failed?.(error));
  });
  return () => {
    finished = true;
    source.close();
  };
}

async function poll(runId, on, stopped) {
  for (let wait = 250; !stopped(); wait = Math.min(wait * 2, 4000)) {
    const record = await api("GET", `/api/runs/${runId}`);
    if (FINISHED.has(record.status)) {
      on.replace?.(record);
      on.done({ ...record, run: record.id });
      return;
    }
    on.status(record.status);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export { FINISHED };
