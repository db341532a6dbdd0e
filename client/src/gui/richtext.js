// What RichText and HtmlTemplate put on the page from text: Markdown (a common subset:
// headings, paragraphs, emphasis, code, links, images, lists, quotes, rules), plain text, and
// HTML made safe (no scripts, frames, event handler attributes or javascript: URLs; inline
// styles moved into the CSSOM, which the app's CSP allows where it refuses style attributes).
// Everything is built as DOM nodes, never as HTML text from the visitor's data.

const DROPPED = new Set(["SCRIPT", "STYLE", "IFRAME", "FRAME", "OBJECT", "EMBED", "BASE", "META", "LINK", "TEMPLATE"]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href", "background", "poster"]);
const UNSAFE_URL = /^(javascript|vbscript|data:text\/html)/i;

function compact(url) {
  return [...(url ?? "")].filter((ch) => ch > " ").join("");
}

/** `root`'s descendants made safe, in place. */
export function sanitizeTree(root) {
  for (const element of [...root.querySelectorAll("*")]) {
    if (DROPPED.has(element.tagName.toUpperCase())) {
      element.remove();
      continue;
    }
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || (URL_ATTRIBUTES.has(name) && UNSAFE_URL.test(compact(attribute.value)))) {
        element.removeAttribute(attribute.name);
      } else if (name === "style") {
        // kept aside: a style attribute reaching the page would be refused by its CSP
        element.setAttribute("data-wb-style", attribute.value);
        element.removeAttribute("style");
      }
    }
  }
  return root;
}

/** A fragment of elements parsed from `html`, made safe (in the parser's own document, which
 * applies nothing), their inline styles set through the CSSOM, which the CSP allows. */
export function safeHtml(html) {
  // style attributes renamed before parsing: even the parser's document applies the CSP
  const text = String(html ?? "").replace(/<[^>]+>/g, (tag) => tag.replace(/(\s)style(\s*=)/gi, "$1data-wb-style$2"));
  const doc = new DOMParser().parseFromString(`<body>${text}</body>`, "text/html");
  sanitizeTree(doc.body);
  const out = document.createDocumentFragment();
  out.append(...[...doc.body.childNodes].map((node) => document.importNode(node, true)));
  for (const element of out.querySelectorAll("[data-wb-style]")) {
    element.style.cssText = element.getAttribute("data-wb-style");
    element.removeAttribute("data-wb-style");
  }
  return out;
}

// -- Markdown ---------------------------------------------------------------------------------

function el(tag, ...children) {
  const element = document.createElement(tag);
  element.append(...children);
  return element;
}

const INLINE = [
  [/^`([^`]+)`/, (m) => el("code", m[1])],
  [/^!\[([^\]]*)\]\(([^)\s]+)\)/, (m) => image(m[1], m[2])],
  [/^\[([^\]]+)\]\(([^)\s]+)\)/, (m) => link(m[1], m[2])],
  [/^(\*\*|__)(?=\S)([\s\S]*?\S)\1/, (m) => el("strong", ...inline(m[2]))],
  [/^(\*|_)(?=\S)([\s\S]*?\S)\1/, (m) => el("em", ...inline(m[2]))],
  [/^~~(?=\S)([\s\S]*?\S)~~/, (m) => el("del", ...inline(m[1]))],
  [/^ {2,}\n/, () => el("br")],
];

function link(text, url) {
  const a = el("a", ...inline(text));
  if (!UNSAFE_URL.test(compact(url))) a.setAttribute("href", url);
  a.setAttribute("target", "_blank");
  a.setAttribute("rel", "noopener noreferrer");
  return a;
}

function image(alt, url) {
  const img = el("img");
  img.setAttribute("alt", alt);
  if (!UNSAFE_URL.test(compact(url))) img.setAttribute("src", url);
  return img;
}

/** Inline Markdown as nodes. */
function inline(text) {
  const nodes = [];
  let plain = "";
  let rest = text;
  while (rest) {
    let matched = false;
    if (rest[0] === "\\" && rest.length > 1 && /[\\`*_{}[\]()#+\-.!~]/.test(rest[1])) {
      plain += rest[1];
      rest = rest.slice(2);
      continue;
    }
    for (const [pattern, make] of INLINE) {
      const found = pattern.exec(rest);
      if (found) {
        if (plain) nodes.push(document.createTextNode(plain));
        plain = "";
        nodes.push(make(found));
        rest = rest.slice(found[0].length);
        matched = true;
        break;
      }
    }
    if (!matched) {
      plain += rest[0];
      rest = rest.slice(1);
    }
  }
  if (plain) nodes.push(document.createTextNode(plain));
  return nodes;
}

const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;

/** Markdown as a fragment of block elements. */
export function markdown(text) {
  const lines = String(text ?? "")
    .replace(/\r\n?/g, "\n")
    .split("\n");
  const out = document.createDocumentFragment();
  let i = 0;
  const paragraph = [];
  const flush = () => {
    if (paragraph.length) out.append(el("p", ...inline(paragraph.join("\n"))));
    paragraph.length = 0;
  };
  while (i < lines.length) {
    const line = lines[i];
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    const listed = paragraph.length ? null : LIST_ITEM.exec(line);
    if (!line.trim()) {
      flush();
      i++;
    } else if (/^```/.test(line)) {
      flush();
      const code = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
      i++;
      out.append(el("pre", el("code", code.join("\n"))));
    } else if (heading) {
      flush();
      out.append(el(`h${heading[1].length}`, ...inline(heading[2])));
      i++;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.append(el("hr"));
      i++;
    } else if (/^>\s?/.test(line)) {
      flush();
      const quoted = [];
      while (i < lines.length && /^>\s?/.test(lines[i])) quoted.push(lines[i++].replace(/^>\s?/, ""));
      out.append(el("blockquote", markdown(quoted.join("\n"))));
    } else if (listed) {
      const list = el(/\d/.test(listed[2]) ? "ol" : "ul");
      for (let item = LIST_ITEM.exec(lines[i]); i < lines.length && item; item = LIST_ITEM.exec(lines[i] ?? "")) {
        const text = [item[3]];
        i++;
        while (i < lines.length && lines[i].trim() && !LIST_ITEM.exec(lines[i]) && /^\s+/.test(lines[i])) {
          text.push(lines[i++].trim());
        }
        list.append(el("li", ...inline(text.join("\n"))));
      }
      out.append(list);
    } else {
      paragraph.push(line);
      i++;
    }
  }
  flush();
  return out;
}

/** Plain text: paragraphs and line breaks kept. */
export function plainText(text) {
  const out = document.createDocumentFragment();
  const lines = String(text ?? "").split("\n");
  lines.forEach((line, index) => {
    if (index) out.append(el("br"));
    out.append(document.createTextNode(line));
  });
  return out;
}

/** Replace `{name}` in the text nodes under `root` by slot elements (`{{` and `}}` stay as
 * braces); returns {name: [slot elements]}. */
export function markSlots(root) {
  const slots = {};
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
  for (const node of texts) {
    const text = node.textContent;
    if (!text.includes("{")) continue;
    const parts = text.split(/(\{\{|\}\}|\{[^{}\s][^{}]*\})/);
    if (parts.length === 1) continue;
    const nodes = [];
    for (const part of parts) {
      if (!part) continue;
      if (part === "{{" || part === "}}") nodes.push(document.createTextNode(part[0]));
      else if (part.startsWith("{") && part.endsWith("}")) {
        const key = part.slice(1, -1);
        const slot = document.createElement("span");
        slot.className = "anvil-rt-slot";
        slot.dataset.wbSlot = key;
        const name = key.split(":")[0];
        slots[name] ??= [];
        slots[name].push(slot);
        nodes.push(slot);
      } else nodes.push(document.createTextNode(part));
    }
    node.replaceWith(...nodes);
  }
  return slots;
}
