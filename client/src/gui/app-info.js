// What `anvil.app` tells client code (anvil/_app.py reads it through `globalThis.wbApp`):
//
//   setApp(app)            the app's id, branch and environment (#wb-boot's `app`, put there by
//                          the host; the preview's: the designer's environment, the id posted)
//   setPackageName(name)   the client code's package (app.json's package_name)
//   setAssets(names)       the preview's theme assets (the page's are in #wb-theme)
//   setOwnColors(own)      the app's own colours as [{name, color}] (the page's #wb-theme; the
//                          preview's are the ones the designer posts)
//   wbApp.info()           JSON text: {id, branch, environment, theme_colors, assets}; the
//                          colours are theme.js's themeColors (the one list the page is drawn
//                          with), each `theme:Name` alias followed to the colour it names
//   wbApp.setColor(name, value)   a colour's new value, its CSS variable set on the page (Anvil
//                          lets code change a theme colour); false when the value is not CSS

import { applyColors, cssColor, themeColors } from "./theme.js";

let app = { id: null, branch: "master", environment: { name: null, tags: [] } };
let packageName = null;
let own = null; // the app's own colours; null: read them from the page's #wb-theme
let posted = null; // the preview's theme assets; null: read them from the page's #wb-theme
const changed = new Map(); // name -> value set by the app's code since the page opened

function pageTheme() {
  const found = document.getElementById("wb-theme");
  if (!found) return {};
  try {
    const data = JSON.parse(found.textContent);
    return data && typeof data === "object" ? data : {};
  } catch {
    return {};
  }
}

const isColor = (c) => typeof c?.name === "string" && typeof c?.color === "string";

/** The app's id, branch and environment (what the host or the designer says). */
export function setApp(found) {
  if (!found || typeof found !== "object") return;
  const environment = found.environment && typeof found.environment === "object" ? found.environment : {};
  app = {
    id: typeof found.id === "string" ? found.id : null,
    branch: typeof found.branch === "string" ? found.branch : "master",
    environment: {
      name: typeof environment.name === "string" ? environment.name : null,
      tags: Array.isArray(environment.tags) ? environment.tags.filter((tag) => typeof tag === "string") : [],
    },
  };
}

/** The client code's package (app.json's package_name). */
export function setPackageName(name) {
  packageName = name;
}

/** The app's own colours (the preview's, as the designer posts them). */
export function setOwnColors(colors) {
  own = Array.isArray(colors) ? colors.filter(isColor) : [];
}

/** name -> value, every `theme:Name` followed (a few steps at most: aliases name colours). */
function colorMap() {
  const page = own ?? pageTheme().colors;
  const colors = themeColors(Array.isArray(page) ? page.filter(isColor) : []);
  const values = new Map(colors.map(({ name, color }) => [name, color]));
  for (const [name, value] of changed) values.set(name, value);
  const resolve = (value) => {
    for (let steps = 0; steps < 8 && value.startsWith("theme:"); steps++) {
      const next = values.get(value.slice(6).trim());
      if (next === undefined) break;
      value = next;
    }
    return value;
  };
  return Object.fromEntries([...values].map(([name, value]) => [name, resolve(value)]));
}

/** The preview's theme assets (as the design page has them: the app's origin serves those saved). */
export function setAssets(names) {
  posted = Array.isArray(names) ? names : [];
}

function assets() {
  const names = posted ?? pageTheme().assets;
  return Array.isArray(names) ? names.filter((name) => typeof name === "string") : [];
}

globalThis.wbApp = Object.freeze({
  info: () => JSON.stringify({ ...app, package_name: packageName, theme_colors: colorMap(), assets: assets() }),
  setColor: (name, value) => {
    if (cssColor(value) === null) return false;
    changed.set(name, value);
    applyColors(document.documentElement, [{ name, color: value }]);
    return true;
  },
});
