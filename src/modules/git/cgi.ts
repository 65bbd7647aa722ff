/**
 * The CGI response head (RFC 3875 §6): header lines up to the first empty line, with a
 * `Status:` pseudo-header instead of an HTTP status line. `git http-backend` speaks it.
 */

export interface CgiHead {
  status: number;
  statusText: string;
  /** Headers in order, without `Status` and without hop-by-hop headers. */
  headers: Array<[string, string]>;
  /** Where the body starts in the buffer that was parsed. */
  bodyStart: number;
}

/** Headers that describe one hop; Node sets its own for the client's connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * Parses the head at the start of `buf`: null when the empty line has not arrived yet;
 * throws on a malformed head. Lines may end in CRLF or LF.
 */
export function parseCgiHead(buf: Buffer): CgiHead | null {
  const end = findHeadEnd(buf);
  if (end === null) return null;
  const text = buf.subarray(0, end.headEnd).toString('latin1');
  let status = 200;
  let statusText = 'OK';
  let sawStatus = false;
  const headers: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed CGI header line ${JSON.stringify(line.slice(0, 100))}`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`malformed CGI header name ${JSON.stringify(name.slice(0, 100))}`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = /^(\d{3})(?:\s+(.*))?$/.exec(value);
      if (!m) throw new Error(`malformed CGI Status ${JSON.stringify(value.slice(0, 100))}`);
      status = Number(m[1]);
      statusText = m[2] ?? '';
      sawStatus = true;
    } else if (!HOP_BY_HOP.has(lower)) {
      headers.push([name, value]);
    }
  }
  // RFC 3875 §6.2.3: a Location without a Status is a redirect.
  if (!sawStatus && headers.some(([n]) => n.toLowerCase() === 'location')) {
    status = 302;
    statusText = 'Found';
  }
  return { status, statusText, headers, bodyStart: end.bodyStart };
}

function findHeadEnd(buf: Buffer): { headEnd: number; bodyStart: number } | null {
  // The head ends at the first line that is empty, whether lines end in LF or CRLF.
  let lineStart = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    const lineEnd = i > lineStart && buf[i - 1] === 0x0d ? i - 1 : i;
    if (lineEnd === lineStart) return { headEnd: lineStart, bodyStart: i + 1 };
    lineStart = i + 1;
  }
  return null;
}
