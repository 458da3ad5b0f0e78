import { endpointUrlProblem, isNonPublicAddress } from './endpoint-url.js';

const production = { allowHttpLoopback: false, allowPrivateTargets: false };
const local = { allowHttpLoopback: true, allowPrivateTargets: false };

describe('endpointUrlProblem: where a member may point its webhooks', () => {
  it('accepts a public https URL', () => {
    expect(endpointUrlProblem('https://hooks.example.com/meshfab?x=1', production)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/in', /https/],
    ['ftp://hooks.example.com/in', /https/],
    ['not a url', /absolute URL/],
    ['https://user:pw@hooks.example.com/', /credentials/],
    ['https://169.254.169.254/latest/meta-data', /private/],
    ['https://10.1.2.3/', /private/],
    ['https://192.168.0.10/', /private/],
    ['https://172.20.0.1/', /private/],
    ['https://[fd00::1]/', /private/],
    ['https://[::ffff:10.0.0.1]/', /private/],
    ['https://127.0.0.1/', /loopback/],
    ['https://localhost:8443/', /loopback/],
    ['https://metadata.google.internal/', /public host/],
    ['http://127.0.0.1:9999/hook', /https/],
  ])('refuses %s in production', (url, problem) => {
    expect(endpointUrlProblem(url, production)).toMatch(problem);
  });

  it('accepts http to loopback only where allowed, and still refuses private networks there', () => {
    expect(endpointUrlProblem('http://127.0.0.1:9999/hook', local)).toBeNull();
    expect(endpointUrlProblem('http://localhost:9999/hook', local)).toBeNull();
    expect(endpointUrlProblem('http://10.0.0.5/hook', local)).toMatch(/https/);
    expect(endpointUrlProblem('https://10.0.0.5/hook', local)).toMatch(/private/);
    expect(endpointUrlProblem('https://10.0.0.5/hook', { allowHttpLoopback: false, allowPrivateTargets: true })).toBeNull();
  });

  it('classifies addresses', () => {
    expect(['8.8.8.8', '1.1.1.1', '2606:4700::1111'].map(isNonPublicAddress)).toEqual([false, false, false]);
    expect(['0.0.0.0', '100.64.0.1', '198.18.0.1', '224.0.0.1', '::1', 'fe80::1'].map(isNonPublicAddress)).toEqual([true, true, true, true, true, true]);
  });
});
