/**
 * The catalogue's operations as platform executors: each execute() gets the ports bound to the real components
 * (src/adapters/bindings.ts) and runs in a span that carries the correlation id.
 */
import type { OperationContext as PlatformContext, OperationExecutor, Platform } from '../platform/platform.ts';
import { forRequest } from '../platform/throttle.ts';
import { syncDeviceFunctionMapping } from '../platform/device-functions.ts';
import { loadBundleProgress, saveBundleProgress } from '../platform/bundles.ts';
import { deviceReads, dlmsKeyBlobs, installationPort, inventoryPort, linkFactory, managementPort, secretPort, type ExecutorComponents } from '../adapters/bindings.ts';
import { firmwarePort } from '../adapters/bindings.ts';
import { emeterKeyPort } from '../adapters/emeter-keys.ts';
import { getOrganisationPublicKey } from '../platform/organisation-keys.ts';
import { inSpan, CORRELATION_UID } from '../observability/tracing.ts';
import { DEVICE_OPERATIONS, deviceFunctionMapping } from './catalogue.ts';
import type { OperationPorts } from './define.ts';

export function createExecutors(c: ExecutorComponents): OperationExecutor[] {
  const ports = (ctx: PlatformContext): OperationPorts => {
    // Device rows read once per execution, shared by the operation and its link; forgotten on inventory writes.
    const reads = deviceReads(c.db);
    const installation = installationPort(c.db, c.secrets, c.clientKeys);
    return {
      links: linkFactory(c.db, c.secrets, forRequest(c.throttle ?? ctx.throttle, ctx.priority), c.link, {
        organisationIdentification: ctx.organisationIdentification, correlationUid: ctx.correlationUid, messageType: ctx.messageType,
      }, reads),
      secrets: secretPort(c.secrets),
      inventory: inventoryPort(c.db, reads),
      keyBlobs: dlmsKeyBlobs,
      installation: { ...installation, saveDevice: (...a) => { reads.forget(); return installation.saveDevice(...a); } },
      emeterKeys: emeterKeyPort(c.secrets, async (org) => (await getOrganisationPublicKey(c.db, org))?.publicKeyPem, c.emeterKeys),
      bundleProgress: { load: (uid) => loadBundleProgress(c.db, uid), save: (uid, outcomes) => saveBundleProgress(c.db, uid, outcomes) },
      management: managementPort(c.db, () => reads.forget()),
      firmware: firmwarePort(c.db, c.firmware),
    };
  };
  return DEVICE_OPERATIONS.map((op) => ({
    messageType: op.messageType,
    execute: (ctx) =>
      inSpan(`execute ${op.messageType}`, { [CORRELATION_UID]: ctx.correlationUid, 'meterfabric.device': ctx.deviceIdentification, 'meterfabric.attempt': ctx.attempt }, () =>
        op.execute(ports(ctx), ctx.payload, {
          correlationUid: ctx.correlationUid,
          organisationIdentification: ctx.organisationIdentification,
          deviceIdentification: ctx.deviceIdentification,
          signal: ctx.signal,
          messageType: op.messageType,
          attempt: ctx.attempt,
        }),
      ),
  }));
}

/** Registers every operation of the catalogue and writes its function groups to the authorisation mapping. */
export async function registerExecutors(platform: Platform, c: Omit<ExecutorComponents, 'db'>): Promise<void> {
  for (const e of createExecutors({ ...c, db: platform.db })) platform.executors.register(e);
  await syncDeviceFunctionMapping(platform.db, deviceFunctionMapping());
}
