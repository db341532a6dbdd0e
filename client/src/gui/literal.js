// JSON values as Python source: how designs and the catalogue reach the runtimes without
// parsing JSON in Python (Brython's json module takes a good part of a second to import).

export function pyLiteral(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("a design holds no NaN or Infinity");
    return String(value);
  }
  // a JSON string literal is a valid Python string literal with the same value
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  const items = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${pyLiteral(item)}`);
  return `{${items.join(", ")}}`;
}
