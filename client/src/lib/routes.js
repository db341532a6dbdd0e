// An HTTP API's routes, found in its code with the Python parser the editor already uses
// (Lezer's, from @codemirror/lang-python): decorators, not text that looks like them, so
// commented-out code and strings are never taken for routes.
//
// A route is a decorator `@anvil.server.route(path, methods=...)` or its older name
// `@anvil.server.http_endpoint(...)`, also through the names imports give them:
// `from anvil.server import route` (or `http_endpoint`, `*`, `... as name`),
// `import anvil.server as server`, `from anvil import server`. As in the guest
// (wasm-python/anvil/server.py), the path is the first argument or `path=`, a string that
// starts with "/"; `methods` is the fifth argument or `methods=`, a list or tuple of strings
// or one string, GET and POST when it is not given.

import { parser } from "@lezer/python";

const FUNCTIONS = ["route", "http_endpoint"];
const DEFAULT_METHODS = ["GET", "POST"];

/** `[{path, methods}]` for every route decorator in `source`, in the order they appear. */
export function findRoutes(source) {
  const tree = parser.parse(source);
  const text = (node) => source.slice(node.from, node.to);
  const names = importedNames(tree, text);
  const found = [];
  tree.iterate({
    enter(ref) {
      if (ref.name !== "Decorator") return;
      const route = readDecorator(ref.node, text, names);
      if (route) found.push(route);
      return false;
    },
  });
  return found;
}

/** What the imports bind: `modules` (names of anvil.server) and `functions` (route's names). */
function importedNames(tree, text) {
  const modules = new Set(["anvil.server"]);
  const functions = new Set();
  tree.iterate({
    enter(ref) {
      if (ref.name !== "ImportStatement") return;
      const parts = children(ref.node).map((node) => (node.name === "VariableName" ? text(node) : node.name));
      if (parts[0] === "from") {
        const at = parts.indexOf("import");
        const from = parts.slice(1, at).join("");
        for (const [name, alias] of importList(parts.slice(at + 1))) {
          if (from === "anvil.server" && name === "*") for (const f of FUNCTIONS) functions.add(f);
          else if (from === "anvil.server" && FUNCTIONS.includes(name)) functions.add(alias);
          else if (from === "anvil" && name === "server") modules.add(alias);
        }
      } else if (parts[0] === "import") {
        for (const [name, alias] of importList(parts.slice(1))) {
          if (name === "anvil.server" && alias !== name) modules.add(alias);
        }
      }
      return false;
    },
  });
  return { modules, functions };
}

/** `[[name, alias]]` from an import list's tokens: `a.b as c , d` (parentheses ignored). */
function importList(parts) {
  const list = [];
  let name = [];
  let alias = null;
  for (let i = 0; i <= parts.length; i++) {
    const part = parts[i];
    if (part === undefined || part === ",") {
      if (name.length) list.push([name.join(""), alias ?? name.join("")]);
      name = [];
      alias = null;
    } else if (part === "as") {
      alias = parts[++i];
    } else if (part !== "(" && part !== ")") {
      name.push(part);
    }
  }
  return list;
}

/** A node's children, without the parser's error nodes (code being typed still reads). */
function children(node) {
  const list = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (!child.type.isError) list.push(child);
  return list;
}

/** The route a decorator declares, or null. */
function readDecorator(node, text, { modules, functions }) {
  const parts = children(node);
  const args = parts.at(-1);
  if (args?.name !== "ArgList") return null;
  const callee = parts.slice(1, -1);
  if (!callee.every((part) => part.name === "VariableName" || part.name === ".")) return null;
  const dotted = callee.map(text).join("");
  const last = dotted.lastIndexOf(".");
  const isRoute =
    last < 0 ? functions.has(dotted) : FUNCTIONS.includes(dotted.slice(last + 1)) && modules.has(dotted.slice(0, last));
  if (!isRoute) return null;
  const { positional, keywords } = readArguments(args, text);
  const path = stringValue(keywords.path ?? positional[0], text);
  if (typeof path !== "string" || !path.startsWith("/")) return null;
  const methodsNode = keywords.methods ?? positional[4];
  return { path, methods: methodsNode ? methodList(methodsNode, text) : [...DEFAULT_METHODS] };
}

/** A call's arguments: positional values (up to the first `*args`) and keyword values. */
function readArguments(argList, text) {
  const positional = [];
  const keywords = {};
  let group = [];
  let starred = false;
  const take = () => {
    if (group[0]?.name === "*" || group[0]?.name === "**") starred = true;
    else if (group.length === 3 && group[1].name === "AssignOp") keywords[text(group[0])] = group[2];
    else if (group.length === 1 && !starred) positional.push(group[0]);
    group = [];
  };
  for (const child of children(argList)) {
    if (child.name === "(" || child.name === ")") continue;
    if (child.name === ",") take();
    else group.push(child);
  }
  take();
  return { positional, keywords };
}

/** The methods a `methods=` value names (upper case), or the default when they cannot be read. */
function methodList(node, text) {
  const single = stringValue(node, text);
  if (typeof single === "string") return [single.toUpperCase()];
  node = unwrap(node);
  if (node.name !== "ArrayExpression" && node.name !== "TupleExpression") return [...DEFAULT_METHODS];
  const items = children(node).filter((child) => !["[", "]", "(", ")", ","].includes(child.name));
  const methods = items.map((item) => stringValue(item, text));
  if (!methods.length || methods.some((method) => typeof method !== "string")) return [...DEFAULT_METHODS];
  return methods.map((method) => method.toUpperCase());
}

function unwrap(node) {
  while (node?.name === "ParenthesizedExpression") {
    node = children(node).find((child) => child.name !== "(" && child.name !== ")");
  }
  return node;
}

/** A string literal's value (any quotes and prefixes, implicit concatenation), or null for
 * anything else: other expressions, bytes, f-strings with replacements. */
function stringValue(node, text) {
  node = unwrap(node);
  if (!node) return null;
  if (node.name === "ContinuedString") {
    const values = children(node).map((part) => stringValue(part, text));
    return values.every((value) => typeof value === "string") ? values.join("") : null;
  }
  if (node.name === "FormatString") {
    if (node.getChild("FormatReplacement")) return null;
    return literal(text(node))?.replace(/\{\{/g, "{").replace(/\}\}/g, "}") ?? null;
  }
  return node.name === "String" ? literal(text(node)) : null;
}

const LITERAL = /^([A-Za-z]*)('''|"""|'|")([\s\S]*)\2$/;
const ESCAPE = /\\(\n|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/g;
const SIMPLE_ESCAPES = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** The value of one Python string literal's source text; null for bytes or a broken one. */
function literal(source) {
  const match = LITERAL.exec(source);
  if (!match) return null;
  const prefix = match[1].toLowerCase();
  if (prefix.includes("b")) return null;
  const body = match[3];
  if (prefix.includes("r")) return body;
  return body.replace(ESCAPE, (whole, sequence) => {
    if (sequence === "\n") return "";
    if (sequence in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[sequence];
    const code = /^[0-7]/.test(sequence) ? Number.parseInt(sequence, 8) : Number.parseInt(sequence.slice(1), 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
