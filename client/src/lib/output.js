// The console's output while a run prints: what arrives is drawn once per animation frame,
// never line by line, and at most LINE_CAP lines of it stay in the page. Earlier lines are
// let go ("N earlier lines hidden — Show all" draws the run's stored output once it has
// ended). The view follows the end, unless the reader scrolled up: then nothing moves under
// them until they scroll back down or click "new lines below". So the page does a bounded
// amount of work per frame however fast a run prints, and Stop stays clickable.

import { api } from "./api.js";
import { h, toast } from "./dom.js";
import { countLines, pieceEnd, Tail } from "./lines.js";

/** Lines of output the page holds while following a run. */
export const LINE_CAP = 5000;
/** Characters of output the page holds while following a run (one very long line). */
const CHAR_CAP = 500_000;
/** Each block of output is its own element of at most this many lines and characters, so
 * drawing new output lays out only the newest block. */
const BLOCK_LINES = 200;
const BLOCK_CHARS = 32_768;
/** Pixels from the end that still count as being at the end. */
const NEAR_END = 24;
/** Lines and characters drawn per frame at most (laying out a line costs some microseconds);
 * the rest waits for the next frame. */
const FRAME_LINES = 1000;
const FRAME_CHARS = 65_536;
/** Milliseconds of drawing per frame while the whole stored output is drawn. */
const FRAME_BUDGET = 8;

const UP_KEYS = new Set(["ArrowUp", "PageUp", "Home"]);

const number = new Intl.NumberFormat("en");

export class OutputView {
  /** @param {HTMLElement} element the `.output` box */
  constructor(element) {
    this.element = element;
    this.tail = new Tail(LINE_CAP, CHAR_CAP);
    this.drawing = 0;
    this.frame = 0;
    this.reset(null);
    this.element.addEventListener("scroll", () => this.scrolled(), { passive: true });
    // the reader's wish to look back, before the scroll it causes reaches this page (a frame
    // drawn meanwhile would otherwise take them back to the end)
    this.element.addEventListener("wheel", (event) => event.deltaY < 0 && this.hold(), { passive: true });
    this.element.addEventListener("keydown", (event) => UP_KEYS.has(event.key) && this.hold());
  }

  /** Empties the box for the output of run `runId`. */
  clear(runId) {
    this.reset(runId);
    this.element.replaceChildren();
  }

  reset(runId) {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.drawing++; // stops drawing a stored output that is under way
    this.runId = runId;
    this.finished = false;
    this.tail.clear();
    this.blocks = [];
    this.shown = { lines: 0, chars: 0 };
    this.hidden = { lines: 0, start: false };
    this.following = true;
    this.out = null;
    this.note = null;
    this.noteText = "";
    this.jump = null;
    this.got = false;
  }

  /** Whether nothing was printed since `clear`. */
  get empty() {
    return !this.got;
  }

  /** The element the output is drawn in (created on first use, first in the box). */
  container() {
    if (!this.out) {
      this.element.querySelector(".placeholder")?.remove();
      this.out = h("div", { class: "out", "data-line-cap": LINE_CAP });
      this.element.prepend(this.out);
      this.note?.after(this.out);
    }
    return this.out;
  }

  /** Output as it arrives: kept (its last LINE_CAP lines) until a frame draws it. */
  write(stream, text) {
    if (!text) return;
    this.got = true;
    this.container();
    this.tail.push(stream, text);
    this.schedule();
  }

  /** The run has ended: what is left is drawn, and the whole output may be asked for. */
  finish() {
    this.finished = true;
    this.showHidden();
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.tail.empty) return;
    if (!this.following) {
      this.showJump();
      return;
    }
    this.append(this.tail.take(FRAME_LINES, FRAME_CHARS));
    this.element.scrollTop = this.element.scrollHeight;
    if (!this.tail.empty) this.schedule();
  }

  /** Draws `pieces` after what is shown, letting go of the oldest blocks beyond the caps. */
  append({ pieces, dropped, cut }) {
    if (dropped || cut) {
      // lines between the blocks shown and these were let go: all before them is hidden
      this.hide(this.blocks.length);
      this.hidden.lines += dropped;
      this.hidden.start = true;
    }
    const coming = pieces.reduce((sum, piece) => sum + piece.lines, 0);
    let drop = 0;
    for (let lines = this.shown.lines; drop < this.blocks.length && lines + coming > LINE_CAP; drop++) {
      lines -= this.blocks[drop].lines;
    }
    this.hide(drop);
    for (const { stream, text } of pieces) this.add(stream, text);
    drop = 0;
    for (let { lines, chars } = this.shown; drop < this.blocks.length - 1; drop++) {
      if (lines <= LINE_CAP && chars <= CHAR_CAP) break;
      lines -= this.blocks[drop].lines;
      chars -= this.blocks[drop].chars;
    }
    this.hide(drop);
    this.showHidden();
    this.jump?.remove();
    this.jump = null;
  }

  /** Adds text of one stream to the newest block, and to new blocks as each fills up. */
  add(stream, text) {
    for (let at = 0; at < text.length; ) {
      let block = this.blocks.at(-1);
      if (!block || block.lines >= BLOCK_LINES || block.chars >= BLOCK_CHARS) {
        block = { element: h("div", { class: "block" }), lines: 0, chars: 0, span: null, stream: null };
        this.container().append(block.element);
        this.blocks.push(block);
      }
      const end = pieceEnd(text, at, BLOCK_LINES - block.lines, BLOCK_CHARS - block.chars);
      const piece = text.slice(at, end);
      if (block.stream === stream) block.span.firstChild.appendData(piece);
      else {
        block.span = h("span", { class: stream === "stderr" ? "stderr" : "stdout" }, piece);
        block.stream = stream;
        block.element.append(block.span);
      }
      const lines = countLines(piece);
      block.lines += lines;
      block.chars += piece.length;
      this.shown.lines += lines;
      this.shown.chars += piece.length;
      at = end;
    }
  }

  /** Removes the `count` oldest blocks, counting their lines as hidden. */
  hide(count) {
    for (const block of this.blocks.splice(0, count)) {
      block.element.remove();
      this.hidden.lines += block.lines;
      this.hidden.start = true;
      this.shown.lines -= block.lines;
      this.shown.chars -= block.chars;
    }
  }

  /** "N earlier lines hidden — Show all" at the top, once anything was let go. */
  showHidden() {
    if (!this.hidden.start) return;
    const count = this.hidden.lines;
    const what = count ? `${number.format(count)} earlier line${count === 1 ? "" : "s"} hidden` : "The start is hidden";
    const canShow = this.finished && this.runId != null;
    const text = canShow ? `${what} — ` : `${what} — all of it can be shown once the run has ended`;
    if (text === this.noteText) return;
    this.noteText = text;
    if (!this.note) {
      this.note = h("p", { class: "hidden-lines" });
      this.element.prepend(this.note);
    }
    const button =
      canShow && h("button", { type: "button", class: "small", onclick: () => this.showAll() }, "Show all");
    this.note.replaceChildren(text, button || "");
  }

  /** While the reader is scrolled up: a button to the end, where new output waits. */
  showJump() {
    if (!this.jump) {
      this.jump = h("button", { type: "button", class: "jump small", onclick: () => this.toEnd() });
      this.element.append(this.jump);
    }
    const count = this.tail.lines + this.tail.dropped;
    const what = count ? `${number.format(count)} new line${count === 1 ? "" : "s"} below` : "New output below";
    this.jump.replaceChildren(h("span", { "aria-hidden": "true" }, "↓ "), what);
  }

  toEnd() {
    this.element.focus({ preventScroll: true });
    this.following = true;
    this.draw();
    this.element.scrollTop = this.element.scrollHeight;
  }

  hold() {
    if (this.element.scrollTop > 0) this.following = false; // else there is nothing above
  }

  scrolled() {
    const box = this.element;
    const following = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_END;
    if (following === this.following) return;
    this.following = following;
    if (following) this.schedule();
  }

  /** Draws the run's whole stored output (stdout, then stderr), a few blocks per frame. */
  async showAll() {
    const drawing = ++this.drawing;
    const button = this.note?.querySelector("button");
    if (button) button.disabled = true;
    let record;
    try {
      record = await api("GET", `/api/runs/${this.runId}`);
    } catch (error) {
      if (button) button.disabled = false;
      toast(error.message, "bad");
      return;
    }
    if (drawing !== this.drawing) return;
    if (!record.stdout && !record.stderr) {
      if (button) button.disabled = false;
      toast("This run's output is no longer kept: old runs' output is deleted after a while.");
      return;
    }
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.tail.clear();
    this.hide(this.blocks.length);
    this.hidden = { lines: 0, start: false };
    this.following = false;
    this.jump?.remove();
    this.jump = null;
    this.container().classList.add("all"); // blocks out of view are not laid out
    if (record.stdout && record.stderr) {
      this.noteText = "Printed output (stdout) is shown before errors (stderr).";
      this.note.replaceChildren(this.noteText);
    } else {
      this.note?.remove();
      this.note = null;
    }
    this.element.focus({ preventScroll: true });
    this.element.scrollTop = 0;
    const left = [
      { stream: "stdout", text: record.stdout ?? "", at: 0 },
      { stream: "stderr", text: record.stderr ?? "", at: 0 },
    ].filter((piece) => piece.text);
    const step = () => {
      if (drawing !== this.drawing) return;
      const until = performance.now() + FRAME_BUDGET;
      while (left.length && performance.now() < until) {
        const piece = left[0];
        const end = pieceEnd(piece.text, piece.at, BLOCK_LINES, BLOCK_CHARS);
        this.add(piece.stream, piece.text.slice(piece.at, end));
        // the size of a block not laid out yet, until it has been (wrapped lines aside)
        const block = this.blocks.at(-1);
        block.element.style.setProperty("contain-intrinsic-block-size", `auto ${block.lines * 1.5 + 1.5}em`);
        piece.at = end;
        if (end >= piece.text.length) left.shift();
      }
      if (left.length) requestAnimationFrame(step);
    };
    step();
  }
}
