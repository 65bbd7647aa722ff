/**
 * Workarounds for Node.js behaviour that costs Kubegate measurably and that newer Node.js
 * releases have already changed. Each one checks that it is needed before it does anything.
 */
import { AsyncResource } from 'node:async_hooks';

/**
 * `AsyncResource#bind` in Node 20 gives every bound function a deprecated `asyncResource`
 * accessor (DEP0172) built from two `util.deprecate` wrappers, and each wrapper changes a
 * new function's prototype, which V8 handles slowly: about 7 µs per call here.
 * `ClientHttp2Session#request` binds once per stream, so on the server, which sends every
 * proxied request as an HTTP/2 stream, this was ~6 % of the CPU of a request
 * (docs/benchmarks.md). Node.js has since dropped the accessor (DEP0172 is End-of-Life).
 *
 * This gives `bind` that later behaviour: the bound function runs `fn` in the resource's
 * async scope, with the same `this` rules and `length`, just without the deprecated
 * property. Nothing in Kubegate or its dependencies reads it. Returns whether it was
 * installed (false when this Node.js does not add the accessor, or when already done).
 */
export function installLeanAsyncResourceBind(): boolean {
  const probe = new AsyncResource('kubegate-probe').bind(() => undefined);
  if (!Object.getOwnPropertyDescriptor(probe, 'asyncResource')) return false;

  const nodeBind = AsyncResource.prototype.bind;
  AsyncResource.prototype.bind = function leanBind<Func extends (...args: any[]) => any>(this: AsyncResource, fn: Func, thisArg?: ThisParameterType<Func>): Func {
    // Anything unusual (not a function) keeps Node's own validation and error.
    if (typeof fn !== 'function') return Reflect.apply(nodeBind, this, [fn, thisArg]) as Func;
    const runInScope = this.runInAsyncScope.bind(this);
    const bound =
      thisArg === undefined
        ? function boundToResource(this: unknown, ...args: unknown[]) {
            return runInScope(fn, this, ...args);
          }
        : (...args: unknown[]) => runInScope(fn, thisArg, ...args);
    Object.defineProperty(bound, 'length', { value: fn.length, configurable: true });
    return bound as unknown as Func;
  };
  return true;
}
