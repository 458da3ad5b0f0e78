/** Days a declaration without an end counts for in the utilisation figures. */
export const OPEN_DECLARATION_DAYS = 180;

export interface CapacityDeclaration {
  hoursPerDay: number;
  from: string;
  until?: string;
  exceptions: readonly { date: string; hours: number }[];
}

/** The hours shared on each day of a declaration (`YYYY-MM-DD`, both ends included), exceptions applied. */
export function capacityDays(declaration: CapacityDeclaration): { day: string; hours: number }[] {
  const exceptions = new Map(declaration.exceptions.map((e) => [e.date, e.hours]));
  const start = Date.parse(`${declaration.from}T00:00:00Z`);
  const end = declaration.until ? Date.parse(`${declaration.until}T00:00:00Z`) : start + (OPEN_DECLARATION_DAYS - 1) * 86_400_000;
  const days: { day: string; hours: number }[] = [];
  for (let t = start; t <= end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push({ day, hours: exceptions.get(day) ?? declaration.hoursPerDay });
  }
  return days;
}
