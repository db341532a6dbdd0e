// The code editor: CodeMirror 6 with Python (for .py files), line numbers, indentation,
// search, history, one state per file (each with its own undo history), and a mark on the
// line where a run failed.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  foldGutter,
  foldKeymap,
  HighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { EditorState, Prec, RangeSet, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  drawSelection,
  dropCursor,
  EditorView,
  GutterMarker,
  gutterLineClass,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

// Colours chosen for at least 4.5:1 contrast on white.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "#7b2fa8" },
  { tag: [t.string, t.special(t.string)], color: "#1a6b2f" },
  { tag: t.comment, color: "#5f6773", fontStyle: "italic" },
  { tag: [t.number, t.bool, t.null], color: "#a3401a" },
  { tag: [t.function(t.definition(t.variableName)), t.function(t.variableName)], color: "#1c4fb8" },
  { tag: [t.definition(t.className), t.className], color: "#8a4b00" },
  { tag: t.meta, color: "#8a4b00" },
  { tag: [t.self, t.special(t.variableName)], color: "#a3401a" },
  { tag: t.invalid, color: "#b3261e" },
]);

const pythonLanguage = python();

/** The language of a file: Python for `.py`, plain text otherwise (requirements.txt). */
const languageOf = (path) => (path.endsWith(".py") ? [pythonLanguage] : []);

const setError = StateEffect.define();
const errorLine = Decoration.line({ class: "cm-error-line" });
const errorGutter = new (class extends GutterMarker {
  elementClass = "cm-error-gutter";
})();

/** The line marked as where the last run failed (moves with edits, cleared on demand). */
const errorField = StateField.define({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setError)) {
        marks = effect.value == null ? Decoration.none : Decoration.set([errorLine.range(effect.value)]);
      }
    }
    return marks;
  },
  provide: (field) => [
    EditorView.decorations.from(field),
    gutterLineClass.from(field, (marks) => {
      const ranges = [];
      for (let it = marks.iter(); it.value; it.next()) ranges.push(errorGutter.range(it.from));
      return RangeSet.of(ranges);
    }),
  ],
});

const theme = EditorView.theme({
  "&": { backgroundColor: "#ffffff" },
  ".cm-content": { padding: "6px 0" },
  ".cm-cursor": { borderLeftColor: "#1b1f24", borderLeftWidth: "2px" },
  "&.cm-focused .cm-selectionBackground, ::selection": { backgroundColor: "#cfdcf7" },
  ".cm-selectionBackground": { backgroundColor: "#dde5f5" },
  ".cm-matchingBracket": { backgroundColor: "#dbe6d4", outline: "1px solid #9bb78f" },
});

export class Editor {
  /**
   * @param {HTMLElement} parent
   * @param {{files: Object<string,string>, entry: string, readOnly: boolean,
   *          onChange?: () => void, keys?: import("@codemirror/view").KeyBinding[],
   *          label?: string, styleNonce?: string}} options
   *   `styleNonce` lets CodeMirror add its style sheet under the page's CSP.
   */
  constructor(
    parent,
    { files, entry, readOnly = false, onChange = () => {}, keys = [], label = "Code", styleNonce = "" },
  ) {
    this.readOnly = readOnly;
    this.onChange = onChange;
    this.entry = entry;
    this.saved = { ...files };
    this.states = new Map();
    this.extensions = [
      lineNumbers(),
      foldGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      dropCursor(),
      EditorState.allowMultipleSelections.of(true),
      indentOnInput(),
      indentUnit.of("    "),
      EditorState.tabSize.of(4),
      syntaxHighlighting(highlight),
      bracketMatching(),
      closeBrackets(),
      autocompletion(),
      rectangularSelection(),
      highlightActiveLine(),
      highlightActiveLineGutter(),
      highlightSelectionMatches(),
      search({ top: true }),
      errorField,
      theme,
      EditorView.cspNonce.of(styleNonce),
      Prec.highest(keymap.of(keys)),
      keymap.of([
        ...closeBracketsKeymap,
        ...defaultKeymap,
        ...searchKeymap,
        ...historyKeymap,
        ...foldKeymap,
        ...completionKeymap,
        indentWithTab,
      ]),
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) this.onChange();
      }),
    ];
    for (const [path, text] of Object.entries(files)) this.states.set(path, this.#state(path, text));
    this.current = files[entry] !== undefined ? entry : Object.keys(files)[0];
    parent.replaceChildren();
    this.view = new EditorView({ state: this.states.get(this.current), parent });
  }

  #state(path, text) {
    return EditorState.create({ doc: text, extensions: [this.extensions, languageOf(path)] });
  }

  #sync() {
    this.states.set(this.current, this.view.state);
  }

  get paths() {
    return [...this.states.keys()];
  }

  /** Every file's text as it is now. */
  files() {
    this.#sync();
    return Object.fromEntries([...this.states].map(([path, state]) => [path, state.doc.toString()]));
  }

  isDirty(path) {
    this.#sync();
    if (path !== undefined) {
      const state = this.states.get(path);
      return state === undefined || this.saved[path] !== state.doc.toString();
    }
    const paths = new Set([...this.states.keys(), ...Object.keys(this.saved)]);
    return [...paths].some((p) => this.isDirty(p));
  }

  /** The files as saved (after a save, or after loading the latest version). */
  markSaved(files) {
    this.saved = { ...files };
  }

  /** Replace every file (loading another version); nothing is kept of the old texts. */
  load(files) {
    this.states = new Map(Object.entries(files).map(([path, text]) => [path, this.#state(path, text)]));
    this.saved = { ...files };
    this.current =
      files[this.current] !== undefined
        ? this.current
        : files[this.entry] !== undefined
          ? this.entry
          : Object.keys(files)[0];
    this.view.setState(this.states.get(this.current));
    this.onChange();
  }

  open(path) {
    if (!this.states.has(path) || path === this.current) return;
    this.#sync();
    this.current = path;
    this.view.setState(this.states.get(path));
  }

  addFile(path, text = "") {
    this.states.set(path, this.#state(path, text));
    this.open(path);
    this.onChange();
  }

  removeFile(path) {
    if (path === this.entry) return;
    if (path === this.current) this.open(this.entry);
    this.states.delete(path);
    this.onChange();
  }

  /** Marks `line` of `path` as where the run failed and scrolls to it. */
  markError(path, line) {
    if (!this.states.has(path)) return false;
    this.open(path);
    const doc = this.view.state.doc;
    if (line < 1 || line > doc.lines) return false;
    const at = doc.line(line).from;
    this.view.dispatch({
      effects: [setError.of(at), EditorView.scrollIntoView(at, { y: "center" })],
    });
    return true;
  }

  clearErrors() {
    this.#sync();
    for (const [path, state] of this.states) {
      if (path === this.current) this.view.dispatch({ effects: setError.of(null) });
      else this.states.set(path, state.update({ effects: setError.of(null) }).state);
    }
    this.#sync();
  }

  /** Puts the cursor on `line` and focuses the editor. */
  goTo(line) {
    const doc = this.view.state.doc;
    const at = doc.line(Math.max(1, Math.min(line, doc.lines))).from;
    this.view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: "center" }) });
    this.view.focus();
  }

  focus() {
    this.view.focus();
  }
}
