/**
 * Why a 32-byte secret key given as hex is too weak to sign with, or null when it is not.
 *
 * A key from a random source has about 30 distinct byte values and about 30 distinct steps
 * between neighbouring bytes; the rules below refuse keys that a person typed or patterned
 * (all zeros, `abab…`, `0123…`, `deadbeef…`, one half repeated) while a random key fails them
 * about once in 10^15 draws.
 */
export function weakKeyReason(hex: string): string | null {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== 32 || bytes.toString('hex') !== hex.toLowerCase()) return 'it is not 32 bytes of hex';
  if (new Set(bytes).size < 16) return `it has only ${new Set(bytes).size} distinct byte values (a random key has about 30)`;
  const steps = new Set(bytes.subarray(1).map((byte, i) => (byte - bytes[i] + 256) % 256));
  if (steps.size < 16) return `its bytes follow a pattern (only ${steps.size} distinct steps between neighbours)`;
  for (let period = 1; period <= 16; period++) {
    if (bytes.every((byte, i) => i + period >= bytes.length || byte === bytes[i + period])) {
      return `it repeats a ${period}-byte pattern`;
    }
  }
  return null;
}
