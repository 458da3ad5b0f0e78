// What the Grafana dashboard and the Prometheus alert rules of deploy/observability read: their PromQL
// expressions and the metric names those use (a test checks each is exported by the services' /metrics).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const OBSERVABILITY_DIR = 'deploy/observability';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(dir = OBSERVABILITY_DIR): { groups: { name: string; rules: AlertRule[] }[] } {
  return parse(readFileSync(join(dir, 'prometheus-rules.yaml'), 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
}

export interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  targets: { refId: string; expr: string }[];
}

export function dashboard(dir = OBSERVABILITY_DIR): { uid: string; title: string; panels: DashboardPanel[] } {
  return JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as { uid: string; title: string; panels: DashboardPanel[] };
}

/** Every PromQL expression of the dashboard and the alert rules, with where it comes from. */
export function expressions(dir = OBSERVABILITY_DIR): { where: string; expr: string }[] {
  return [
    ...dashboard(dir).panels.flatMap((p) => p.targets.map((t) => ({ where: `dashboard panel "${p.title}" ${t.refId}`, expr: t.expr }))),
    ...alertRules(dir).groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
  ];
}

/** The series a histogram or summary exports besides its name. */
const SUFFIXES = /_(bucket|sum|count)$/;

/**
 * The metric names an expression reads: the identifiers of our families (`meshfab_…`, `http_…`, `process_…`,
 * `nodejs_…`) outside label matchers and strings, a histogram's `_bucket`/`_sum`/`_count` mapped to its name.
 */
export function metricNamesOf(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}');
  const names = bare.match(/\b(?:meshfab|http|process|nodejs)_[a-zA-Z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(SUFFIXES, '')))];
}

/** The metric families a /metrics text declares (its `# TYPE` lines). */
export function exportedFamilies(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ')[2]);
}
