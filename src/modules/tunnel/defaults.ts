/**
 * Tunnel defaults. Every one of them can be overridden through the options of
 * `createTunnelServer` / `runTunnelAgent` (tests shrink the timers).
 */

/** The path agents dial, below the server's external URL. */
export const TUNNEL_PATH = '/-/kubernetes-agent/';

/** First reconnect delay after a failed or lost connection. */
export const RECONNECT_MIN_BACKOFF_MS = 1_000;
/** Reconnect delays double up to this cap (DESIGN §5: 1 s → 20 s). */
export const RECONNECT_MAX_BACKOFF_MS = 20_000;
/** A connection that lived this long resets the backoff to its minimum. */
export const RECONNECT_RESET_AFTER_MS = 30_000;

/** How often each side pings the other over the WebSocket. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/**
 * A side that has heard nothing (no pong, ping or data) for this long drops the
 * connection. Three intervals: one lost ping is not a dead peer.
 */
export const HEARTBEAT_TIMEOUT_MS = 45_000;

/**
 * A ping the agent has not acknowledged after this long takes its connection out of
 * rotation (no new requests) until it answers again; it is dropped only after
 * `HEARTBEAT_TIMEOUT_MS` of silence. A live agent acknowledges within milliseconds.
 */
export const PING_ACK_TIMEOUT_MS = 5_000;
/** A request about to use a connection quiet for this long pings it first (see server_liveness.ts). */
export const PROBE_IDLE_MS = 2_000;
/**
 * A new connection serves requests only once the agent's HTTP/2 SETTINGS arrived; one that
 * has not sent them after this long (a hung pod, a proxy that parses WebSocket frames) is
 * closed.
 */
export const ESTABLISH_TIMEOUT_MS = 10_000;

/** Time allowed for the WebSocket handshake (TCP, proxy CONNECT, TLS, upgrade). */
export const DIAL_TIMEOUT_MS = 15_000;

/** How often the server re-reads the agent's info (version, Kubernetes version…). */
export const AGENT_INFO_REFRESH_MS = 60_000;

/**
 * HTTP/2 flow-control windows. Node's defaults (64 KiB per stream and per connection)
 * cap a single stream at one window per round trip; large windows let one bulk stream
 * fill the pipe. A stream whose reader stops still stops at its own window, so a slow
 * `logs -f` never stalls the others (the connection window is far larger than a stream's).
 */
export const HTTP2_STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
export const HTTP2_CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;
/** Largest HTTP/2 DATA frame: fewer frames, fewer callbacks per MiB. */
export const HTTP2_MAX_FRAME_BYTES = 256 * 1024;
/**
 * Concurrent streams one connection carries. Watches and exec sessions are long-lived: an
 * agent pod carries up to 2,000 of them (its --max-long-streams) plus its short requests,
 * and a tunnel connection must never be what makes a request wait.
 */
export const HTTP2_MAX_CONCURRENT_STREAMS = 4_096;
/** Memory nghttp2 may use per session before refusing new streams (MiB). */
export const HTTP2_MAX_SESSION_MEMORY_MIB = 64;

/**
 * The WebSocket carrier. Writes made in one tick are sent as one binary message, capped
 * at this size so a huge burst does not build one huge buffer, and so that a frame
 * completes within `FRAME_TIMEOUT_MS` on any link faster than ~50 KiB/s.
 */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest message a peer may send us (agents before 0.1 sent up to 4 MiB; room to spare). */
export const WS_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/**
 * How long a tunnel may stay in a half-received frame: a WebSocket frame must be complete
 * this long after its first byte, and an HTTP/2 connection must acknowledge a ping within
 * this long even while other data keeps arriving. Past it the connection is closed.
 */
export const FRAME_TIMEOUT_MS = 20_000;
/** The writable side reports backpressure above this many buffered bytes. */
export const WS_HIGH_WATER_MARK_BYTES = 1024 * 1024;
