// Public surface of the Kubernetes API simulator. See README.md.

export { startKubeApiServer } from './simulator.js';
export type { KubeApiServerOptions, KubeApiSimulator } from './simulator-types.js';
export type { RequestRecord } from './context.js';
export type { KubeObject, UserInfo } from './api/types.js';
export type { TcpTarget } from './streams/targets.js';
export type { StreamKind } from './streams/tracker.js';
