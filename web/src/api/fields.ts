/**
 * Which form field an API error is about. The API's messages start with the field's
 * name (`name is missing`, `platform_kubernetes_attributes.api_url must be an https://
 * URL…`, `scopes: "x" is not a valid scope`), so a form can put the message beside it.
 */
import { ApiError } from './client';

export interface FieldError {
  /** A field of the form, or null for the whole form. */
  field: string | null;
  message: string;
}

export function fieldOf(message: string, fields: readonly string[]): string | null {
  // Longest first: `platform_kubernetes_attributes.api_url` before a field called `platform`.
  const byLength = [...fields].sort((a, b) => b.length - a.length);
  for (const field of byLength) {
    if (message === field) return field;
    const next = message.charAt(field.length);
    if (message.startsWith(field) && (next === ' ' || next === ':' || next === ',')) return field;
  }
  return null;
}

/**
 * The field of an error thrown by a form's request. A conflict (409) names no field but
 * is about the form's identifying field (`conflictField`: the name or path taken).
 */
export function formError(err: unknown, fields: readonly string[], conflictField?: string): FieldError {
  if (err instanceof ApiError) {
    const field = fieldOf(err.message, fields) ?? (err.status === 409 && conflictField ? conflictField : null);
    return { field, message: err.message };
  }
  return { field: null, message: err instanceof Error ? err.message : String(err) };
}
