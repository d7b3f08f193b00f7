import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';

// OpenAPI at /openapi.json, Swagger UI at /docs; "Authorize" signs in through the password form.
// Swagger UI (with @fastify/static and a route per asset) is built on the first /docs
// request, in a small Fastify instance of its own that the /docs routes forward to: only a
// developer opening the docs pays for it, not every process start (P7).
function lazySwaggerUi(app: FastifyInstance) {
  let ui: Promise<FastifyInstance> | undefined;
  const build = async () => {
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    const docs = Fastify({ logger: false });
    // Swagger UI asks for the document of the app it is registered on: this app's.
    await docs.register(
      fp(
        (instance, _opts, done) => {
          instance.decorate('swagger', app.swagger.bind(app));
          done();
        },
        { name: '@fastify/swagger' },
      ),
    );
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
    // The standard error body for a missing docs file too, not Fastify's default one.
    docs.setNotFoundHandler((_request, reply) => reply.status(404).send({ detail: 'Not Found' }));
    await docs.ready();
    return docs;
  };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= build();
    const res = await (
      await ui
    ).inject({ method: 'GET', url: request.url, headers: request.headers });
    for (const [name, value] of Object.entries(res.headers)) {
      if (
        value !== undefined &&
        !['content-length', 'connection', 'transfer-encoding'].includes(name)
      ) {
        reply.header(name, value);
      }
    }
    return reply.status(res.statusCode).send(res.rawPayload);
  };
}
async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Internships for developers',
        version: '2.0.0',
        description:
          'Developers and testers do internships on real team projects. The four v1 routes ' +
          'keep their contract; everything else is added beside them.',
      },
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: {
            type: 'oauth2',
            flows: { password: { tokenUrl: '/api/v1/jwt/login/', scopes: {} } },
          },
          RefreshBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (refresh token)' },
        },
      },
    },
  });
  const docs = lazySwaggerUi(app);
  app.get('/docs', { schema: { hide: true } }, docs);
  app.get('/docs/*', { schema: { hide: true } }, docs);
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger', fastify: '5.x' });
