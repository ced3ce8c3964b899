/**
 * A target whose only crash sits behind three nested checks of one nibble each (1 in 4096 for a
 * random 3-byte prefix): coverage guidance finds it a level at a time, keeping each input that
 * passes one more check.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { FuzzTarget } from './targets.js';

const nibble = (data: Uint8Array, at: number): number => (data[at] ?? 0) >> 4;

export const magicTarget: FuzzTarget = {
  name: 'magic',
  run(data) {
    if (nibble(data, 0) === 0x4) {
      if (nibble(data, 1) === 0x5) {
        if (nibble(data, 2) === 0x6) throw new TypeError('magic reached');
      }
    }
    throw new FlightError(Code.INVALID_ARGUMENT, 'no magic');
  },
  seeds: () => [Buffer.from('0000')],
  tokens: [],
};
