/**
 * Every fuzz target on its seeds and on every corpus file (inputs that found new coverage, and the
 * inputs of crashes since fixed): each entry point may only throw FlightError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { corpusFiles } from './corpus.js';
import { TARGETS, crashOf } from './targets.js';

for (const target of TARGETS) {
  describe(`fuzz target ${target.name}`, () => {
    test('its seeds are accepted or refused with FlightError', () => {
      for (const [i, seed] of target.seeds().entries()) assert.equal(crashOf(target, seed), undefined, `seed ${i}`);
    });

    test('every corpus input is accepted or refused with FlightError', () => {
      const files = corpusFiles(target.name);
      assert.ok(files.length > 0, `test/fuzz/corpus/${target.name}/ holds inputs`);
      for (const file of files) assert.equal(crashOf(target, file.data), undefined, file.name);
    });
  });
}
