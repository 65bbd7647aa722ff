/**
 * Collects errors and warnings while the document is validated, and turns a place in the
 * document (a path of keys and indexes) into a line and column through the YAML nodes,
 * so validators work on plain values and still say where the problem is.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { formatPath, type Path } from './describe.js';
import type { ConfigProblem } from './types.js';

export interface Position {
  line: number;
  column: number;
}

/** `key`: point at the key (unknown keys); `value`: at its value (wrong types). */
export type Target = 'key' | 'value';

export interface Reporter {
  readonly errors: ConfigProblem[];
  readonly warnings: ConfigProblem[];
  error(path: Path, text: string, target?: Target): void;
  warning(path: Path, text: string, target?: Target): void;
  /** Where the node at `path` is, or the closest enclosing node that exists in the source. */
  position(path: Path, target?: Target): Position | undefined;
}

export function createReporter(doc: Document, lineCounter: LineCounter): Reporter {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  function position(path: Path, target: Target = 'value'): Position | undefined {
    const offset = findOffset(doc, path, target);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  }

  function problem(path: Path, text: string, target: Target): ConfigProblem {
    return withPosition(text, position(path, target), path.length > 0 ? formatPath(path) : undefined);
  }

  return {
    errors,
    warnings,
    position,
    error: function reportError(path, text, target = 'value') {
      errors.push(problem(path, text, target));
    },
    warning: function reportWarning(path, text, target = 'value') {
      warnings.push(problem(path, text, target));
    },
  };
}

/** Top to bottom, the order people fix a file in; problems without a place first. */
export function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** A problem whose message starts with its place, so it reads well on its own. */
export function withPosition(text: string, at: Position | undefined, path?: string): ConfigProblem {
  const out: ConfigProblem = { message: at ? `line ${at.line}, column ${at.column}: ${text}` : text };
  if (at) {
    out.line = at.line;
    out.column = at.column;
  }
  if (path !== undefined) out.path = path;
  return out;
}

/**
 * Walks the node tree along `path`. Aliases on the way are followed (so positions inside
 * them are the anchor's); a key that came from a `<<` merge is not in the map itself, and
 * then the enclosing map is the best place there is.
 */
function findOffset(doc: Document, path: Path, target: Target): number | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  let best = rangeStart(node);
  for (const [i, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return best;
      keyNode = pair.key;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    } else {
      return best;
    }
    const last = i === path.length - 1;
    const at = last && target === 'key' && keyNode ? rangeStart(keyNode) : (rangeStart(next) ?? rangeStart(keyNode));
    if (at !== undefined) best = at;
    node = next;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  // An empty value (`id:` and nothing) has a zero-length range after the key: point at the key instead.
  if (!range || (range[0] === range[1] && isScalar(node) && node.value === null)) return undefined;
  return range[0];
}
