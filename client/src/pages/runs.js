// A widget's runs or requests: the server renders the list; this keeps it current (scheduled
// runs and requests arrive without anyone clicking) by fetching the page again every few
// seconds while it is visible, and swapping the list when it changed.

import { localizeTimes } from "../lib/format.js";
import { ready } from "../lib/page.js";

const EVERY = 5000;
const body = document.querySelector(".page-body");

async function refresh() {
  if (document.hidden || body.contains(document.activeElement)) return;
  try {
    const response = await fetch(location.pathname, { headers: { accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector(".page-body");
    if (!fresh || fresh.innerHTML === body.dataset.last) return;
    body.dataset.last = fresh.innerHTML;
    body.replaceChildren(...fresh.childNodes);
    localizeTimes(body);
  } catch {
    // offline for a moment: the next round tries again
  }
}

body.dataset.last = body.innerHTML;
setInterval(refresh, EVERY);
document.addEventListener("visibilitychange", () => document.hidden || refresh());
ready();
