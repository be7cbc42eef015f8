/**
 * What deploy/ ships, checked without a cluster: the Kubernetes manifests against the API's schemas
 * (kubernetes-models) and against what the gateway needs from them; the Grafana dashboard against the
 * metrics a running gateway exports.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startGateway } from './helpers/gateway';

const run = promisify(execFile);
const DEPLOY = join(__dirname, '..', 'deploy');

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(DEPLOY, 'kubernetes', file), 'utf8')).map((document) => document.toJSON() as Manifest);
}

/** The metric names a PromQL expression reads (label matchers, grouping clauses and functions left out). */
function metricNames(expr: string): string[] {
  const PROMQL_WORDS = new Set(['sum', 'rate', 'count', 'avg', 'max', 'min', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'histogram_quantile', 'irate', 'increase', 'and', 'or', 'unless']);
  const bare = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...new Set(bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [])].filter((word) => !PROMQL_WORDS.has(word));
}

describe('deploy/kubernetes', () => {
  test('every manifest is valid against the Kubernetes API schemas', async () => {
    const { stdout } = await run(process.execPath, [join(__dirname, 'helpers', 'validate-manifests.mjs'), join(DEPLOY, 'kubernetes')]).catch((error: { stdout?: string }) => {
      throw new Error(`invalid manifests: ${error.stdout ?? String(error)}`);
    });
    const { checked, errors } = JSON.parse(stdout) as { checked: string[]; errors: string[] };
    expect(errors).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['Deployment/switchboard', 'Service/switchboard', 'PodDisruptionBudget/switchboard', 'HorizontalPodAutoscaler/switchboard', 'Secret/switchboard', 'Deployment/switchboard-redis']));
  });

  test('the gateways: N replicas, /readyz and /healthz probes, a grace period that covers the drain, the secret from a Secret', () => {
    const [deployment] = manifests('gateway.yaml');
    const pod = (deployment?.spec?.['template'] as { spec: { terminationGracePeriodSeconds: number; containers: Array<Record<string, unknown>> } }).spec;
    expect(deployment?.spec?.['replicas']).toBeGreaterThanOrEqual(2);
    // The gateway exits within 15 s of SIGTERM (README, Shutdown).
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(20);
    const [container] = pod.containers;
    expect(container).toMatchObject({ readinessProbe: { httpGet: { path: '/readyz' } }, livenessProbe: { httpGet: { path: '/healthz' } } });
    expect(container?.['env']).toEqual(expect.arrayContaining([{ name: 'SIGNALING_SECRET', valueFrom: { secretKeyRef: { name: 'switchboard', key: 'SIGNALING_SECRET' } } }]));
    const [pdb] = manifests('pdb.yaml');
    expect(pdb?.spec?.['minAvailable']).toBeGreaterThanOrEqual(1);
    const [hpa] = manifests('hpa.yaml');
    expect(hpa?.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'switchboard' }, metrics: [{ resource: { name: 'cpu' } }] });
  });
});

describe('deploy/grafana/switchboard.json', () => {
  test('every expression names a metric the gateway exports', async () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'switchboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const gateway = await startGateway();
    const exported = await (await fetch(`${gateway.url}/metrics`)).text();
    await gateway.close();
    // From the `# TYPE` lines: a labelled counter with no sample yet still declares itself there.
    const SERIES_OF: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };
    const series = new Set(
      [...exported.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name = '', type = '']) => (SERIES_OF[type] ?? ['']).map((suffix) => `${name}${suffix}`)),
    );
    const used = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => metricNames(target.expr).map((name) => ({ panel: panel.title, name }))));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter(({ name }) => !series.has(name))).toEqual([]);
    expect(metricNames('sum by (le) (rate(x_bucket{a="b"}[5m])) * on (instance) group_left y')).toEqual(['x_bucket', 'y']);
  });
});
