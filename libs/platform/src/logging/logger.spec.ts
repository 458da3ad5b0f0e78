import { createLogger, wantsPretty } from './logger.js';
import { NestPinoLogger } from './nest-pino-logger.js';
import { prettyDestination, prettyLine } from './pretty.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ serviceName: 'test', level: 'trace' }, { write: (line: string) => lines.push(line) });
  return { logger, text: () => lines.join('') };
}

describe('createLogger', () => {
  it('never writes credentials a logged object carries', () => {
    const { logger, text } = capture();
    logger.info({
      headers: { authorization: 'Bearer header-token-1' },
      token: 'top-level-token-2',
      member: { token: 'nested-token-3', name: 'Ningbo Threads' },
      config: { MESHFAB_JWT_SECRET: 'jwt-secret-4', DATABASE_URL: 'postgres://u:password-5@db/meshfab', MESHFAB_OPERATOR_TOKEN: 'op-token-6' },
      options: { jwtSecret: 'jwt-secret-7', databaseUrl: 'postgres://u:password-8@db/x', password: 'password-9' },
    });
    for (const secret of ['header-token-1', 'top-level-token-2', 'nested-token-3', 'jwt-secret-4', 'password-5', 'op-token-6', 'jwt-secret-7', 'password-8', 'password-9']) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('Ningbo Threads'); // the rest of the object is still logged
    expect(text()).toContain('[redacted]');
  });

  it('keeps the path of a logged url and drops its query string', () => {
    const { logger, text } = capture();
    logger.debug({ method: 'GET', url: '/orders/o-1?token=query-token-10&page=2', status: 401 }, 'request refused');
    expect(text()).not.toContain('query-token-10');
    expect(JSON.parse(text())).toMatchObject({ url: '/orders/o-1?[redacted]', status: 401, msg: 'request refused' });
  });

  it('leaves a url without a query as it is', () => {
    const { logger, text } = capture();
    logger.info({ url: '/health' });
    expect(JSON.parse(text())).toMatchObject({ url: '/health' });
  });
});

describe('log format', () => {
  it('is JSON off a terminal, readable lines on one; LOG_FORMAT overrides either way', () => {
    expect(wantsPretty({}, false)).toBe(false);
    expect(wantsPretty({}, undefined)).toBe(false);
    expect(wantsPretty({}, true)).toBe(true);
    expect(wantsPretty({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(wantsPretty({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });

  it('turns a JSON entry into one readable line, fields after the message, secrets still redacted', () => {
    const lines: string[] = [];
    const logger = createLogger({ serviceName: 'orders', level: 'info' }, prettyDestination({ write: (l: string) => lines.push(l) } as never, false));
    logger.warn({ context: 'Relay', backlog: 3, token: 'secret-token-11' }, 'outbox behind');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{2}:\d{2}:\d{2} WARN {2}\[orders\] Relay: outbox behind backlog=3 token=\[redacted\]\n$/);
    expect(prettyLine('not json')).toBe('not json\n');
  });
});

describe("Nest's boot lines", () => {
  it('are debug (a line per module and route would bury the banner); other info stays info', () => {
    const lines: string[] = [];
    const nest = new NestPinoLogger(createLogger({ serviceName: 'network', level: 'debug' }, { write: (l: string) => lines.push(l) }));
    nest.log('OrdersModule dependencies initialized', 'InstanceLoader');
    nest.log('Mapped {/orders, POST} route', 'RouterExplorer');
    nest.log('relay started', 'OutboxRelay');
    expect(lines.map((l) => JSON.parse(l) as { level: string; context: string }).map((e) => `${e.context}:${e.level}`)).toEqual(['InstanceLoader:debug', 'RouterExplorer:debug', 'OutboxRelay:info']);
  });
});
