/** The demo's command line, parsed without side effects (main.ts acts on it). */
export interface DemoCliOptions {
  workshops: number;
  orders: number;
  seed: number;
  json: boolean;
  url?: string;
  operatorToken?: string;
  dataDir?: string;
  resume?: string;
  timeoutSeconds: number;
  unrecoveredScrap: number;
  progress: boolean;
  verbose: boolean;
  keep: boolean;
  help: boolean;
}

export const DEMO_USAGE = `npm run demo -- [options]

Starts the whole Meshfab network in this process (embedded PostgreSQL under .data/demo unless
DATABASE_URL is set) and runs a manufacturing scenario through its public HTTP APIs.

  --workshops <n>        workshops in the network (default 120)
  --orders <n>           orders the brands submit (default 40; the last 30 % are the peak season)
  --seed <n>             seed of the scenario (default 42)
  --json                 end with one JSON object of the key figures on the last line of stdout
  --url <url>            drive a running network instead (e.g. http://localhost:3000 of npm start)
  --operator-token <t>   its operator token (default: MESHFAB_OPERATOR_TOKEN, or <data dir>/operator-token)
  --data-dir <dir>       data folder (default .data/demo; with --url: MESHFAB_DATA_DIR or ./.data,
                         where the network keeps operator-token and jwt-secret)
  --resume <run id>      continue an interrupted run (same seed and sizes) against the same network
  --timeout <seconds>    give up after this long (default 600); unfinished orders are reported with why
  --unrecovered-scrap <share>  share of lots that report scrap and still pass (default 0; the network
                         plans no make-up lot for such scrap, so those orders end stalled)
  --no-progress          no progress bar on stderr
  --keep                 with DATABASE_URL, keep this run's schemas (demo_<run id>_*) afterwards; they
                         are dropped by default (under .data/demo they are always kept)
  --verbose              also log the calls the demo retries (the network busy, a lot not released yet)
  --help
`;

const RUN_ID = /^[A-Za-z0-9_-]{1,32}$/;

export function parseDemoArgs(argv: readonly string[]): DemoCliOptions {
  const options: DemoCliOptions = { workshops: 120, orders: 40, seed: 42, json: false, timeoutSeconds: 600, unrecoveredScrap: 0, progress: true, verbose: false, keep: false, help: false };
  const args = [...argv];
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const whole = (flag: string, min: number, max: number): number => {
    const raw = value(flag);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, not ${raw}`);
    return n;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (inline !== undefined) args.unshift(inline);
    switch (flag) {
      case '--workshops':
        options.workshops = whole(flag, 9, 5000);
        break;
      case '--orders':
        options.orders = whole(flag, 1, 5000);
        break;
      case '--seed':
        options.seed = whole(flag, 0, 2 ** 32 - 1);
        break;
      case '--json':
        options.json = true;
        break;
      case '--url':
        options.url = value(flag).replace(/\/+$/, '');
        break;
      case '--operator-token':
        options.operatorToken = value(flag);
        break;
      case '--data-dir':
        options.dataDir = value(flag);
        break;
      case '--resume': {
        const id = value(flag);
        if (!RUN_ID.test(id)) throw new Error(`--resume takes a run id of letters, digits, - and _ (as the demo printed), not ${id}`);
        options.resume = id;
        break;
      }
      case '--timeout':
        options.timeoutSeconds = whole(flag, 10, 24 * 3600);
        break;
      case '--unrecovered-scrap': {
        const raw = value(flag);
        const share = Number(raw);
        if (!Number.isFinite(share) || share < 0 || share > 1) throw new Error(`--unrecovered-scrap must be a share from 0 to 1, not ${raw}`);
        options.unrecoveredScrap = share;
        break;
      }
      case '--no-progress':
        options.progress = false;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return options;
}
