// A container's log: timestamped lines plus live followers (`logs -f`).

export interface LogLine {
  time: string;
  text: string;
}

export type LogFollower = { line: (l: LogLine) => void; end: () => void };

export class LogBuffer {
  readonly lines: LogLine[] = [];
  private partial = '';
  private readonly followers = new Set<LogFollower>();
  ended = false;

  /** Appends raw output; complete lines become log entries. */
  write(chunk: Buffer | string): void {
    this.partial += chunk.toString();
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      this.push(this.partial.slice(0, nl + 1));
      this.partial = this.partial.slice(nl + 1);
    }
  }

  appendLine(text: string): void {
    this.push(text.endsWith('\n') ? text : `${text}\n`);
  }

  private push(text: string): void {
    const line = { time: new Date().toISOString(), text };
    this.lines.push(line);
    for (const f of [...this.followers]) f.line(line);
  }

  /** The container stopped: flush a partial line and end every follower. */
  end(): void {
    if (this.partial) {
      this.push(this.partial);
      this.partial = '';
    }
    this.ended = true;
    for (const f of [...this.followers]) f.end();
    this.followers.clear();
  }

  /** Restarted containers log again. */
  reopen(): void {
    this.ended = false;
  }

  follow(follower: LogFollower): () => void {
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }
}
