import { serverAudits } from 'graphql-http';
import { startGateway, type TestGateway } from './helpers/gateway';

/**
 * GraphQL over HTTP conformance of /graphql, by graphql-http's own audits. A MUST audit that fails
 * reports `error`; SHOULD and MAY audits report `warn` and `notice`, which are listed, not asserted.
 */
describe('GraphQL over HTTP (graphql-http audits)', () => {
  let gw: TestGateway | null = null;
  const url = (): string => {
    if (!gw) throw new Error('gateway not started');
    return gw.httpUrl;
  };
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw?.close());

  const warnings: string[] = [];
  afterAll(() => {
    // Visible in the test output for whoever wants the SHOULD/MAY picture.
    if (warnings.length > 0) process.stdout.write(`graphql-http SHOULD/MAY audits not met:\n${warnings.join('\n')}\n`);
  });

  for (const audit of serverAudits({ url })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      if (result.status === 'error') throw new Error(`${result.reason}\n${JSON.stringify(await result.response.text()).slice(0, 500)}`);
      if (result.status !== 'ok') warnings.push(`${result.status}: ${audit.name}: ${result.reason}`);
    });
  }
});
