// The schedule page: a rule built from the form, previewed (next five fire times) as it is
// edited, then saved; pause, resume and remove.

import { api } from "../lib/api.js";
import { busy, flash, formError, h, pageData, toast } from "../lib/dom.js";
import { fullTime, relative } from "../lib/format.js";
import { ready } from "../lib/page.js";

const { widget, schedule } = pageData();
const form = document.querySelector("[data-form=schedule]");
const preview = form.querySelector(".preview");
const zone = form.elements.timezone;
let timer = null;
let asked = 0;

// A new schedule starts in the browser's own time zone.
if (!schedule) {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (local && [...zone.options].some((option) => option.value === local)) zone.value = local;
}

/** The rule the form describes, or a message saying what to fix first. */
function rule() {
  const fields = form.elements;
  const type = fields.type.value;
  if (type === "cron") {
    const cron = fields.cron.value.trim().replace(/\s+/g, " ");
    if (!cron) return { problem: "Enter a cron expression, e.g. 0 9 * * 1-5." };
    if (cron.split(" ").length !== 5)
      return { problem: "A cron expression has five fields: minute, hour, day of month, month and day of week." };
    return { rule: { type, cron, timezone: zone.value } };
  }
  const every = Number(fields.every.value);
  if (!Number.isInteger(every) || every < 1) return { problem: "Enter how often, a whole number of 1 or more." };
  const unit = fields.unit.value;
  const result = { type, every, unit, timezone: zone.value };
  if (unit === "days" || unit === "weeks") result.at = fields.at.value || "00:00";
  if (unit === "weeks") result.weekday = fields.weekday.value;
  return { rule: result };
}

function showParts() {
  const type = form.elements.type.value;
  const unit = form.elements.unit.value;
  // "every 1 minute", "every 5 minutes"
  const one = Number(form.elements.every.value) === 1;
  for (const option of form.elements.unit.options) option.textContent = one ? option.value.slice(0, -1) : option.value;
  for (const part of form.querySelectorAll("[data-when]")) part.hidden = part.dataset.when !== type;
  for (const part of form.querySelectorAll("[data-when-unit]"))
    part.hidden = !part.dataset.whenUnit.split(" ").includes(unit);
}

function times(list, isoTimes, timeZone) {
  list.replaceChildren(
    ...isoTimes.map((iso) => {
      const date = new Date(iso);
      return h(
        "li",
        {},
        h("time", { datetime: iso, title: fullTime(date) }, fullTime(date, timeZone)),
        h("span", { class: "muted" }, ` (${relative(date)})`),
      );
    }),
  );
}

async function update() {
  const number = ++asked;
  const description = preview.querySelector(".description");
  const list = preview.querySelector(".next-times");
  const { rule: wanted, problem } = rule();
  if (problem) {
    description.textContent = problem;
    description.className = "description error";
    list.replaceChildren();
    return;
  }
  try {
    const answer = await api("POST", "/api/schedules/preview", wanted);
    if (number !== asked) return;
    description.textContent = `Runs ${answer.description}.`;
    description.className = "description";
    times(list, answer.next, wanted.timezone);
  } catch (error) {
    if (number !== asked) return;
    description.textContent = error.message;
    description.className = "description error";
    list.replaceChildren();
  }
}

form.addEventListener("input", () => {
  showParts();
  clearTimeout(timer);
  timer = setTimeout(update, 250);
});
form.addEventListener("change", showParts);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const { rule: wanted, problem } = rule();
  if (problem) {
    formError(form, problem);
    return;
  }
  formError(form, "");
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const saved = await api("PUT", `/api/widgets/${widget.slug}/schedule`, wanted);
      flash(`Schedule saved: ${saved.description}`);
      location.reload();
    } catch (error) {
      formError(form, error.message);
    }
  });
});

for (const [action, method, path, done] of [
  ["pause", "POST", "pause", "Schedule paused"],
  ["resume", "POST", "resume", "Schedule resumed"],
  ["remove", "DELETE", "", "Schedule removed"],
]) {
  const button = document.querySelector(`[data-action=${action}]`);
  button?.addEventListener("click", () =>
    busy(button, async () => {
      if (action === "remove" && !confirm("Remove the schedule? The task then runs only when you click Run.")) return;
      try {
        await api(method, `/api/widgets/${widget.slug}/schedule${path ? `/${path}` : ""}`);
        flash(done);
        location.reload();
      } catch (error) {
        toast(error.message, "bad");
      }
    }),
  );
}

showParts();
update();
ready();
