// The course's grid (students by assignments): filtered and sorted in the page, from what
// the server wrote into each row and cell (`data-*`); at phone width, choosing one
// assignment leaves one column. Column headers sort too (again: the other way round).

import { ready } from "../lib/page.js";

const form = document.querySelector(".grid-controls");
const table = document.querySelector(".course-grid");
const count = document.querySelector(".grid-count");
let column = ""; // the assignment a header sorted by, when no assignment is chosen

function cellsOf(row, assignment) {
  return assignment ? [row.querySelector(`td[data-assignment="${assignment}"]`)] : [...row.querySelectorAll("td")];
}

function score(cell) {
  const found = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(cell.dataset.score);
  if (found) return Number(found[2]) ? Number(found[1]) / Number(found[2]) : 0;
  return cell.dataset.score ? Number.parseFloat(cell.dataset.score) || -1 : -1;
}

function key(row, sort, assignment) {
  if (sort === "name") return row.dataset.sortName;
  const cells = cellsOf(row, assignment);
  if (sort === "progress") return cells.reduce((sum, cell) => sum + Number(cell.dataset.rank), 0);
  if (sort === "score") return cells.reduce((sum, cell) => sum + score(cell), 0);
  return (
    cells
      .map((cell) => cell.dataset.submitted)
      .sort()
      .at(-1) || ""
  );
}

function matches(row, search, status, assignment) {
  if (search && !row.dataset.name.includes(search)) return false;
  if (!status) return true;
  return cellsOf(row, assignment).some((cell) =>
    status === "unsubmitted" ? !cell.dataset.status.startsWith("submitted") : cell.dataset.status === status,
  );
}

function apply() {
  const search = form.elements.search.value.trim().toLowerCase();
  const assignment = form.elements.assignment.value;
  const status = form.elements.status.value;
  const sort = form.elements.sort.value;
  const down = form.elements.order.value === "desc";
  const by = assignment || column;
  for (const cell of table.querySelectorAll("[data-assignment]")) {
    if (cell.tagName === "BUTTON") continue;
    cell.hidden = Boolean(assignment) && cell.dataset.assignment !== assignment;
  }
  const body = table.tBodies[0];
  const rows = [...body.rows];
  rows.sort((a, b) => {
    const x = key(a, sort, by);
    const y = key(b, sort, by);
    const order = x < y ? -1 : x > y ? 1 : a.dataset.sortName.localeCompare(b.dataset.sortName);
    return down ? -order : order;
  });
  let shown = 0;
  for (const row of rows) {
    row.hidden = !matches(row, search, status, assignment);
    if (!row.hidden) shown += 1;
    body.append(row);
  }
  for (const th of table.tHead.rows[0].cells) {
    const mine =
      sort === "name" ? th.dataset.key === "name" : sort === "progress" && by && th.dataset.assignment === by;
    if (mine) th.setAttribute("aria-sort", down ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
  count.textContent = `Showing ${shown} of ${rows.length} students`;
}

if (form && table) {
  form.addEventListener("input", (event) => {
    if (event.target.name === "assignment") column = "";
    apply();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  table.tHead.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-sort]");
    if (!button) return;
    const same = form.elements.sort.value === button.dataset.sort && (button.dataset.assignment || "") === column;
    form.elements.sort.value = button.dataset.sort;
    column = button.dataset.assignment || "";
    form.elements.order.value = same && form.elements.order.value === "asc" ? "desc" : "asc";
    apply();
  });
  apply();
}

ready();
