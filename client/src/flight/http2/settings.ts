/**
 * HTTP/2 tuning shared by GrpcServer and GrpcClient, sized for multi-MiB Arrow messages. Node's
 * defaults (64 KiB windows, 16 KiB frames, 10 MB session memory) cap a stream at a fraction of loopback
 * bandwidth; the flow-control window is the biggest single knob (see the Flight wire notes).
 */
import type { Http2Session, Settings } from 'node:http2';

/** Per-stream flow-control window advertised to peers: 32 MiB keeps one large message in flight. */
export const DEFAULT_WINDOW_BYTES = 32 * 1024 * 1024;

/** The largest HTTP/2 window. */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/** The largest HTTP/2 frame (2^24 - 1); peers that advertise less get smaller frames from Node. */
export const MAX_FRAME_BYTES = 2 ** 24 - 1;

/**
 * Node's per-session memory budget in MB. Node counts data queued to be sent against it and refuses
 * new streams (ENHANCE_YOUR_CALM) while over it, so it must exceed the largest message (2 GiB) that a
 * session may be writing, with room for a second one.
 */
export const MAX_SESSION_MEMORY_MB = 4096;

/**
 * The connection-level window is this many stream windows, so a few concurrent calls do not starve.
 * It caps the request bytes a connection can have sent and the server not yet read, whatever its
 * stream count: 4 x 32 MiB by default.
 */
const SESSION_WINDOW_STREAMS = 4;

/**
 * Calls one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS): clients queue calls
 * past it, and nghttp2 takes a stream opened past it as a protocol error and ends the connection
 * (GOAWAY). With the windows below it bounds what one connection can make a server hold.
 */
export const DEFAULT_MAX_STREAMS = 128;

/** SETTINGS sent to peers for a given per-stream window (and, on servers, a stream cap). */
export function localSettings(windowBytes: number, maxConcurrentStreams?: number): Settings {
  return {
    initialWindowSize: Math.min(windowBytes, MAX_WINDOW_BYTES),
    maxFrameSize: MAX_FRAME_BYTES,
    enablePush: false,
    ...(maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams }),
  };
}

/** Raises the connection-level receive window, which SETTINGS cannot change (it starts at 64 KiB). */
export function raiseSessionWindow(session: Http2Session, windowBytes: number): void {
  session.setLocalWindowSize(Math.min(windowBytes * SESSION_WINDOW_STREAMS, MAX_WINDOW_BYTES));
}
