/**
 * One error type for everything a user can be told about. `message` must be suitable to
 * show to the user: it names the thing and the way out. Anything else that is thrown is
 * an internal error: logged in full, answered with a generic 500.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'timeout';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  too_many_requests: 429,
  unavailable: 503,
  timeout: 504,
};

export class KubegateError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubegateError';
    this.code = code;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export const badRequest = (message: string) => new KubegateError('bad_request', message);
export const unauthorized = (message = '401 Unauthorized') => new KubegateError('unauthorized', message);
export const forbidden = (message = '403 Forbidden') => new KubegateError('forbidden', message);
export const notFound = (what: string) => new KubegateError('not_found', `404 ${what} Not Found`);
export const conflict = (message: string) => new KubegateError('conflict', message);

export function isKubegateError(err: unknown): err is KubegateError {
  return err instanceof KubegateError;
}
