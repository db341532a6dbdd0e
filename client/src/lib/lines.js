// Printed text as lines, for the live console (output.js draws it): counting line ends,
// keeping only the last lines of what waits to be drawn, and cutting text into blocks.
// Pure functions and data, unit-tested in client/test/lines.test.js.

/** How many line ends ("\n") `text` holds. */
export function countLines(text) {
  let count = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** Where a piece of `text` starting at `from` ends when it may hold at most `lines` line
 * ends and `chars` characters: just after its last line end allowed, or sooner. */
export function pieceEnd(text, from, lines, chars) {
  const limit = Math.min(text.length, from + Math.max(0, chars));
  let at = from - 1;
  for (let left = lines; left > 0; left--) {
    at = text.indexOf("\n", at + 1);
    if (at === -1 || at >= limit) return limit;
  }
  return Math.min(at + 1, limit);
}

/**
 * Output waiting to be drawn: pieces of stdout and stderr in the order printed (neighbours
 * of one stream joined), of which only the last `cap` lines and `maxChars` characters are
 * kept, however much arrives meanwhile. `dropped` counts the line ends let go, and `cut`
 * says whether what is kept starts in the middle of a line.
 */
export class Tail {
  constructor(cap, maxChars) {
    this.cap = cap;
    this.maxChars = maxChars;
    this.clear();
  }

  clear() {
    this.pieces = [];
    this.lines = 0;
    this.chars = 0;
    this.dropped = 0;
    this.cut = false;
  }

  get empty() {
    return this.pieces.length === 0 && this.dropped === 0 && !this.cut;
  }

  push(stream, text) {
    if (!text) return;
    const lines = countLines(text);
    const last = this.pieces.at(-1);
    if (last?.stream === stream) {
      last.text += text;
      last.lines += lines;
    } else {
      this.pieces.push({ stream, text, lines });
    }
    this.lines += lines;
    this.chars += text.length;
    // trimmed lazily, so that the work stays linear in what arrives
    if (this.lines > 2 * this.cap || this.chars > 2 * this.maxChars) this.trim();
  }

  /** Lets go of all but the last `cap` lines and `maxChars` characters. */
  trim() {
    if (this.lines > this.cap) this.dropLines(this.lines - this.cap);
    if (this.chars > this.maxChars) this.dropChars(this.chars - this.maxChars);
  }

  /** The oldest of what is kept, trimmed: up to and including its `lines`-th line end and at
   * most `chars` characters (all of it by default), as {pieces, dropped, cut}. */
  take(lines = Infinity, chars = Infinity) {
    this.trim();
    const taken = { pieces: this.shift(lines, chars), dropped: this.dropped, cut: this.cut };
    this.dropped = 0;
    this.cut = false;
    return taken;
  }

  /** Drops the text up to and including the `count`-th line end. */
  dropLines(count) {
    this.shift(count, Infinity);
    this.dropped += count;
    this.cut = false; // what is kept starts just after a line end
  }

  /** Drops the first `count` characters (a very long line is then cut). */
  dropChars(count) {
    const gone = this.shift(Infinity, count);
    this.dropped += gone.reduce((sum, piece) => sum + piece.lines, 0);
    this.cut = !gone.at(-1).text.endsWith("\n");
  }

  /** Removes and returns the oldest pieces: up to and including the `lines`-th line end, and
   * at most `chars` characters. */
  shift(lines, chars) {
    const taken = [];
    for (let left = { lines, chars }; this.pieces.length && left.lines > 0 && left.chars > 0; ) {
      const first = this.pieces[0];
      const end = pieceEnd(first.text, 0, left.lines, left.chars);
      let piece = first;
      if (end === first.text.length) this.pieces.shift();
      else {
        const text = first.text.slice(0, end);
        piece = { stream: first.stream, text, lines: countLines(text) };
        first.text = first.text.slice(end);
        first.lines -= piece.lines;
      }
      taken.push(piece);
      left.lines -= piece.lines;
      left.chars -= piece.text.length;
      this.lines -= piece.lines;
      this.chars -= piece.text.length;
    }
    return taken;
  }
}
