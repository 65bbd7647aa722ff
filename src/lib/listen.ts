/** Parses `HOST:PORT` (IPv6 hosts in brackets); throws a plain Error when malformed. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`must be HOST:PORT (e.g. 127.0.0.1:8080), not "${value}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
