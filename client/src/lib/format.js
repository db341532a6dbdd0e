// Times, durations, fuel (as an estimate of CPU time), counts and statuses as people read
// them (host/web/format.py formats the same values on the server). The statuses, their
// labels and tones are the run-status vocabulary, declared once in runtime/statuses.json and
// bundled from there.

// (a named import: esbuild bundles only `statuses`, not the file's `about`)
import { statuses as STATUSES } from "../../../runtime/statuses.json";

export const STATUS_LABELS = Object.fromEntries(Object.entries(STATUSES).map(([name, { label }]) => [name, label]));

/** The statuses of runs that are over. */
export const FINISHED = new Set(Object.keys(STATUSES).filter((name) => STATUSES[name].finished));

/** The badge colour: ok, bad, busy, warn or idle. */
export function statusTone(status) {
  return Object.hasOwn(STATUSES, status) ? STATUSES[status].tone : "idle";
}

/** Sets a `.badge` element to show a run's `status`. */
export function setBadge(element, status, label) {
  setToneBadge(element, statusTone(status), label || STATUS_LABELS[status] || status);
}

/** Sets a `.badge` element to show `label` in `tone` (ok, bad, busy, warn or idle): for what
 * is not a run (a package install, an HTTP response), which names its tone, not a run status. */
export function setToneBadge(element, tone, label) {
  element.className = `badge ${tone}`;
  element.textContent = label;
}

export function duration(seconds) {
  if (seconds == null) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}

export function fuel(units) {
  if (units == null) return "";
  if (units >= 1e9) return `${(units / 1e9).toFixed(2)} G`;
  if (units >= 1e6) return `${(units / 1e6).toFixed(1)} M`;
  return units.toLocaleString("en");
}

/** An estimate of CPU time from fuel (the API's `cpu_ms`): "≈ 12 ms CPU", "< 1 ms CPU". */
export function cpuTime(ms) {
  if (ms == null) return "";
  return ms < 1 ? "< 1 ms CPU" : `≈ ${duration(ms / 1000)} CPU`;
}

/** "1 package", "3 packages" (`words`: a plural that is not `word` + "s"). */
export function plural(count, word, words) {
  return `${count.toLocaleString("en")} ${count === 1 ? word : words || `${word}s`}`;
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Infinity, "year"],
];

/** "3 minutes ago", "in 2 hours". */
export function relative(date, now = Date.now()) {
  let amount = (date.getTime() - now) / 1000;
  if (Math.abs(amount) < 10) return amount <= 0 ? "just now" : "in a few seconds";
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) return RELATIVE.format(Math.round(amount), unit);
    amount /= size;
  }
  return "";
}

const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const zoned = new Map();

/** "24 Nov 2026, 21:15" in local time, or "Tue 24 Nov, 22:15 CET" in `timeZone`. */
export function fullTime(date, timeZone) {
  if (!timeZone) return FULL.format(date);
  let format = zoned.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone,
      timeZoneName: "short",
    });
    zoned.set(timeZone, format);
  }
  return format.format(date);
}

/** Every `<time data-relative>` shows "3 minutes ago" (its full local time on hover), and
 * every `<time data-zone>` its time in that zone; relative times stay current. */
export function localizeTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    const date = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) continue;
    if (element.hasAttribute("data-relative")) {
      element.textContent = relative(date);
      element.title = fullTime(date);
    } else if (element.dataset.zone) {
      element.textContent = fullTime(date, element.dataset.zone);
    }
  }
}
