/**
 * A COSEM value as GXF's GetSpecificAttributeValue prints it (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms DlmsHelper#getDebugInfo over a jDLMS DataObject; docs/monitoring.md#attribute-values):
 * `DataObject: Choice=<TYPE>, ResultData is<Kind>, value=[<class>]: <text>`, byte strings as `bytes[100, 101, …]`
 * (signed bytes, as Java prints them), structures and arrays with their elements on the following lines.
 */
import type { DlmsData } from '../../dlms/axdr.ts';

const NUMBER_CLASS: Record<string, string> = {
  integer: 'java.lang.Byte', unsigned: 'java.lang.Short', long: 'java.lang.Short', 'long-unsigned': 'java.lang.Integer',
  'double-long': 'java.lang.Integer', 'double-long-unsigned': 'java.lang.Long', long64: 'java.lang.Long', 'long64-unsigned': 'java.math.BigInteger',
  enum: 'java.lang.Short', bcd: 'java.lang.Byte', float32: 'java.lang.Float', float64: 'java.lang.Double',
};

const choice = (type: string) => type.replace(/-/g, '_').toUpperCase().replace('ENUM', 'ENUMERATE').replace('LONG64', 'LONG64');

function bytes(b: Buffer): string {
  return `bytes[${[...b].map((x) => (x > 127 ? x - 256 : x)).join(', ')}]`;
}

export function attributeText(d: DlmsData, indent = ''): string {
  const head = `${indent}DataObject: Choice=${choice(d.type)}, `;
  switch (d.type) {
    case 'null-data':
      return `${head}ResultData isNull, value=[null]: null`;
    case 'boolean':
      return `${head}ResultData isBoolean, value=[java.lang.Boolean]: ${d.value}`;
    case 'array':
    case 'structure':
    case 'compact-array':
      return `${head}ResultData isComplex, value=[java.util.ArrayList]: count: ${d.value.length}` + d.value.map((e) => `\n${attributeText(e, `${indent}  `)}`).join('');
    case 'octet-string':
    case 'bit-string':
    case 'date-time':
    case 'date':
    case 'time':
      return `${head}ResultData isByteArray, value=[[B]: ${bytes(d.value as Buffer)}`;
    case 'visible-string':
    case 'utf8-string':
      return `${head}ResultData isByteArray, value=[[B]: ${bytes(Buffer.from(d.value as string, d.type === 'visible-string' ? 'latin1' : 'utf8'))}`;
    default: {
      const cls = NUMBER_CLASS[d.type] ?? 'java.lang.Object';
      return `${head}ResultData isNumber, value=[${cls}]: ${String((d as { value: unknown }).value)}`;
    }
  }
}
