import type { DestinationStream } from 'pino';

const LEVEL_COLOURS: Record<string, string> = { trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35' };
const SKIPPED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'context']);

/**
 * One JSON log line as a person reads it on a terminal: `12:00:01 INFO  [orders] Context: message key=value`.
 * Anything that is not a JSON object is passed through as it is.
 */
export function prettyLine(line: string, colour = true): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line.endsWith('\n') ? line : `${line}\n`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof entry.level === 'string' ? entry.level : 'info';
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const label = level.toUpperCase().padEnd(5);
  const paint = (code: string | undefined, text: string) => (colour && code ? `\u001b[${code}m${text}\u001b[39m` : text);
  const service = typeof entry.service === 'string' ? `[${entry.service}] ` : '';
  const context = typeof entry.context === 'string' ? `${entry.context}: ` : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIPPED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  return `${time} ${paint(LEVEL_COLOURS[level], label)} ${service}${context}${message}${fields.length ? ` ${paint('90', fields.join(' '))}` : ''}\n`;
}

/** A pino destination writing readable lines to a terminal (`stream`, default stdout). */
export function prettyDestination(stream: NodeJS.WritableStream = process.stdout, colour = true): DestinationStream {
  return { write: (line: string) => void stream.write(prettyLine(line, colour)) };
}
