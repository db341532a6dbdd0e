// What lets client Python wait without freezing the page, on Pyodide with JavaScript Promise
// Integration (JSPI): the browser enters Python through `promising` (events, timers), so a
// Python call that waits for a promise (a server call, an alert's answer, `time.sleep`)
// suspends only its own stack; the page, its timers and its other handlers go on meanwhile.
// Brython cannot suspend: its server calls stay synchronous requests (anvil/_brython.py).

/** A function for the browser to call that enters the Python `proxy` able to suspend. */
export function promising(proxy) {
  return (...args) => {
    proxy.callPromising(...args).catch((error) => console.error("Uncaught error in the app's code:", error));
  };
}

/** Listen to `type` events of `element` with `enter` (a function from `promising`, or a proxy)
 * called as enter(key, event): Pyodide's adapter makes one proxy for all its listeners, each
 * known by its key (a proxy per listener took about 3 ms each while a form was built). */
export function listen(element, type, enter, key) {
  element.addEventListener(type, (event) => enter(key, event));
}

/** The same for a call made once (a timeout): the proxy is destroyed when the call ends. */
export function promisingOnce(proxy) {
  return () => {
    proxy
      .callPromising()
      .catch((error) => console.error("Uncaught error in the app's code:", error))
      .finally(() => proxy.destroy());
  };
}

/** POST `body` (JSON text) to the app's own origin: [status, text], or [0, ""] offline. */
export async function postText(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      credentials: "same-origin",
    });
    return [response.status, await response.text()];
  } catch {
    return [0, ""];
  }
}

/** GET `url` from the app's own origin: [status, bytes, content type], or [0, empty, ""]. */
export async function getBytes(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = (response.headers.get("content-type") || "").split(";")[0];
    return [response.status, bytes, type];
  } catch {
    return [0, new Uint8Array(0), ""];
  }
}

/** A promise and what settles it, for Python to wait on (an alert's answer). */
export function waiter() {
  let wake;
  const promise = new Promise((resolve) => {
    wake = resolve;
  });
  return { promise, wake: () => wake() };
}
