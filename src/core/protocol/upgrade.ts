/**
 * Which WebSocket upgrade requests open the chat, and the answer to every other one
 * (docs/CONTRACT.md, Transport). One definition for both profiles, so that they accept the same
 * request-targets and refuse the others with the same bytes.
 */
import type { Duplex } from 'node:stream';
import { WS_PATH } from './contract.js';

/**
 * The path of a raw request-target (node's `IncomingMessage.url`) as the contract reads it:
 * everything before the first `?`, as sent. Nothing is decoded or normalised (`/ws/../ws`,
 * `/ws%2F`, `//ws` stay what they are), and a `#` is part of the path (a client sends no fragment).
 */
export function requestPath(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * True when an upgrade request for the raw request-target `url` opens the chat: its path is
 * exactly WS_PATH, byte for byte; a query string is allowed (and ignored). The absolute form
 * (`http://host/ws`) and `*` are not the chat path.
 */
export function isChatPath(url: string | undefined): boolean {
  return requestPath(url) === WS_PATH;
}

/**
 * The path an HTTP request (not an upgrade) is routed by, as Node's URL parsing gives it to
 * Express: the absolute form (`http://host/health`, which RFC 9112 §3.2.2 asks servers to
 * accept) reduced to its path, and the request-target cut at the first `?` or `#`. Nothing is
 * decoded or normalised, and the comparison with a route is exact (case, trailing slash).
 */
export function routePath(url: string | undefined): string {
  if (url === undefined) return '';
  const authority = url.startsWith('/') ? null : /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  const start = authority === null ? 0 : authority[0].length;
  let end = start;
  while (end < url.length && url[end] !== '?' && url[end] !== '#') end++;
  return authority !== null && end === start ? '/' : url.slice(start, end);
}

/** The answer to an upgrade request for any other path, byte for byte. */
export const UPGRADE_NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Refuses an upgrade request: writes UPGRADE_NOT_FOUND and, once it is sent, destroys the socket
 * (as `ws` does when it refuses a handshake), so that nothing of the connection outlives the
 * answer even if the client keeps its half open. A socket error destroys it at once.
 */
export function refuseUpgrade(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(UPGRADE_NOT_FOUND);
}
