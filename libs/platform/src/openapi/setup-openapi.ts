import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
}

export const BEARER_SCHEME = 'bearer';

/** Swagger UI at `/docs`, the document at `/docs-json`; every operation asks for a bearer JWT. */
export function setupOpenApi(app: INestApplication, { title, version, description }: OpenApiOptions): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(title)
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME);
  if (description) builder.setDescription(description);
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return document;
}
