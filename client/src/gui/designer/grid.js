// Rows and columns of a ColumnPanel (and of a Link holding components) as Anvil stores them,
// for the designer's drops: each child's `layout_properties.grid_position` is "ROWID,COLID"
// (nested rows inside a column add levels apart by spaces: "ROWID,COLID ROW2ID,COL2ID"), and
// rows and columns come in the order their first member comes in the panel's list. Column
// widths are the panel's `col_widths`, JSON text of {column id: weight} (of 60; Anvil's older
// designs weigh of 12). Ids are six upper-case letters, as Anvil makes them.
//
// No DOM and no catalogue here: the functions take a panel's list of children (the design's
// own objects, changed in place) so that client/test/ can run them in node.

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** A row's columns weigh this much in all (Anvil's designer). */
export const TOTAL = 60;

/** Six upper-case letters not in `taken` (which gains them). */
export function freshId(taken, random = Math.random) {
  for (;;) {
    let id = "";
    for (let i = 0; i < 6; i++) id += LETTERS[Math.floor(random() * LETTERS.length)];
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** A child's levels: [[rowId, colId], ...] from its grid_position ([] when it has none). */
export function levelsOf(node) {
  const text = String(node?.layout_properties?.grid_position ?? "").trim();
  if (!text) return [];
  return text.split(/\s+/).map((level) => {
    const [row, col = `${row}-c`] = level.split(",");
    return [row, col];
  });
}

export function positionText(levels) {
  return levels.map(([row, col]) => `${row},${col}`).join(" ");
}

/** Every row and column id the children use (at every level). */
export function idsOf(list) {
  const ids = new Set();
  for (const node of list) for (const [row, col] of levelsOf(node)) ids.add(row).add(col);
  return ids;
}

/** Column ids (at every level) that have at least one member. */
export function columnIds(list) {
  const ids = new Set();
  for (const node of list) for (const [, col] of levelsOf(node)) ids.add(col);
  return ids;
}

function startsWith(levels, prefix) {
  return prefix.every(([row, col], i) => levels[i]?.[0] === row && (col == null || levels[i]?.[1] === col));
}

/** The children of the row `levels` ends in ({prefix, row, cols: [column ids in order],
 * members: the children in that row, in order}), or null for one without a position. */
export function rowOf(list, levels) {
  if (!levels.length) return null;
  const depth = levels.length - 1;
  const prefix = levels.slice(0, depth);
  const row = levels[depth][0];
  const members = list.filter((node) => startsWith(levelsOf(node), [...prefix, [row, null]]));
  const cols = [];
  for (const node of members) {
    const col = levelsOf(node)[depth][1];
    if (!cols.includes(col)) cols.push(col);
  }
  return { prefix, row, cols, members, depth };
}

/** The weights `cols` are drawn with given `widths` ({id: weight}), as draw-containers.js
 * weighs them: an unset one weighs an even share of 60; a row weighed of 12 (Anvil's older
 * designs) counts five times as much. */
export function weightsOf(widths, cols) {
  const even = Math.floor(TOTAL / Math.max(cols.length, 1));
  const raw = cols.map((col) => Number(widths[col]) || even);
  const total = raw.reduce((sum, weight) => sum + weight, 0);
  const scale = Math.abs(total - 12) < 0.5 ? TOTAL / 12 : 1;
  return Object.fromEntries(cols.map((col, i) => [col, raw[i] * scale]));
}

/** Read col_widths' text ({} when empty or not JSON of an object). */
export function parseWidths(text) {
  try {
    const parsed = text ? JSON.parse(text) : {};
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** `weights` ({id: weight}) made whole numbers adding up to what they added up to. */
export function rounded(weights) {
  const cols = Object.keys(weights);
  const total = Math.round(cols.reduce((sum, col) => sum + weights[col], 0));
  const out = {};
  let used = 0;
  cols.forEach((col, i) => {
    out[col] = i === cols.length - 1 ? total - used : Math.max(1, Math.round(weights[col]));
    used += out[col];
  });
  return out;
}

/**
 * Give `node` (not in `list`) its place beside `target`, a child in `list`:
 *   left, right     a new column in target's row, before or after target's column
 *   above, below    target's own column (stacked), when that column or row holds others;
 *                   else a new row before or after target's row
 *   before-row, after-row   a new row before or after target's top-level row
 * or, without a target, a new row at the end. Sets node's grid_position (and the row's
 * full_width_row and row_background, taken from the row it joins) and returns
 * {index: where node goes in list, newColumnIn: the row's columns when a column was added}.
 */
export function placeBeside(list, node, target, side, taken, random = Math.random) {
  const fresh = () => freshId(taken, random);
  node.layout_properties =
    node.layout_properties && typeof node.layout_properties === "object" ? node.layout_properties : {};
  const layout = node.layout_properties;
  const at = target ? list.indexOf(target) : -1;
  let levels = at < 0 ? [] : levelsOf(target);
  let index = list.length;
  let joined = null; // a member of the row node joins
  let newColumnIn = null;
  const ends = (members) => [list.indexOf(members[0]), list.indexOf(members[members.length - 1]) + 1];

  if (at >= 0 && !levels.length && (side === "left" || side === "right")) {
    // a child without a position is a row of its own: it gets one to share
    levels = [[fresh(), fresh()]];
    target.layout_properties ??= {};
    target.layout_properties.grid_position = positionText(levels);
  }
  if (at < 0) {
    layout.grid_position = positionText([[fresh(), fresh()]]);
  } else if (!levels.length) {
    layout.grid_position = positionText([[fresh(), fresh()]]);
    index = side === "above" || side === "before-row" ? at : at + 1;
  } else if (side === "before-row" || side === "after-row") {
    const top = rowOf(list, levels.slice(0, 1));
    const [first, last] = ends(top.members);
    layout.grid_position = positionText([[fresh(), fresh()]]);
    index = side === "before-row" ? first : last;
  } else {
    const row = rowOf(list, levels);
    const col = levels[row.depth][1];
    const inColumn = row.members.filter((member) => levelsOf(member)[row.depth][1] === col);
    if (side === "left" || side === "right") {
      const [first, last] = ends(inColumn);
      layout.grid_position = positionText([...row.prefix, [row.row, fresh()]]);
      index = side === "left" ? first : last;
      joined = row.members[0];
      newColumnIn = row.cols;
    } else if (row.cols.length > 1 || inColumn.length > 1) {
      layout.grid_position = positionText(levels);
      index = side === "above" ? at : at + 1;
      joined = row.members[0];
    } else {
      const [first, last] = ends(row.members);
      layout.grid_position = positionText([...row.prefix, [fresh(), fresh()]]);
      index = side === "above" ? first : last;
      if (row.prefix.length) joined = row.members[0]; // a nested row: the top-level row's style stays
    }
  }
  // the row's look is its first member's (full_width_row, row_background)
  const styleFrom = joined ? rowOf(list, levelsOf(joined).slice(0, 1))?.members[0] : null;
  for (const key of ["full_width_row", "row_background"]) {
    if (styleFrom && styleFrom.layout_properties?.[key] != null) layout[key] = styleFrom.layout_properties[key];
    else delete layout[key];
  }
  return { index, newColumnIn };
}

// -- GridPanel: named rows of 12 columns ------------------------------------------------------

const span = (value, fallback) =>
  Number.isFinite(Number(value)) && value !== null && value !== "" ? Number(value) : fallback;

/**
 * Give `node` (not in `list`) its place in a GridPanel beside `target`: left or right puts it
 * in target's row (taking the room the row has left, else half of target's width), above or
 * below in a new row before or after target's row; without a target, a new row at the end.
 * Sets node's (and, when it is split, target's) layout properties; returns the list index.
 */
export function placeInGridPanel(list, node, target, side, taken, random = Math.random) {
  node.layout_properties =
    node.layout_properties && typeof node.layout_properties === "object" ? node.layout_properties : {};
  const layout = node.layout_properties;
  for (const key of Object.keys(layout)) if (/^(col|width)_(xs|sm|md|lg)$/.test(key)) delete layout[key];
  const at = target ? list.indexOf(target) : -1;
  if (at < 0) {
    layout.row = freshId(taken, random);
    return list.length;
  }
  target.layout_properties ??= {};
  const theirs = target.layout_properties;
  if (!theirs.row) theirs.row = freshId(taken, random);
  const members = list.filter((child) => child.layout_properties?.row === theirs.row);
  if (side === "above" || side === "below") {
    layout.row = freshId(taken, random);
    return side === "above" ? list.indexOf(members[0]) : list.indexOf(members[members.length - 1]) + 1;
  }
  layout.row = theirs.row;
  const used = members.reduce((sum, child) => {
    const own = child.layout_properties;
    return sum + span(own.col_xs, 0) + span(own.width_xs, 12);
  }, 0);
  const width = span(theirs.width_xs, 12);
  if (used < 12) layout.width_xs = 12 - used;
  else {
    theirs.width_xs = Math.max(1, Math.ceil(width / 2));
    layout.width_xs = Math.max(1, width - theirs.width_xs);
  }
  if (theirs.col_xs != null) {
    const start = span(theirs.col_xs, 0);
    if (side === "left") {
      layout.col_xs = start;
      theirs.col_xs = Math.min(11, start + layout.width_xs);
    } else layout.col_xs = Math.min(11, start + span(theirs.width_xs, 12));
  }
  return side === "left" ? at : at + 1;
}
