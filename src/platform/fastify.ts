/**
 * Profile A on Fastify (HTTP_PLATFORM=fastify): what only Fastify needs so that it answers as
 * Express-A and Profile B do (docs/CONTRACT.md, HTTP; docs/LIMITER.md, Decision API). Loaded by
 * src/app.setup.ts on Fastify only, so Express-A never loads Fastify.
 */
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { RequestErrorException } from '../common/index.js';
import { RequestError } from '../core/limiter/limiter.js';
import { ABORTED, readJsonBody } from '../core/limiter/request-body.js';
import { routePath } from '../core/protocol/upgrade.js';
import { tracing } from '../telemetry/index.js';

/** Node's `http.Server` defaults (`keepAliveTimeout`, `requestTimeout`). */
const NODE_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const NODE_REQUEST_TIMEOUT_MS = 300_000;

/**
 * What Fastify's router is given to route by: the path as Profile B routes it (core routePath:
 * the absolute form reduced to its path, cut at the first `?` or `#`, whatever the scheme), with
 * every `%` escaped. The router decodes percent-escapes before it matches (`/%68ealth` would be
 * `/health`) and answers a malformed one with 400; escaped, a `%` stays in the path, which then
 * matches no route, as in Profile B. The query string is dropped: no route reads it. (Nest's
 * 404 message still names the request-target as sent.)
 */
function routingUrl(req: IncomingMessage): string {
  return routePath(req.url).replaceAll('%', '%25');
}

/**
 * Fastify reads no request body itself: every method is declared bodyless, so none of its
 * content-type parsers, body limit or Content-Type check runs (it answers 415 for a Content-Type
 * it cannot parse, on any route, 404s included, where the contract reads any as JSON). The
 * decision routes read their body in a hook (readDecisionBody); every other route leaves it
 * unread, as in Profile B.
 */
function readNoBodies(fastify: FastifyInstance): void {
  for (const method of fastify.supportedMethods)
    fastify.addHttpMethod(method, { hasBody: false, overrideExisting: true });
}

/**
 * A decision route's body, read as Profile B reads it (core readJsonBody: no body, charset and
 * coding 415, size 413, UTF-8, JSON 400, in that order), before Nest's guards and pipes run, as
 * the middleware does on Express. A refusal goes to Nest's exception layer (HttpErrorFilter);
 * after a 413 the connection is closed, as Profile B does, since the rest of the body is unread.
 */
async function readDecisionBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = await readJsonBody(request.raw);
  if (body === ABORTED) {
    reply.hijack(); // the client is gone: nothing to answer, nothing went wrong
    return;
  }
  if (body instanceof RequestError) {
    if (body.status === 413) reply.header('connection', 'close');
    throw new RequestErrorException(body);
  }
  request.body = body;
}

/**
 * Gives every POST route readDecisionBody. Profile A's only POST routes are the decision API's
 * (LimiterController, and the ledger's rungs of it), the only routes that read a body.
 */
function readDecisionBodies(route: RouteOptions): void {
  if (![route.method].flat().includes('POST')) return;
  const hooks = route.preValidation === undefined ? [] : [route.preValidation].flat();
  route.preValidation = [...hooks, readDecisionBody];
}

/**
 * Fastify with exact routes: case-sensitive, no trailing-slash or duplicate-slash tolerance
 * (Fastify's defaults, written down because the contract depends on them; so is its default of
 * no `;` as a query delimiter), routed by routingUrl; the decision routes read their bodies
 * (readNoBodies, readDecisionBodies). The connection-level behaviour is Node's own, which
 * Express-A and Profile B keep:
 * - keep-alive and request timeouts at Node's defaults (Fastify's are 72 s and none);
 * - while Nest closes the server, a request on an open connection is answered as usual, not 503;
 * - a request Node's HTTP parser refuses is answered by Node (`400 Bad Request`, no body, and the
 *   connection closed), not with Fastify's JSON body: its `clientError` listener is taken off.
 */
export function createAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    routerOptions: {
      caseSensitive: true,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
    },
    rewriteUrl: routingUrl,
    keepAliveTimeout: NODE_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: NODE_REQUEST_TIMEOUT_MS,
    return503OnClosing: false,
  });
  const fastify = adapter.getInstance();
  fastify.server.removeAllListeners('clientError');
  readNoBodies(fastify);
  fastify.addHook('onRoute', readDecisionBodies);
  return adapter;
}

/**
 * What Profile A adds to the adapter: when tracing is on, each request's HTTP span gets the route
 * that matched (on Express, sdk.ts reads it off the request). Loaded only then, like the SDK.
 */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  if (!tracing.enabled) return;
  const { recordHttpRoute } = await import('../telemetry/http-route.js');
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      if (!request.is404 && request.routeOptions.url !== undefined) recordHttpRoute(request.routeOptions.url);
      done();
    });
}
