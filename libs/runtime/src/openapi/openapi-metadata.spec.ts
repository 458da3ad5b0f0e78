import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../../../..');

describe('openapi.metadata.ts (the @nestjs/swagger plugin output the hosts load)', () => {
  it('is what scripts/openapi-metadata.mjs gives for the sources now (else: npm run openapi:metadata)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/openapi-metadata.mjs', '--check'], { cwd: ROOT }).catch((error: { stdout: string; stderr: string }) => ({
      stdout: `${error.stdout}${error.stderr}`,
    }));
    expect(stdout).toContain('openapi.metadata.ts is up to date');
  }, 60_000);
});
