import {
  Composer,
  CST,
  type Document,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  visit,
} from "yaml";
import type { z } from "zod";
import { located } from "./schemas/fields.ts";
import { LIMITS } from "./schemas/limits.ts";

/** One problem with an input, named by its path (`spec.resources.gpu.count`), and where it is in the text. */
export interface FieldIssue {
  field: string;
  message: string;
  /** 1-based, when the input was text. */
  line?: number;
  column?: number;
}

const at = (i: FieldIssue): string => (i.line === undefined ? "" : ` (line ${i.line}, column ${i.column ?? 1})`);

/** Thrown when input does not match its schema; carries every issue with the field it concerns. */
export class ValidationError extends Error {
  readonly code = "validation_failed";
  constructor(
    readonly issues: FieldIssue[],
    readonly source = "input",
  ) {
    super(`${source} is invalid: ${issues.map((i) => `${i.field || "(root)"}: ${i.message}${at(i)}`).join("; ")}`);
    this.name = "ValidationError";
  }
}

/** Where a path is in a document's text. */
export type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

/** Parse `value` with `schema`, or throw a ValidationError naming each bad field (and its line, given `locate`). */
export const parseWith = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  source?: string,
  locate?: Locate,
): z.infer<S> => {
  // reportInput lets an unknown-field issue see the object's own keys, so it never suggests one that is there.
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issues = located(result.error, schema).map(({ path, ...issue }) => ({ ...issue, ...locate?.(path) }));
    throw new ValidationError(issues, source);
  }
  return result.data;
};

// ---- text ------------------------------------------------------------------------------------------------------

/** Alias expansions per document and nesting depth: see `LIMITS.aliases` and `LIMITS.nesting`. */
const MAX_ALIAS_COUNT = LIMITS.aliases.value;
const MAX_NESTING = LIMITS.nesting.value;

/** One document of a text: its plain value, and where each path is in the text. */
export interface SourceDocument {
  value: unknown;
  locate: Locate;
}

const positionIn = (lines: LineCounter) => (offset: number) => {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
};

/** The node a path leads to: a map entry's key (that is where the field is written) or a list item. */
const locator =
  (doc: Document, position: (offset: number) => { line: number; column: number }): Locate =>
  (path) => {
    let node: unknown = doc.contents;
    let found: Node | undefined = isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        if (isScalar(pair.key)) found = pair.key;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (!item || !(isMap(item) || isSeq(item) || isScalar(item))) break;
        found = item;
        node = item;
      } else break;
    }
    const offset = found?.range?.[0];
    return offset === undefined ? undefined : position(offset);
  };

/** The text around `offset` on its line (at most 80 characters), for saying what the parser saw. */
const lineAt = (text: string, offset: number): string => {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const newline = text.indexOf("\n", offset);
  const lineEnd = newline === -1 ? text.length : newline;
  const from = Math.max(lineStart, offset - 30);
  const to = Math.min(lineEnd, from + 80);
  return `${from > lineStart ? "..." : ""}${text.slice(from, to).trim()}${to < lineEnd ? "..." : ""}`;
};

/** The key a DUPLICATE_KEY error points at. */
const keyAt = (doc: Document, offset: number): string | undefined => {
  let key: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        key = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key;
};

const syntaxIssues = (doc: Document, text: string, position: (o: number) => { line: number; column: number }) => {
  const seen = new Set<number>();
  const issues: FieldIssue[] = [];
  for (const e of doc.errors) {
    const offset = e.pos[0];
    if (seen.has(offset) || issues.length >= 5) continue;
    seen.add(offset);
    const duplicate = e.code === "DUPLICATE_KEY" ? keyAt(doc, offset) : undefined;
    const what = duplicate === undefined ? e.message : `duplicate key ${JSON.stringify(duplicate)}`;
    const saw = offset >= text.length ? "the end of the text" : `\`${lineAt(text, offset)}\``;
    issues.push({ field: "", message: `not valid YAML or JSON: ${what}; saw ${saw}`, ...position(offset) });
  }
  return issues;
};

/**
 * Why a string cannot be stored as text, or undefined: a NUL (written `\u0000` in JSON, `\0` in YAML, so the body's
 * own NUL check misses it) or a lone UTF-16 surrogate (`\ud800`) — PostgreSQL's text and jsonb refuse both, which
 * answered 500 where the input was at fault.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;
export const textIssue = (s: string): string | undefined => {
  if (s.includes("\u0000")) return "must not contain a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode (it holds a lone UTF-16 surrogate)";
  return undefined;
};

/** Values that JSON can carry: YAML's `.inf`, `.nan`, binary and the like are refused, naming the field. */
const plainValueIssues = (value: unknown, locate: Locate): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (issues.length >= 20) return;
    const refuse = (message: string): void => {
      issues.push({ field: path.join("."), message, ...locate(path) });
    };
    if (path.length > MAX_NESTING) {
      // Aliases can nest documents within documents, past what the text's own nesting showed.
      refuse(`nested more than ${MAX_NESTING} levels deep`);
    } else if (typeof v === "number") {
      if (!Number.isFinite(v)) refuse(`must be a finite number, not ${v} (YAML's .inf and .nan are not allowed)`);
    } else if (typeof v === "string") {
      const bad = textIssue(v);
      if (bad) refuse(bad);
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, [...path, i]);
    } else if (typeof v === "object" && v !== null) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) refuse("must be a string, number, boolean, list or map");
      else {
        for (const [k, item] of Object.entries(v)) {
          const bad = textIssue(k);
          // The field is named by its map: a key that cannot be stored cannot be echoed as is either.
          if (bad) issues.push({ field: path.join("."), message: `key ${JSON.stringify(k)} ${bad}`, ...locate(path) });
          else walk(item, [...path, k]);
        }
      }
    } else if (v !== null && typeof v !== "string" && typeof v !== "boolean") {
      refuse("must be a string, number, boolean, list or map");
    }
  };
  walk(value, []);
  return issues;
};

/**
 * Parse JSON or YAML text (JSON is YAML) into documents; empty documents are skipped. Refuses, with line and column:
 * syntax errors, duplicate keys, non-string keys, alias bombs, values JSON cannot carry.
 */
export const readDocuments = (text: string, source = "input"): SourceDocument[] => {
  const json = readJsonDocument(text, source);
  if (json !== undefined) return json;
  return readYamlDocuments(text, source);
};

/** What a JSON text holds outside its strings: how many map entries (its colons) and how deeply it nests. */
const jsonShape = (text: string): { entries: number; depth: number } => {
  let entries = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character, a quote included.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) entries++;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { entries, depth: deepest };
};

const keysIn = (v: unknown): number => {
  if (Array.isArray(v)) return v.reduce((n: number, item) => n + keysIn(item), 0);
  if (typeof v !== "object" || v === null) return 0;
  let n = 0;
  for (const item of Object.values(v)) n += 1 + keysIn(item);
  return n;
};

/**
 * A JSON map or list read with `JSON.parse`, when that gives what the YAML reader would: a submission's body went
 * through yaml's lexer, parser and composer, ~2 ms of the hub's event loop per submit under load (a CPU profile of
 * the fleet benchmark). Anything the YAML reader might refuse or read differently is left to it (undefined): text
 * JSON.parse refuses, a key written twice (JSON.parse keeps the last; the text has more colons than the value has
 * keys), deep nesting, `__proto__`, values JSON cannot carry. Where a field is in the text is found, by the YAML
 * reader, only when an error needs it.
 */
const readJsonDocument = (text: string, source: string): SourceDocument[] | undefined => {
  const start = text.search(/\S/);
  if (start < 0 || (text[start] !== "{" && text[start] !== "[") || text.includes("__proto__")) return undefined;
  const shape = jsonShape(text);
  // The YAML reader's gauge counts a level or two more than the brackets; near the limit, let it decide.
  if (shape.depth > MAX_NESTING - 4) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (keysIn(value) !== shape.entries) return undefined;
  let located: Locate | undefined;
  const locate: Locate = (path) => {
    located ??= readYamlDocuments(text, source)[0]?.locate ?? (() => undefined);
    return located(path);
  };
  if (plainValueIssues(value, () => undefined).length > 0) return undefined;
  return [{ value, locate }];
};

/** `readDocuments` through yaml: any JSON or YAML text, every refusal with its line and column. */
const readYamlDocuments = (text: string, source: string): SourceDocument[] => {
  const lines = new LineCounter();
  const position = positionIn(lines);
  const docs = composeGuarded(text, lines, source);
  const out: SourceDocument[] = [];
  for (const doc of docs) {
    const syntax = syntaxIssues(doc, text, position);
    if (syntax.length > 0) throw new ValidationError(syntax, source);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // Unresolved aliases, too many aliases, or aliases nesting past the stack: the text's fault, said as such.
      if (!(e instanceof Error)) throw e;
      const message = /alias count/i.test(e.message)
        ? `refused: YAML aliases expand more than ${MAX_ALIAS_COUNT} times (a resource exhaustion attack, or a mistake)`
        : `not valid YAML or JSON: ${e.message}`;
      throw new ValidationError([{ field: "", message, ...position(doc.range[0]) }], source);
    }
    const locate = locator(doc, position);
    const plain = plainValueIssues(value, locate);
    if (plain.length > 0) throw new ValidationError(plain, source);
    if (value !== null && value !== undefined) out.push({ value, locate });
  }
  return out;
};

/**
 * yaml's lexer → parser → composer, as `parseAllDocuments` runs them, with a nesting gauge on the lexemes in front:
 * the composer recurses once per level, and a few hundred kilobytes of `[[[[…` overflow its stack — which, after an
 * earlier overflow, has been seen to kill Node outright (a fatal RegExp allocation failure, not a catchable error).
 * The gauge refuses the text before the composer sees it; it costs one pass over the lexemes the parser reads anyway.
 */
const composeGuarded = (text: string, lines: LineCounter, source: string): Document.Parsed[] => {
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({ uniqueKeys: true, stringKeys: true, resolveKnownTags: false });
  const gauge = nestingGauge();
  const docs: Document.Parsed[] = [];
  lines.addNewLine(0);
  let offset = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (gauge(lexeme) > MAX_NESTING) {
      const p = lines.linePos(offset);
      const message = `nested more than ${MAX_NESTING} levels deep`;
      throw new ValidationError([{ field: "", message, line: p.line, column: p.col }], source);
    }
    for (const token of parser.next(lexeme)) docs.push(...composer.next(token));
    // The lexer's control markers (document, scalar, flow end) are not in the text.
    if (lexeme !== CST.DOCUMENT && lexeme !== CST.SCALAR && lexeme !== CST.FLOW_END) offset += lexeme.length;
  }
  for (const token of parser.end()) docs.push(...composer.next(token));
  docs.push(...composer.end());
  return docs;
};

/**
 * An upper estimate of the nesting depth at each lexeme: open flow collections, plus open block indentation levels
 * (outside flow collections, where indentation means nothing), plus `-` and `?` indicators on the current line.
 * Comment lines and scalar contents never lower it, so no text can hide depth from it.
 */
const nestingGauge = () => {
  let flow = 0;
  let indents: number[] = [];
  let onLine = 0;
  let atLineStart = true;
  let lineIndent = 0;
  let scalarNext = false;
  const content = (): void => {
    if (!atLineStart) return;
    atLineStart = false;
    if (flow > 0) return;
    while (indents.length > 0 && indents.at(-1)! >= lineIndent) indents.pop();
    indents.push(lineIndent);
  };
  return (lexeme: string): number => {
    if (scalarNext) {
      // A scalar's text (a block scalar's spans lines and ends with its last newline).
      scalarNext = false;
      if (lexeme.endsWith("\n")) [atLineStart, lineIndent, onLine] = [true, 0, 0];
      return indents.length + onLine + flow;
    }
    switch (CST.tokenType(lexeme)) {
      case "newline":
        [atLineStart, lineIndent, onLine] = [true, 0, 0];
        break;
      case "space":
        if (atLineStart) lineIndent = lexeme.length;
        break;
      case "comment":
      case "byte-order-mark":
      case "doc-mode":
        break;
      case "doc-start":
      case "doc-end":
      case "directive-line":
        [flow, indents, onLine, atLineStart, lineIndent] = [0, [], 0, true, 0];
        break;
      case "scalar":
        content();
        scalarNext = true;
        break;
      case "seq-item-ind":
      case "explicit-key-ind":
        content();
        onLine++;
        break;
      case "flow-seq-start":
      case "flow-map-start":
        content();
        flow++;
        break;
      case "flow-seq-end":
      case "flow-map-end":
        content();
        flow = Math.max(0, flow - 1);
        break;
      default:
        content();
    }
    return indents.length + onLine + flow;
  };
};

/** Parse JSON or YAML text into plain values; one value per document. */
export const parseDocuments = (text: string, source = "input"): unknown[] =>
  readDocuments(text, source).map((d) => d.value);

/** Parse text holding exactly one document: its value and where each path is in the text. */
export const readDocument = (text: string, source = "input"): SourceDocument => {
  const docs = readDocuments(text, source);
  if (docs.length !== 1) {
    throw new ValidationError([{ field: "", message: `expected one document, found ${docs.length}` }], source);
  }
  return docs[0]!;
};

/** Parse text holding exactly one document. */
export const parseDocument = (text: string, source = "input"): unknown => readDocument(text, source).value;

/** Parse text holding one document with `schema`; each issue carries the line and column of its field. */
export const parseDocumentWith = <S extends z.ZodType>(schema: S, text: string, source = "input"): z.infer<S> => {
  const doc = readDocument(text, source);
  return parseWith(schema, doc.value, source, doc.locate);
};
