/**
 * Request bodies and query strings are parsed once, at the edge, with zod; the first
 * problem becomes a 400 that names the field and what it should be.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';

export function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  if (input === null || input === undefined) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw badRequest('the request body must be a JSON object');
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw badRequest(describeIssue(result.error.issues[0]!, input));
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
    if (value === undefined) return `${field} is missing`;
    return `${field} must be ${article(issue.expected)}, not ${describeValue(value)}`;
  }
  if (issue.code === 'invalid_value') return `${field} must be one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown field`;
  return `${field} ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array') return 'an array';
  if (expected === 'object') return 'an object';
  return `a ${expected}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** The largest id and count the store holds (a PostgreSQL `integer`). */
export const MAX_INT = 2_147_483_647;

/**
 * An integer given as a JSON number or as a string of digits (GitLab accepts both), at
 * most MAX_INT: a larger one is a 400 here, not a database error later.
 */
const NOT_AN_INTEGER = 'must be an integer (a number or a string of digits)';

export const intLike = z
  .union([z.number().refine(Number.isInteger, NOT_AN_INTEGER), z.string().regex(/^\d+$/).transform(Number)], {
    // One message for the union, not zod's "invalid input": say what is wrong and what fits.
    error: (issue) => (issue.input === undefined ? 'is missing' : NOT_AN_INTEGER),
  })
  .pipe(z.number().max(MAX_INT, `must be at most ${MAX_INT}`));

export const booleanLike = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const pagination = z.object({
  page: intLike.pipe(z.number().min(1, 'must be 1 or more')).optional(),
  per_page: intLike.pipe(z.number().min(1, 'must be 1 or more').max(100, 'must be 100 or less')).optional(),
});

/** An id in a body or query: an integer from 1 (GitLab's ids never are 0 or negative). */
export const idLike = intLike.pipe(z.number().min(1, 'must be a positive integer (ids start at 1)'));

/** Unicode control characters (category Cc): NUL, ESC, DEL, the C1 range… */
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, except tab, line feed and carriage return, which multi-line text may hold. */
const CONTROL_CHAR_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function refuseControlChars(pattern: RegExp) {
  return function checkControlChars(value: string, ctx: z.RefinementCtx): void {
    const m = pattern.exec(value);
    if (!m) return;
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    ctx.addIssue({ code: 'custom', message: `cannot contain control characters (U+${code} at position ${m.index + 1}); remove it` });
  };
}

/**
 * A name shown to people (user, token, job, cluster names): one line, no control
 * characters — an ESC in a name is a terminal escape sequence waiting for a log viewer.
 */
export function nameText(max: number) {
  return z.string().min(1, 'is missing').max(max, `is too long (maximum is ${max} characters)`).superRefine(refuseControlChars(CONTROL_CHAR));
}

/** Free text (descriptions): line breaks and tabs allowed, other control characters not. */
export function freeText(max: number) {
  return z.string().max(max, `is too long (maximum is ${max} characters)`).superRefine(refuseControlChars(CONTROL_CHAR_IN_TEXT));
}
