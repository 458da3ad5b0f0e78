import { PROCESS_CATALOGUE } from '#libs/contracts';

/**
 * The processes an order's route may name: exactly the registry's capability catalogue (workshops
 * declare capabilities with these ids, matching pairs steps with capabilities by them), so a process
 * no workshop could ever declare is refused at submission with a 400.
 */
export const KNOWN_PROCESSES = PROCESS_CATALOGUE;

export type KnownProcess = (typeof KNOWN_PROCESSES)[number];

export function isKnownProcess(process: string): process is KnownProcess {
  return (KNOWN_PROCESSES as readonly string[]).includes(process);
}
