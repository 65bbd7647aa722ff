// Exec and attach sessions, independent of the transport (WebSocket
// channels or SPDY streams): wire the client's streams to a simulated
// process and report the outcome as the kubelet does, a Status on the error
// stream (Success, or NonZeroExitCode with an ExitCode cause).

import type { Readable } from 'node:stream';
import type { ContainerState, PodRuntime } from '../pods/runtime.js';
import type { SimProcess } from '../pods/process.js';

export interface OutputSink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface CommandStreams {
  stdin?: Readable;
  stdout?: OutputSink;
  stderr?: OutputSink;
  tty: boolean;
  /** Writes the Status to the error stream and closes the session. */
  finish(status: Record<string, unknown>): void;
  /** Fires when the client goes away before finish. */
  onClientGone(listener: () => void): void;
}

export interface CommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string | null;
  command: string[];
}

export function commandOptions(url: URL): CommandOptions {
  const flag = (name: string): boolean => ['true', '1'].includes(url.searchParams.get(name) ?? '');
  return {
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
    container: url.searchParams.get('container'),
    command: url.searchParams.getAll('command'),
  };
}

export const SUCCESS_STATUS = { metadata: {}, status: 'Success' };

export function exitStatus(argv: string[], code: number): Record<string, unknown> {
  if (code === 0) return SUCCESS_STATUS;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function pipeOutput(proc: SimProcess, streams: CommandStreams): Promise<void> {
  const stderrSink = streams.tty ? streams.stdout : streams.stderr;
  const ended = (s: Readable): Promise<void> => new Promise((resolve) => (s.readableEnded ? resolve() : s.once('end', resolve)));
  proc.stdout.on('data', (c: Buffer) => streams.stdout?.write(c));
  proc.stderr.on('data', (c: Buffer) => stderrSink?.write(c));
  return Promise.all([ended(proc.stdout), ended(proc.stderr)]).then(() => undefined);
}

export function runExec(pods: PodRuntime, container: ContainerState, argv: string[], streams: CommandStreams): void {
  const proc = pods.exec(container, argv);
  if (streams.stdin) {
    streams.stdin.on('data', (c: Buffer) => proc.stdin.write(c));
    streams.stdin.once('end', () => proc.stdin.end());
  } else {
    proc.stdin.end();
  }
  streams.onClientGone(() => proc.kill());
  const outputDone = pipeOutput(proc, streams);
  void Promise.all([proc.exited, outputDone]).then(([code]) => {
    streams.stdout?.end();
    streams.stderr?.end();
    streams.finish(exitStatus(argv, code));
  });
}

/** Attach to the container's main process; stdin reaches it only if the container has `stdin: true`. */
export function runAttach(container: ContainerState, streams: CommandStreams): void {
  const proc = container.main;
  if (!proc) {
    streams.finish({ metadata: {}, status: 'Failure', message: 'container not running', reason: 'BadRequest', code: 400 });
    return;
  }
  const stderrSink = streams.tty ? streams.stdout : streams.stderr;
  const onOut = (c: Buffer): void => streams.stdout?.write(c);
  const onErr = (c: Buffer): void => stderrSink?.write(c);
  proc.stdout.on('data', onOut);
  proc.stderr.on('data', onErr);
  const stdinAllowed = container.spec.stdin === true && !container.stdinConsumed;
  if (streams.stdin) {
    streams.stdin.on('data', (c: Buffer) => {
      if (stdinAllowed && !proc.stdin.writableEnded) proc.stdin.write(c);
    });
    streams.stdin.once('end', () => {
      // stdinOnce: the container's stdin closes when the first attached client closes it.
      if (stdinAllowed && container.spec.stdinOnce) {
        container.stdinConsumed = true;
        proc.stdin.end();
      }
    });
  }
  let done = false;
  const detach = (): void => {
    proc.stdout.off('data', onOut);
    proc.stderr.off('data', onErr);
  };
  streams.onClientGone(() => {
    done = true;
    detach();
  });
  void proc.exited.then(() => {
    // Let buffered output reach the client first.
    setImmediate(() => {
      if (done) return;
      done = true;
      detach();
      streams.stdout?.end();
      streams.stderr?.end();
      streams.finish(SUCCESS_STATUS);
    });
  });
}
