/**
 * CRC-16/X.25 as used for the HDLC HCS and FCS (docs/dlms.md#hdlc): reflected polynomial 0x1021 (0x8408 LSB-first),
 * init 0xFFFF, final XOR 0xFFFF, transmitted low byte first. Check value of ASCII "123456789" is 0x906E.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16x25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return (crc ^ 0xffff) & 0xffff;
}
