import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

// OpenAPI at /openapi.json, Swagger UI at /docs; "Authorize" signs in through the password form.
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
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

export default fp(swaggerPlugin, { name: 'swagger', fastify: '5.x' });
