import { eventually, type MeshfabClient } from '../client/meshfab-client.js';

/** What the demo reads of `GET /analytics/figures` (the network's analytics read models). */
export interface AnalyticsFigures {
  orders: { submitted: number; completed: number; completedOnTime: number; onTimeRate: number | null; byStatus: { status: string; count: number }[] };
  leadTime: { orders: number; p50Hours: number | null; p90Hours: number | null };
  defectsByProcess: DefectRow[];
  defectsByWorkshop: DefectRow[];
  money: {
    currency: string;
    depositedMinor: number;
    escrowedMinor: number;
    refundedMinor: number;
    releasedMinor: number;
    platformFeesMinor: number;
    penaltiesMinor: number;
    paidToWorkshopsMinor: number;
  }[];
}

export interface DefectRow {
  key: string;
  inspections: number;
  failed: number;
  failRate: number;
  sampled: number;
  defects: number;
  defectRate: number | null;
}

export interface UtilisationRow {
  region: string;
  process: string;
  week: string;
  workshops: number | null;
  capacityHours: number | null;
  bookedHours: number;
  utilisation: number | null;
}

export interface DemoAnalytics {
  figures: AnalyticsFigures;
  utilisation: { from: string; to: string; rows: UtilisationRow[] };
}

/**
 * The network's figures as an operator reads them from the analytics API, once its read models show at least
 * what the run saw (they follow the events, a moment behind). null: a network without `/analytics`.
 */
export async function readAnalytics(client: MeshfabClient, operator: string, atLeast: { completed: number; releasedMinor: number; currency: string }): Promise<DemoAnalytics | null> {
  const read = () => client.get<AnalyticsFigures>('/analytics/figures', operator);
  let figures: AnalyticsFigures;
  try {
    figures = await read();
  } catch {
    return null;
  }
  const caughtUp = (f: AnalyticsFigures) =>
    f.orders.completed >= atLeast.completed && (f.money.find((m) => m.currency === atLeast.currency)?.releasedMinor ?? 0) >= atLeast.releasedMinor;
  if (!caughtUp(figures)) figures = await eventually('the analytics to catch up with the run', async () => ((f) => (caughtUp(f) ? f : undefined))(await read()), 30_000, 250).catch(read);
  const utilisation = await client.get<DemoAnalytics['utilisation']>('/analytics/utilisation', operator);
  return { figures, utilisation };
}
