import { describe, expect, test } from 'vitest';
import { ApiError } from './client';
import { fieldOf, formError } from './fields';

describe('which field an API error is about', () => {
  test('the message starts with the field name', () => {
    expect(fieldOf('name is missing', ['name', 'path'])).toBe('name');
    expect(fieldOf('name "Prod" must be lower case: use "prod"', ['name'])).toBe('name');
    expect(fieldOf('scopes: "x" is not a valid scope', ['scopes'])).toBe('scopes');
    expect(fieldOf('namespace_id must be an integer', ['name', 'namespace_id'])).toBe('namespace_id');
    const k8s = ['platform_kubernetes_attributes', 'platform_kubernetes_attributes.api_url'];
    expect(fieldOf('platform_kubernetes_attributes.api_url must be an https:// URL', k8s)).toBe('platform_kubernetes_attributes.api_url');
  });

  test('a message about something else concerns the whole form', () => {
    expect(fieldOf('403 Forbidden: you need the Maintainer role', ['name'])).toBeNull();
    expect(fieldOf('names are…', ['name'])).toBeNull();
  });

  test('a conflict is about the form\'s identifying field', () => {
    const err = new ApiError(409, 'an agent named "prod" is already registered in project platform/clusters; choose another name');
    expect(formError(err, ['name'], 'name')).toEqual({ field: 'name', message: err.message });
    expect(formError(new ApiError(403, '403 Forbidden'), ['name'], 'name')).toEqual({ field: null, message: '403 Forbidden' });
  });
});
