/**
 * The fleet and bulk-job routes are declared once: every route registerFleetRoutes adds is described by
 * fleetOpenApiPaths (method, path, parameters), and nothing else is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { fleetOpenApiPaths, registerFleetRoutes } from '../../src/console/fleet.ts';
import type { Db } from '../../src/platform/db/db.ts';
import type { BulkJobs } from '../../src/platform/bulk-jobs.ts';

test('every fleet and bulk-job route is in the OpenAPI paths, with its path and query parameters', async () => {
  const app = Fastify();
  const registered: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') registered.push(`${m.toLowerCase()} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  });
  registerFleetRoutes(app, '/api/v1', { db: {} as Db, bulk: {} as BulkJobs, viewer: () => ({ organisationIdentification: 'x', admin: false, userName: 'x' }) });
  await app.ready();
  const paths = fleetOpenApiPaths('/api/v1');
  const described = Object.entries(paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m} ${p}`));
  assert.deepEqual(described.sort(), registered.sort());
  assert.ok(registered.length >= 9);

  type Param = { name: string; in: string; required: boolean; schema: { type?: string; maximum?: number } };
  const job = paths['/api/v1/bulk-jobs/{id}']!.get as { parameters: Param[] };
  assert.deepEqual(job.parameters.find((p) => p.name === 'id'), { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 64 } });
  assert.equal(job.parameters.find((p) => p.name === 'limit')?.schema.maximum, 1000);
  const devices = paths['/api/v1/fleet/devices']!.get as { parameters: Param[] };
  assert.deepEqual(devices.parameters.map((p) => p.name).sort(), ['after', 'before', 'coupled', 'lastResult', 'limit', 'owner', 'protocol', 'q', 'type']);
  assert.ok(devices.parameters.every((p) => p.in === 'query' && !p.required));
  const start = paths['/api/v1/bulk-jobs']!.post as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } }; responses: Record<string, unknown> };
  assert.deepEqual(Object.keys(start.requestBody.content['application/json'].schema.properties).sort(), ['body', 'devices', 'filter', 'operation']);
  assert.ok(start.responses['202']);
  await app.close();
});
