import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import { Public } from '#libs/platform';
import { REGISTRY_SETTINGS, type RegistrySettings } from '../registry.context.js';

/**
 * The registry's public signing keys (RFC 7517): what every other service verifies bearer tokens with.
 * The current key first, then retired keys still trusted; tokens name theirs by `kid`.
 */
@Public()
@Controller('registry/.well-known')
export class JwksController {
  constructor(@Inject(REGISTRY_SETTINGS) private readonly settings: RegistrySettings) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  keys(): JSONWebKeySet {
    return this.settings.keySet;
  }
}
