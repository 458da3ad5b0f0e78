/**
 * Regions for the candidate index: a 1° latitude × 1° longitude cell (about 111 × 96 km at 30° N).
 * Cell id = (floor(lat) + 90) × 360 + (floor(lng) + 180); REGION_CELL_SQL computes the same in SQL.
 */
export interface Point {
  lat: number;
  lng: number;
}

export function regionCell(p: Point): number {
  const lat = Math.min(179, Math.max(0, Math.floor(p.lat) + 90));
  const lng = (((Math.floor(p.lng) + 180) % 360) + 360) % 360;
  return lat * 360 + lng;
}

/** The cells within `ring` cells of each point (ring 1: the 3 × 3 block around it), without repeats. */
export function cellsAround(points: readonly Point[], ring = 1): number[] {
  const cells = new Set<number>();
  for (const p of points) {
    const lat0 = Math.floor(p.lat) + 90;
    const lng0 = Math.floor(p.lng) + 180;
    for (let dLat = -ring; dLat <= ring; dLat++) {
      const lat = lat0 + dLat;
      if (lat < 0 || lat > 179) continue;
      for (let dLng = -ring; dLng <= ring; dLng++) cells.add(lat * 360 + ((((lng0 + dLng) % 360) + 360) % 360));
    }
  }
  return [...cells].sort((a, b) => a - b);
}
