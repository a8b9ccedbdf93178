/** The one error code -> HTTP status mapping (src/api/problems.ts), shared by server.ts and the REST operation API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeterfabricError } from '../../src/errors.ts';
import { errorBody, problemFromThrown, problemOf, statusOf } from '../../src/api/problems.ts';
import { httpStatus, problem } from '../../src/api/server.ts';

test('status classes of the REST edges', () => {
  const expected: [number, number][] = [
    [ErrorCode.VALIDATION_ERROR, 400], [ErrorCode.AUTHENTICATION_REQUIRED, 401], [ErrorCode.UNAUTHORIZED, 403],
    [ErrorCode.DISABLED_ORGANISATION, 403], [ErrorCode.UNKNOWN_DEVICE, 404], [ErrorCode.UNKNOWN_CORRELATION_UID, 404],
    [ErrorCode.EXISTING_DEVICE, 409], [ErrorCode.CONFIGURATION_ERROR, 501], [ErrorCode.INTERNAL_ERROR, 500], [ErrorCode.CONNECTION_ERROR, 422],
  ];
  for (const [code, status] of expected) assert.equal(statusOf(code), status, `code ${code}`);
});

test('server.ts and the REST problems use the same mapping', () => {
  assert.equal(httpStatus, statusOf);
  assert.equal(problem, errorBody);
  const e = new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, 'Device X is unknown', { component: 'DOMAIN_CORE' });
  assert.deepEqual(errorBody(e), { status: 404, code: 201, codeName: 'UNKNOWN_DEVICE', component: 'DOMAIN_CORE', message: 'Device X is unknown' });
  assert.equal(problemFromThrown(e).status, errorBody(e).status);
  assert.equal(problemOf(ErrorCode.EXISTING_DEVICE, 'X', '').status, 409);
});

test('an unexpected error reveals nothing of itself', () => {
  const p = problemFromThrown(new Error('secret 00112233445566778899aabbccddeeff'));
  assert.equal(p.status, 500);
  assert.ok(!JSON.stringify(p).includes('00112233'));
});

test('one scrubber at the edge: key-like hex removed, database texts become the code\'s description, JSON errors not quoted', async () => {
  const { errorAnswer, publicError } = await import('../../src/api/problems.ts');
  const { faultFromThrown } = await import('../../src/api/soap/faults.ts');
  const key = '00112233445566778899AABBCCDDEEFF';
  const leaky = new MeterfabricError(ErrorCode.VALIDATION_ERROR, `bad value ${key}`, { component: 'SHARED' });
  const sql = new MeterfabricError(ErrorCode.EXISTING_DEVICE, 'duplicate key value violates unique constraint "device_pkey"', { component: 'DOMAIN_CORE' });
  const pgError = Object.assign(new Error('null value in column "name" of relation "organisation" violates not-null constraint'), { code: '23502', constraint: 'x' });
  const logged: unknown[] = [];
  const bodies = [
    JSON.stringify(errorBody(leaky)), JSON.stringify(problemFromThrown(leaky)), JSON.stringify(errorBody(sql)), JSON.stringify(problemFromThrown(sql)),
    JSON.stringify(errorAnswer(pgError, (e) => logged.push(e))), JSON.stringify(problemFromThrown(pgError)),
    faultFromThrown(leaky).toEnvelope(), faultFromThrown(sql).toEnvelope(), faultFromThrown(pgError).toEnvelope(),
    JSON.stringify(errorAnswer(Object.assign(new SyntaxError(`Unexpected token in JSON at position 9: "{\\"text\\":\\"${key.slice(0, 20)}`), { statusCode: 400 }), () => undefined)),
  ];
  for (const b of bodies) {
    assert.ok(!b.includes(key) && !b.includes(key.slice(0, 20)), b);
    assert.ok(!/constraint|relation|device_pkey|duplicate key/i.test(b), b);
  }
  assert.equal(logged.length, 1, 'the unexpected error is logged, not answered');
  assert.deepEqual(publicError(sql), { code: 204, codeName: 'EXISTING_DEVICE', component: 'DOMAIN_CORE', message: 'The request could not be completed: EXISTING_DEVICE.' });
  assert.match(JSON.stringify(errorBody(leaky)), /bad value \[redacted\]/);
});
