import { createLogger } from './logger.js';

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
