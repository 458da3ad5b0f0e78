// The Grafana dashboard and Prometheus alert rules of deploy/observability, checked as the tools would take
// them (promtool is not available here): the rule groups validate against the Prometheus Operator's
// PrometheusRule schema, every rule is complete, every expression is well-formed PromQL as far as its
// brackets and strings go, and the dashboard is a Grafana dashboard whose panels all query something.
// (test/e2e/observability checks that every metric they name is exported by a running network.)
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { alertRules, dashboard, expressions, metricNamesOf } from './observability-references.js';

/** Brackets balance and nest, outside strings; strings close. */
function bracketProblem(expr: string): string | undefined {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '"') {
      const end = expr.indexOf('"', i + 1);
      if (end < 0) return 'unclosed string';
      i = end;
    } else if ('([{'.includes(c)) open.push(c);
    else if (c in pairs && open.pop() !== pairs[c]) return `unbalanced ${c} at ${i}`;
  }
  return open.length > 0 ? `unclosed ${open.join('')}` : undefined;
}

describe('deploy/observability', () => {
  it('has alert rules a Prometheus Operator takes (PrometheusRule schema), each complete', () => {
    const rules = alertRules();
    expect(() => new PrometheusRule({ metadata: { name: 'meshfab', namespace: 'meshfab' }, spec: rules }).validate()).not.toThrow();
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    for (const rule of all) {
      expect({ alert: rule.alert, for: rule.for }).toEqual({ alert: expect.stringMatching(/^Meshfab[A-Za-z]+$/), for: expect.stringMatching(/^\d+[smhd]$/) });
      expect(['info', 'warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.any(String));
    }
  });

  it('refuses a rule file the schema would refuse (the check can fail)', () => {
    expect(() => new PrometheusRule({ metadata: { name: 'x' }, spec: { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] } as never }).validate()).toThrow();
  });

  it('has well-formed expressions that each read at least one Meshfab metric', () => {
    for (const { where, expr } of expressions()) {
      expect({ where, problem: bracketProblem(expr) }).toEqual({ where, problem: undefined });
      expect({ where, names: metricNamesOf(expr).length > 0 }).toEqual({ where, names: true });
    }
    expect(bracketProblem('sum(rate(x[5m])')).toBe('unclosed (');
  });

  it('has a Grafana dashboard whose panels all query Prometheus', () => {
    const d = dashboard();
    expect(d).toMatchObject({ uid: 'meshfab-network', title: expect.any(String) });
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const panel of d.panels) expect(panel.targets.length).toBeGreaterThan(0);
  });

  it('reads metric names out of expressions, not label values or histogram series', () => {
    expect(metricNamesOf('histogram_quantile(0.95, sum by (le) (rate(meshfab_webhook_time_to_deliver_seconds_bucket{x="meshfab_no"}[5m])))')).toEqual([
      'meshfab_webhook_time_to_deliver_seconds',
    ]);
  });
});
