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
