/** The OpenAPI 3.1 document, generated from the route schemas, and a reference UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Orgbase',
        version: '0.1.0',
        description:
          'Organization management for multi-tenant SaaS. `/v1` is the ClickHouse Cloud organizations API, extended; `/api` speaks PostHog\u2019s organization API, `/bindplane/v1` Bindplane\u2019s, and `/orgs`, `/org` and `/service_status` Locktera\u2019s (Bearer only).',
      },
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'keyId:keySecret of an organization API key' },
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key secret, or the root key' },
          bindplaneApiKey: { type: 'apiKey', in: 'header', name: 'X-Bindplane-Api-Key', description: 'Any API key secret (Bindplane surface)' },
        },
      },
      security: [{ basicAuth: [] }, { bearerAuth: [] }, { bindplaneApiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export function registerOpenApiDocument(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
