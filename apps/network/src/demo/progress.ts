import type { DemoProgress } from './scenario.js';

export interface ProgressDisplay {
  update(progress: DemoProgress): void;
  /** A line of its own above the bar. */
  note(line: string): void;
  done(): void;
}

const WIDTH = 28;

function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.round((done / total) * WIDTH) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
}

export function progressLine(p: DemoProgress): string {
  switch (p.phase) {
    case 'joining':
      return `${bar(p.workshopsJoined, p.workshopsTotal)} workshops joining ${p.workshopsJoined}/${p.workshopsTotal}`;
    case 'funding':
      return `${bar(0, 1)} brands depositing funds`;
    case 'running':
    case 'settling':
    case 'done':
      return (
        `${bar(p.ordersClosed, p.ordersTotal)} orders ${p.ordersCompleted}/${p.ordersTotal} completed` +
        ` · ${p.ordersSubmitted} submitted · lots ${p.lotsPassed} passed, ${p.lotsFailed} failed` +
        (p.phase === 'settling' ? ' · reading statements and the ledger' : '')
      );
  }
}

/**
 * The demo's progress on stderr: one line redrawn in place on a terminal; on anything else (a CI log,
 * a pipe) a plain line when the phase changes and at most every ten seconds.
 */
export function progressDisplay(stream: NodeJS.WriteStream = process.stderr, enabled = true): ProgressDisplay {
  if (!enabled) return { update: () => undefined, note: (line) => void stream.write(`${line}\n`), done: () => undefined };
  const tty = stream.isTTY === true;
  let lastPhase = '';
  let lastAt = 0;
  let shown = false;
  let last = '';
  return {
    update(p) {
      const now = Date.now();
      if (tty) {
        if (now - lastAt < 100 && p.phase === lastPhase) return;
        const line = progressLine(p).slice(0, Math.max(20, (stream.columns || 120) - 1));
        stream.write(`\r\x1b[2K${line}`);
        shown = true;
        last = line;
      } else {
        if (p.phase === lastPhase && now - lastAt < 10_000) return;
        stream.write(`${progressLine(p)}\n`);
      }
      lastAt = now;
      lastPhase = p.phase;
    },
    note(line) {
      stream.write(tty && shown ? `\r\x1b[2K${line}\n${last}` : `${line}\n`);
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
    },
  };
}
