// What the loader does on the page itself: scripts, the error notice, the ready mark.

export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/** A dismissible notice, as the Python side shows for uncaught errors. */
export function showError(text) {
  const notice = document.createElement("div");
  notice.className = "wb-notice wb-error";
  notice.setAttribute("role", "alert");
  const message = document.createElement("span");
  message.className = "wb-notice-text";
  message.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "wb-notice-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "\u00d7";
  close.addEventListener("click", () => notice.remove());
  notice.append(message, close);
  document.getElementById("wb-overlay").append(notice);
}

/** Called by the Python side once the startup form is on the page. */
export function markReady() {
  document.querySelector("#wb-app > .wb-loading")?.remove();
  performance.mark("wb-interactive");
  document.documentElement.dataset.appReady = "true";
}

/** `_start.start`'s arguments after the adapter, as Python: the startup form and module, and
 * what a route's `FormResponse` asked to load (#wb-boot's `load`) as JSON text, or None. */
export function startArguments(startup) {
  const module = typeof startup.module === "string" ? JSON.stringify(startup.module) : "None";
  // a JSON string is a Python string literal too: the same escapes, quoted alike
  const load = startup.load ? JSON.stringify(JSON.stringify(startup.load)) : "None";
  return `${JSON.stringify(startup.form)}, ${module}, ${load}`;
}
