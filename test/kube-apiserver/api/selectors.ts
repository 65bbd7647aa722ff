// Label and field selectors with the syntax the real API server accepts
// (`a=b,c!=d,e in (x,y),f notin (z),g,!h`; fields: `metadata.name=x`).

import { badRequest } from './status.js';
import type { KubeObject } from './types.js';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export type ObjectPredicate = (obj: KubeObject) => boolean;

function splitTopLevel(selector: string): string[] {
  // Commas inside `in (a,b)` sets do not separate requirements.
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '') parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(text: string): Requirement {
  const setMatch = /^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { key: setMatch[1]!, op: setMatch[2] as 'in' | 'notin', values };
  }
  const neq = /^([^\s!=]+)\s*!=\s*(.*)$/.exec(text);
  if (neq) return { key: neq[1]!, op: 'notin', values: [neq[2]!.trim()] };
  const eq = /^([^\s!=]+)\s*==?\s*(.*)$/.exec(text);
  if (eq) return { key: eq[1]!, op: 'in', values: [eq[2]!.trim()] };
  if (/^![^\s!=]+$/.test(text)) return { key: text.slice(1), op: 'notexists' };
  if (/^[^\s!=()]+$/.test(text)) return { key: text, op: 'exists' };
  throw badRequest(`unable to parse requirement: ${text}`);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
  }
}

export function parseLabelSelector(selector: string | null | undefined): ObjectPredicate {
  if (!selector) return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return function labelSelectorMatches(obj) {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => matches(r, labels[r.key]));
  };
}

/** Matches a structured `matchLabels`/`matchExpressions` selector (deployments, aggregation rules). */
export function matchesLabelSelectorObject(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] },
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = l[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (e.operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
    if (e.operator === 'Exists' && value === undefined) return false;
    if (e.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

function fieldValue(obj: KubeObject, path: string): string | undefined {
  let current: unknown = obj;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return undefined;
  return String(current);
}

export function parseFieldSelector(selector: string | null | undefined): ObjectPredicate {
  if (!selector) return () => true;
  const reqs = splitTopLevel(selector).map((text) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (!m) throw badRequest(`invalid field selector: ${text}`);
    return { path: m[1]!, negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return function fieldSelectorMatches(obj) {
    return reqs.every((r) => {
      // Unset fields compare as "" like the real field-label conversion functions.
      const actual = fieldValue(obj, r.path) ?? '';
      return r.negate ? actual !== r.value : actual === r.value;
    });
  };
}

/** The name a list/watch is restricted to by `fieldSelector=metadata.name=x`; RBAC resourceNames use it. */
export function fieldSelectorName(selector: string | null | undefined): string | undefined {
  if (!selector) return undefined;
  for (const part of splitTopLevel(selector)) {
    const m = /^metadata\.name\s*==?\s*(.+)$/.exec(part);
    if (m) return m[1]!.trim();
  }
  return undefined;
}
