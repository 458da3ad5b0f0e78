import { capacityDays, OPEN_DECLARATION_DAYS } from './capacity-days.js';

describe('capacity days of a declaration', () => {
  it('counts every day from its start to its end, both included, with the exceptions in place of the daily hours', () => {
    expect(capacityDays({ hoursPerDay: 8, from: '2026-12-30', until: '2027-01-02', exceptions: [{ date: '2027-01-01', hours: 0 }] })).toEqual([
      { day: '2026-12-30', hours: 8 },
      { day: '2026-12-31', hours: 8 },
      { day: '2027-01-01', hours: 0 },
      { day: '2027-01-02', hours: 8 },
    ]);
  });

  it('counts a declaration without an end for a fixed horizon', () => {
    const days = capacityDays({ hoursPerDay: 6, from: '2027-03-01', exceptions: [] });
    expect(days).toHaveLength(OPEN_DECLARATION_DAYS);
    expect(days[0]).toEqual({ day: '2027-03-01', hours: 6 });
  });
});
