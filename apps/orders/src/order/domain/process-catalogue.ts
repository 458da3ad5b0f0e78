/**
 * The processes an order's route may name. The same ids as the registry's capability catalogue
 * (workshops declare capabilities with these ids, matching pairs steps with capabilities by them);
 * a process no workshop could ever declare is refused at submission with a 400.
 */
export const KNOWN_PROCESSES = [
  'cutting',
  'sewing',
  'cnc-milling',
  'cnc-turning',
  'anodizing',
  'injection-molding',
  'assembly',
  'packing',
  'printing',
  'embroidery',
  'dyeing',
  'washing',
  'ironing',
  'welding',
  'laser-cutting',
  'sheet-metal-bending',
  'powder-coating',
  'painting',
  'polishing',
  '3d-printing',
  'casting',
  'heat-treatment',
  'pcb-assembly',
  'quality-check',
] as const;

export type KnownProcess = (typeof KNOWN_PROCESSES)[number];

export function isKnownProcess(process: string): process is KnownProcess {
  return (KNOWN_PROCESSES as readonly string[]).includes(process);
}
