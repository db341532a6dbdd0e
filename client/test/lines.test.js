// The live console's text handling (src/lib/lines.js): counting lines, cutting pieces, and
// keeping only the last lines of what waits to be drawn.
// Run with `node --test test/` (tests/unit/test_client_js.py does, so `just test` does).

import assert from "node:assert/strict";
import { test } from "node:test";
import { countLines, pieceEnd, Tail } from "../src/lib/lines.js";

/** The text a tail holds, by stream: "o:" for stdout, "e:" for stderr. */
function text(tail) {
  return tail.pieces.map((piece) => `${piece.stream === "stdout" ? "o" : "e"}:${piece.text}`).join("|");
}

function numbered(from, to) {
  let out = "";
  for (let n = from; n <= to; n++) out += `${n}\n`;
  return out;
}

test("countLines counts line ends", () => {
  assert.equal(countLines(""), 0);
  assert.equal(countLines("no end"), 0);
  assert.equal(countLines("a\nb\n"), 2);
  assert.equal(countLines("\n\n\npartial"), 3);
});

test("pieceEnd stops after the last line end allowed, or at the characters allowed", () => {
  const text = "one\ntwo\nthree\n";
  assert.equal(pieceEnd(text, 0, 1, 100), 4);
  assert.equal(pieceEnd(text, 0, 2, 100), 8);
  assert.equal(pieceEnd(text, 4, 1, 100), 8);
  assert.equal(pieceEnd(text, 0, 5, 100), text.length); // fewer lines than allowed: all of it
  assert.equal(pieceEnd(text, 0, 2, 6), 6); // the characters run out first
  assert.equal(pieceEnd(text, 0, 0, 100), 0);
  assert.equal(pieceEnd("a very long line", 2, 10, 4), 6);
});

test("a tail joins neighbours of one stream and keeps the order of the streams", () => {
  const tail = new Tail(100, 1000);
  tail.push("stdout", "a\n");
  tail.push("stdout", "b\n");
  tail.push("stderr", "oops\n");
  tail.push("stdout", "c");
  assert.equal(text(tail), "o:a\nb\n|e:oops\n|o:c");
  assert.equal(tail.lines, 3);
  const taken = tail.take();
  assert.equal(taken.dropped, 0);
  assert.equal(taken.cut, false);
  assert.equal(taken.pieces.length, 3);
  assert.ok(tail.empty);
});

test("a tail keeps the last `cap` lines, starting at a line's start, and counts what it let go", () => {
  const tail = new Tail(10, 1_000_000);
  for (let n = 1; n <= 1000; n++) tail.push(n % 7 ? "stdout" : "stderr", `${n}\n`);
  assert.ok(tail.lines <= 20, "trimmed as it grows, not only when taken");
  const taken = tail.take();
  const kept = taken.pieces.map((piece) => piece.text).join("");
  assert.equal(kept, numbered(991, 1000));
  assert.equal(taken.dropped, 990);
  assert.equal(taken.cut, false);
});

test("taking the oldest lines leaves the rest for later, with what was let go said once", () => {
  const tail = new Tail(5, 1000);
  tail.push("stdout", numbered(1, 8));
  tail.push("stderr", "e9\ne10\ne1");
  const first = tail.take(2);
  assert.equal(text({ pieces: first.pieces }), "o:6\n7\n");
  assert.equal(first.dropped, 5);
  const second = tail.take(2);
  assert.equal(text({ pieces: second.pieces }), "o:8\n|e:e9\n");
  assert.equal(second.dropped, 0);
  assert.equal(text(tail), "e:e10\ne1");
  const third = tail.take(5);
  assert.equal(text({ pieces: third.pieces }), "e:e10\ne1"); // a partial line is drawn too
  assert.ok(tail.empty);
});

test("taking at most some characters cuts a long line", () => {
  const tail = new Tail(100, 1000);
  tail.push("stdout", "abcdefgh");
  assert.equal(text({ pieces: tail.take(10, 3).pieces }), "o:abc");
  assert.equal(text({ pieces: tail.take(10, 3).pieces }), "o:def");
  assert.equal(text({ pieces: tail.take(10, 3).pieces }), "o:gh");
  assert.ok(tail.empty);
});

test("a partial last line is kept with the lines before it", () => {
  const tail = new Tail(2, 1000);
  tail.push("stdout", "1\n2\n3\n4");
  tail.push("stdout", "5");
  const taken = tail.take();
  assert.equal(taken.pieces.map((piece) => piece.text).join(""), "2\n3\n45");
  assert.equal(taken.dropped, 1);
});

test("lines cut across pieces: the line begun in a dropped piece goes too", () => {
  const tail = new Tail(1, 1000);
  tail.push("stdout", "a\nb");
  tail.push("stderr", "c\nd\n");
  const taken = tail.take();
  assert.deepEqual(
    taken.pieces.map((piece) => [piece.stream, piece.text, piece.lines]),
    [["stderr", "d\n", 1]],
  );
  assert.equal(taken.dropped, 2);
});

test("one very long line is kept to its last `maxChars` characters, marked as cut", () => {
  const tail = new Tail(100, 10);
  tail.push("stdout", "x".repeat(15));
  tail.push("stdout", "y".repeat(10));
  const taken = tail.take();
  assert.equal(taken.pieces.map((piece) => piece.text).join(""), "y".repeat(10));
  assert.equal(taken.dropped, 0);
  assert.equal(taken.cut, true);
});

test("a cut at a line's end is no cut", () => {
  const tail = new Tail(100, 4);
  tail.push("stdout", "abc\n");
  tail.push("stderr", "def\n");
  const taken = tail.take();
  assert.equal(text({ pieces: taken.pieces }), "e:def\n");
  assert.equal(taken.dropped, 1);
  assert.equal(taken.cut, false);
});

test("a million lines in small pieces (a tail that is not linear would run into the timeout)", () => {
  const tail = new Tail(5000, 500_000);
  for (let n = 0; n < 1_000_000; n++) tail.push("stdout", `line ${n}\n`);
  const taken = tail.take();
  assert.equal(taken.dropped, 995_000);
  assert.equal(countLines(taken.pieces.map((piece) => piece.text).join("")), 5000);
});
