/**
 * The notebook rules (cells.ts) on the cases the kernel's rules are tested on
 * (tests/cases/notebook_rules.json, read by tests/test_notebook_rules.py too). Run by
 * `jlpm test` (Node's test runner on a CommonJS build, tsconfig.test.json); not part of the
 * extension's bundle.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

import {
  codeHash,
  type IRuleCell,
  isEdited,
  isPromptCell,
  linkedCell,
  linkedCells
} from '../src/cells';

interface ICaseCell {
  id: string;
  source: string;
  metadata: Record<string, unknown>;
}

interface ICases {
  is_prompt_cell: { note: string; source: string; expected: boolean }[];
  code_hash: { note: string; code: string; expected: string }[];
  is_edited: {
    note: string;
    code: string;
    stored_hash: string | null;
    expected: boolean;
  }[];
  linked_cells: {
    note: string;
    cells: ICaseCell[];
    prompt_index: number;
    expected: string[];
    expected_linked: string | null;
  }[];
}

/** `jlpm test` runs in labextension/; the cases live with the Python tests. */
const CASES_PATH = resolve('..', 'tests', 'cases', 'notebook_rules.json');
const cases = JSON.parse(readFileSync(CASES_PATH, 'utf-8')) as ICases;

/** A case's cell as the rules read a shared cell. */
function sharedCell(cell: ICaseCell): IRuleCell {
  return {
    getId: () => cell.id,
    getSource: () => cell.source,
    getMetadata: (key: string) => cell.metadata[key]
  };
}

describe('isPromptCell', () => {
  for (const c of cases.is_prompt_cell) {
    test(`${c.note}: ${JSON.stringify(c.source)}`, () => {
      assert.equal(isPromptCell(c.source), c.expected);
    });
  }
});

describe('codeHash', () => {
  for (const c of cases.code_hash) {
    test(c.note, async () => {
      assert.equal(await codeHash(c.code), c.expected);
    });
  }
});

describe('isEdited', () => {
  for (const c of cases.is_edited) {
    test(c.note, async () => {
      assert.equal(await isEdited(c.code, c.stored_hash), c.expected);
    });
  }
});

describe('linkedCells and linkedCell', () => {
  for (const c of cases.linked_cells) {
    test(c.note, () => {
      const cells = c.cells.map(sharedCell);
      const ids = linkedCells(cells, c.prompt_index).map(cell => cell.getId());
      assert.deepEqual(ids, c.expected);
      const linked = linkedCell(cells, c.prompt_index);
      assert.equal(linked ? linked.getId() : null, c.expected_linked);
    });
  }
});
