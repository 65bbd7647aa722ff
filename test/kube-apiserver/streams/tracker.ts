// Counts long-lived responses in flight (watch, logs -f, exec, attach,
// port-forward), so a test can check that a client — or a proxy between
// kubectl and us — really closed its streams.

export type StreamKind = 'watch' | 'logs' | 'exec' | 'attach' | 'portforward';

export class StreamTracker {
  private readonly counts: Record<StreamKind, number> = { watch: 0, logs: 0, exec: 0, attach: 0, portforward: 0 };

  /** Marks a stream open; the returned function closes it (extra calls are ignored). */
  open(kind: StreamKind): () => void {
    this.counts[kind]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.counts[kind]--;
    };
  }

  snapshot(): Record<StreamKind, number> {
    return { ...this.counts };
  }
}
