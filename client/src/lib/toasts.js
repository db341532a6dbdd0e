// Toasts: short messages (announced to screen readers through the page's status region)
// placed where they cover no control. The lowest clear place in the window wins, centred
// when it can be; a long message may be made narrower to fit between controls. Big areas
// that take focus (the editor, an output log, the designer's canvas) do not count as
// controls: a toast hides little of them. Toasts never take clicks (app.css), and move when
// the page scrolls or the window changes size.

const CONTROLS =
  "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1']), [contenteditable=true]";
const EDGE = 16; // from the window's edges
const GAP = 4; // from a control
const NARROWEST = 200;

/** Shows `message` for a few seconds (longer for a problem: `tone` "bad"). */
export function toast(message, tone = "") {
  const box = document.querySelector(".toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `toast ${tone}`;
  item.textContent = message;
  box.append(item);
  placeToasts();
  setTimeout(placeToasts, 300); // the page may still be laying itself out
  setTimeout(
    () => {
      item.remove();
      placeToasts();
    },
    tone === "bad" ? 7000 : 3500,
  );
}

/** The boxes of the controls in view, each with a margin of GAP. */
function controlBoxes() {
  const big = window.innerWidth * window.innerHeight * 0.2;
  const boxes = [];
  for (const element of document.querySelectorAll(CONTROLS)) {
    if (element.closest(".toasts")) continue;
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height || box.width * box.height > big) continue;
    if (box.bottom < 0 || box.top > window.innerHeight || box.right < 0 || box.left > window.innerWidth) continue;
    boxes.push({ left: box.left - GAP, right: box.right + GAP, top: box.top - GAP, bottom: box.bottom + GAP });
  }
  return boxes;
}

/** The lowest top edge at which a `width` x `height` box at `x` covers none of `controls`
 * (within the window), or null. */
function lowestClear(controls, x, width, height) {
  const spans = controls
    .filter((control) => control.left < x + width && control.right > x)
    .map((control) => [control.top, control.bottom])
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [top, bottom] of spans) {
    const last = merged.at(-1);
    if (last && top <= last[1]) last[1] = Math.max(last[1], bottom);
    else merged.push([top, bottom]);
  }
  let below = window.innerHeight - EDGE; // the gaps between them, from the bottom up
  for (let i = merged.length - 1; i >= -1; i--) {
    const above = i >= 0 ? Math.max(merged[i][1], EDGE) : EDGE;
    if (below - above >= height) return below - height;
    if (i >= 0) below = Math.min(below, merged[i][0]);
  }
  return null;
}

/** Where the toasts go: {x, y, width} of the lowest clear place, or null. */
function clearPlace(box, controls) {
  const room = window.innerWidth - 2 * EDGE;
  box.style.width = "";
  const natural = Math.min(box.getBoundingClientRect().width, room);
  const widths = [natural, natural * 0.75, natural * 0.55].filter((w, i) => i === 0 || w >= NARROWEST);
  for (const width of widths) {
    box.style.width = `${width}px`;
    const height = box.getBoundingClientRect().height;
    const xs = [(window.innerWidth - width) / 2, window.innerWidth - EDGE - width, EDGE];
    for (const control of controls) xs.push(control.right, control.left - width);
    let best = null;
    for (const x of xs) {
      if (x < EDGE - 0.5 || x + width > window.innerWidth - EDGE + 0.5) continue;
      const y = lowestClear(controls, x, width, height);
      if (y !== null && (best === null || y > best.y + 0.5)) best = { x, y, width };
    }
    if (best) return best;
  }
  return null;
}

/** Puts the toasts in the lowest clear place; with none, at the bottom, centred. */
function placeToasts() {
  const box = document.querySelector(".toasts");
  if (!box?.childElementCount) return;
  Object.assign(box.style, { left: "0px", top: "0px", bottom: "auto", transform: "none" });
  const place = clearPlace(box, controlBoxes());
  if (place) {
    Object.assign(box.style, { left: `${place.x}px`, top: `${place.y}px`, width: `${place.width}px` });
  } else {
    Object.assign(box.style, { left: "", top: "", bottom: "", transform: "", width: "" });
  }
}

let placing = false;
for (const event of ["scroll", "resize"]) {
  window.addEventListener(
    event,
    () => {
      if (placing) return;
      placing = true;
      requestAnimationFrame(() => {
        placing = false;
        placeToasts();
      });
    },
    { capture: true, passive: true },
  );
}
