// `npm run bench -- <name> [--quick]`: each benchmark prints progress to stderr and one JSON object
// on the last line of stdout.
import { eventstoreBench } from './eventstore.bench.js';
import { pipelineBench } from './pipeline.bench.js';
import { plannerBench } from './planner.bench.js';
import { preparedBench } from './prepared.bench.js';
import { runtimeBench } from './runtime.bench.js';
import { quoteBench } from './quote.bench.js';
import { settlementBench } from './settlement.bench.js';
import { settlementCpuBench } from './settlement-cpu.bench.js';
import { snapshotsBench } from './snapshots.bench.js';
import { transportBench } from './transport.bench.js';

const [name, ...rest] = process.argv.slice(2);
const quick = rest.includes('--quick');
/** `--only embedded|kafka`: one of the pipeline's two networks. */
const only = rest.includes('--only') ? rest[rest.indexOf('--only') + 1] : undefined;
/** `--rate n`: the pipeline measured at n orders/s only (for profiles). */
const rate = rest.includes('--rate') ? Number(rest[rest.indexOf('--rate') + 1]) : undefined;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const benches: Record<string, () => Promise<void>> = {
  eventstore: () => eventstoreBench({ quick, databaseUrl }),
  pipeline: () => pipelineBench({ quick, only, rate, databaseUrl, brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') }),
  planner: () => plannerBench({ quick, databaseUrl }),
  prepared: () => preparedBench({ quick, databaseUrl }),
  runtime: () => runtimeBench({ quick, databaseUrl }),
  quote: () => quoteBench({ quick, databaseUrl }),
  settlement: () => settlementBench({ quick, databaseUrl }),
  'settlement-cpu': () => settlementCpuBench({ quick, databaseUrl }),
  snapshots: () => snapshotsBench({ quick, databaseUrl }),
  transport: () => transportBench({ quick, databaseUrl, brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') }),
};

const run = name ? benches[name] : undefined;
if (!run) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [--quick]\n`);
  process.exit(2);
}
await run();
process.exit(0);
