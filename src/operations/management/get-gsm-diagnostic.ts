/**
 * GetGsmDiagnostic: the gateway's view of the mobile network, read from the GSM diagnostic object (class 47,
 * attributes 2..8) of the communication method AddDevice stated (GPRS 0-0:25.6.0.255, CDMA 0-1:25.6.0.255, LTE
 * 0-2:25.6.0.255), as GXF (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * GetGsmDiagnosticCommandExecutor). DLMS numbers become the XSD's names (values past the named ones: RESERVED;
 * signal quality 99 or out of range: NOT_KNOWN_OR_NOT_DETECTABLE). Unlike GXF, capture_time is read and reported
 * (GXF leaves the required CaptureTime empty). A device without a stated method, or with a DSMR 4 protocol (no
 * such object), is 416.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { withLink } from '../../adapters/mbus-keys.ts';
import type { CommunicationMethod } from '../../adapters/ports.ts';
import { dataNumber, type DlmsData } from '../../dlms/axdr.ts';
import { el, IncompleteResultError, record, resultText, text } from '../../api/soap/mapping.ts';
import { schemaFiles } from '../../api/soap/wsdl.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { instantOf } from '../monitoring/meter-reads.ts';

/** The enumeration values of a simple type of the management schema, in order (their DLMS number is the index). */
function enumeration(type: string): readonly string[] {
  const xsd = schemaFiles.get('management-ws-smartmetering.xsd')?.toString('utf8') ?? '';
  const body = new RegExp(`<xsd:simpleType name="${type}">([\\s\\S]*?)</xsd:simpleType>`).exec(xsd)?.[1] ?? '';
  return [...body.matchAll(/<xsd:enumeration value="([A-Z0-9_]+)"/g)].map((m) => m[1]!);
}

const MODEM = enumeration('ModemRegistrationStatus');
const CIRCUIT = enumeration('CircuitSwitchedStatus');
const PACKET = enumeration('PacketSwitchedStatus');
const SIGNAL = enumeration('SignalQuality');
const NOT_KNOWN = 'NOT_KNOWN_OR_NOT_DETECTABLE';

/** A status number as its name; the last name (RESERVED) for the numbers past the named ones. */
const named = (names: readonly string[], n: number) => names[Math.min(n, names.length - 1)]!;
/** 0..31 as named, 99 and anything else NOT_KNOWN_OR_NOT_DETECTABLE. */
const signal = (n: number) => (n >= 0 && n < SIGNAL.indexOf(NOT_KNOWN) ? SIGNAL[n]! : NOT_KNOWN);

export interface GsmDiagnosticResult {
  operator: string;
  modemRegistrationStatus: string;
  circuitSwitchedStatus: string;
  packetSwitchedStatus: string;
  cellInfo: { cellId: number; locationId: number; signalQuality: string; bitErrorRate: number; mobileCountryCode: number; mobileNetworkCode: number; channelNumber: number };
  adjacentCells: { cellId: number; signalQuality: string }[];
  captureTime?: string;
}

const num = (d: DlmsData | undefined) => (d === undefined ? 0 : dataNumber(d, 'GSM diagnostic value') ?? 0);
const fieldsOf = (d: DlmsData | undefined): DlmsData[] => (d && (d.type === 'structure' || d.type === 'array') ? d.value : []);

function protocolError(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, message, { component: 'PROTOCOL_DLMS', retryable: false });
}

function cellInfoXml(v: unknown, p: string): string {
  const c = record(v, 'cellInfo');
  const n = (k: string) => {
    if (!Number.isInteger(c[k])) throw new IncompleteResultError(`cellInfo.${k}`);
    return c[k] as number;
  };
  if (!SIGNAL.includes(c.signalQuality as string)) throw new IncompleteResultError('cellInfo.signalQuality');
  return `<${p}:CellInfo>${el(`${p}:CellId`, n('cellId'))}${el(`${p}:LocationId`, n('locationId'))}${el(`${p}:SignalQuality`, c.signalQuality as string)}` +
    `${el(`${p}:BitErrorRate`, n('bitErrorRate'))}${el(`${p}:MobileCountryCode`, n('mobileCountryCode'))}${el(`${p}:MobileNetworkCode`, n('mobileNetworkCode'))}` +
    `${el(`${p}:ChannelNumber`, n('channelNumber'))}</${p}:CellInfo>`;
}

export default define({
  messageType: 'GET_GSM_DIAGNOSTIC',
  service: 'SmartMeteringManagement',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetGsmDiagnosticRequest',
  payload: z.object({}),
  soap: {
    request: 'GetGsmDiagnosticRequest',
    asyncResponse: 'GetGsmDiagnosticAsyncResponse',
    asyncRequest: 'GetGsmDiagnosticAsyncRequest',
    response: 'GetGsmDiagnosticResponse',
    wsdlOperations: ['GetGsmDiagnostic', 'GetGetGsmDiagnosticResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const d = record(stored.data, 'data') as Partial<GsmDiagnosticResult>;
      if (typeof d.operator !== 'string' || !MODEM.includes(d.modemRegistrationStatus as string) || !CIRCUIT.includes(d.circuitSwitchedStatus as string) ||
          !PACKET.includes(d.packetSwitchedStatus as string) || !Array.isArray(d.adjacentCells) || d.adjacentCells.length === 0 || typeof d.captureTime !== 'string') {
        throw new IncompleteResultError('GSM diagnostic');
      }
      const adjacent = d.adjacentCells.map((a) => {
        if (!Number.isInteger(a.cellId) || !SIGNAL.includes(a.signalQuality)) throw new IncompleteResultError('adjacentCells');
        return `<${p}:AdjacentCells>${el(`${p}:CellId`, a.cellId)}${el(`${p}:SignalQuality`, a.signalQuality)}</${p}:AdjacentCells>`;
      }).join('');
      return el(`${p}:Result`, resultText(stored.result)) +
        `<${p}:GetGsmDiagnosticResponseData>${el(`${p}:Operator`, d.operator)}${el(`${p}:ModemRegistrationStatus`, d.modemRegistrationStatus!)}` +
        `${el(`${p}:CircuitSwitchedStatus`, d.circuitSwitchedStatus!)}${el(`${p}:PacketSwitchedStatus`, d.packetSwitchedStatus!)}` +
        `${cellInfoXml(d.cellInfo, p)}${adjacent}${el(`${p}:CaptureTime`, d.captureTime)}</${p}:GetGsmDiagnosticResponseData>`;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/gsm-diagnostic',
    operationId: 'getGsmDiagnostic',
    summary: 'Read the gateway\'s mobile network diagnostic: operator, registration, cell, signal quality, adjacent cells (GetGsmDiagnostic)',
    tag: 'management',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<GsmDiagnosticResult> {
    const gateway = await ports.inventory.getGateway(ctx.deviceIdentification);
    const method = (await ports.management.communicationMethod(gateway.deviceIdentification))?.toUpperCase();
    if (method !== 'GPRS' && method !== 'CDMA' && method !== 'LTE') throw protocolError(`Cannot find ${method ?? 'a communication method'}_DIAGNOSTIC for ${gateway.deviceIdentification}`);
    if (!/^SMR 5/.test(gateway.protocol)) throw protocolError(`Cannot find ${method}_DIAGNOSTIC for protocol ${gateway.protocol}`);
    const r = await withLink(ports, gateway.deviceIdentification, ctx.signal, (link) => link.readGsmDiagnostic(method as CommunicationMethod));
    const cell = r.cellInfo;
    return {
      operator: r.operator,
      modemRegistrationStatus: named(MODEM, r.status),
      circuitSwitchedStatus: named(CIRCUIT, r.csAttachment),
      packetSwitchedStatus: named(PACKET, r.psStatus),
      cellInfo: {
        cellId: num(cell[0]), locationId: num(cell[1]), signalQuality: signal(num(cell[2])), bitErrorRate: num(cell[3]),
        mobileCountryCode: num(cell[4]), mobileNetworkCode: num(cell[5]), channelNumber: num(cell[6]),
      },
      adjacentCells: r.adjacentCells.map((a) => ({ cellId: num(fieldsOf(a)[0]), signalQuality: signal(num(fieldsOf(a)[1])) })),
      ...(r.captureTime ? { captureTime: instantOf({ type: 'octet-string', value: r.captureTime }, 'capture time', 'GSM diagnostic capture time unspecified') } : {}),
    };
  },
});
