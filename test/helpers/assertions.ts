import assert from 'node:assert/strict';
import { isKubegateError } from '../../src/lib/errors.js';

/** For `assert.rejects`: a KubegateError with this HTTP status and a message matching `pattern`. */
export function rejectsWith(status: number, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isKubegateError(err), `a KubegateError, not ${String(err)}`);
    assert.equal(err.status, status, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}
