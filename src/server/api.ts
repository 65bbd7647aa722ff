/**
 * The REST API's frame: one Fastify instance for `/api/v4`, health and metrics. It owns
 * authentication (who is calling), error answers (`{"message": …}` with the right status)
 * and request ids; feature routes only describe their endpoints.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import { KubegateError, isKubegateError, unauthorized } from '../lib/errors.js';
import { ANONYMOUS, type Actor, type IdentityService } from '../modules/identity/server.js';
import { registerStrictJsonParser } from './json_body.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface ApiDeps {
  logger: Logger;
  identity: IdentityService;
  serverFactory: FastifyServerFactory;
}

export function createApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    serverFactory: deps.serverFactory,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: function requestId(req) {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  });

  app.decorateRequest('actor', null as unknown as Actor);
  registerStrictJsonParser(app);

  // While draining (the listener is closed), a response closes its connection: a
  // keep-alive client whose request was in flight at SIGTERM must not hold the process
  // until the drain deadline.
  app.addHook('onSend', async function closeConnectionWhenDraining(_request, reply, payload) {
    if (!app.server.listening) reply.header('Connection', 'close');
    return payload;
  });

  app.addHook('onRequest', async function identifyCaller(request, reply) {
    reply.header('X-Request-Id', request.id);
    request.actor = await authenticateRequest(deps.identity, request);
  });

  app.setErrorHandler(function answerError(error, request, reply) {
    if (isKubegateError(error)) {
      if (error.code === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer realm="kubegate"');
      return reply.status(error.status).send({ message: error.message });
    }
    const fastifyError = error as { statusCode?: number; code?: string; message?: string };
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `413 Request Entity Too Large: the body is larger than ${MAX_BODY_BYTES} bytes`
          : fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
            ? `400 Bad Request: the body is not valid JSON (${fastifyError.message})`
            : (fastifyError.message ?? 'bad request');
      return reply.status(status).send({ message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ message: '500 Internal Server Error' });
  });

  app.setNotFoundHandler(function answerNotFound(request, reply) {
    return reply.status(404).send({ message: `404 Not Found: no route for ${request.method} ${request.url.split('?')[0]}` });
  });

  return app;
}

/**
 * The personal access token from `PRIVATE-TOKEN` or `Authorization: Bearer`. No token
 * is an anonymous caller (who sees public things only); a bad token is a 401, never
 * silently anonymous. Scopes: `api` does everything, `read_api` only reads, and the
 * repository scopes do not open the API.
 */
async function authenticateRequest(identity: IdentityService, request: FastifyRequest): Promise<Actor> {
  const token = tokenFromHeaders(request.headers);
  if (token === undefined) return ANONYMOUS;
  const actor = await identity.authenticate(token);
  const reading = request.method === 'GET' || request.method === 'HEAD';
  if (!actor.scopes.has('api') && !(reading && actor.scopes.has('read_api'))) {
    throw new KubegateError('forbidden', `403 Forbidden: insufficient_scope: this request needs a token with the ${reading ? 'api or read_api' : 'api'} scope`);
  }
  return actor;
}

export function tokenFromHeaders(headers: FastifyRequest['headers']): string | undefined {
  const privateToken = headers['private-token'];
  if (typeof privateToken === 'string' && privateToken.length > 0) return privateToken;
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw unauthorized('401 Unauthorized: the Authorization header must be "Bearer <personal access token>"');
    return m[1];
  }
  return undefined;
}
