/**
 * The notebook rules, as the kernel has them (jupyter_codegen/notebook/cells.py, same names in
 * snake_case): which cell is a prompt cell, which generated cell is linked to it, and whether
 * the user edited it. Both sides are tested on the same cases (tests/cases/notebook_rules.json).
 */
import { type IGeneratedMeta, METADATA_KEY } from './protocol';

/** What the rules read of a cell: an `ISharedCell` has it. */
export interface IRuleCell {
  getId(): string;
  getSource(): string;
  getMetadata(key: string): unknown;
}

/**
 * `%%gemini` as the cell's magic, the way IPython reads it: after any blank lines, a line that
 * starts with `%%gemini` followed by a space or the end of the line (`%%geminis` is another
 * magic, `%gemini status` a line magic, an indented `  %%gemini` a line magic too).
 */
const PROMPT = /^(?:[ \t\r\f\v]*\n)*%%gemini(?: |[ \t\r\f\v]*(?:\n|$))/;

/** True for a `%%gemini` cell: cells.is_prompt_cell. */
export function isPromptCell(source: string): boolean {
  return PROMPT.test(source);
}

/** Trailing whitespace as the kernel strips it before hashing (ASCII: what editors strip). */
const TRAILING_WHITESPACE = /[ \t\n\r\f\v]+$/;

/**
 * sha256(code without trailing whitespace), 16 hex digits: cells.code_hash. Null without
 * `crypto.subtle` (a page that is not a secure context).
 */
export async function codeHash(code: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    return null;
  }
  const bytes = new TextEncoder().encode(code.replace(TRAILING_WHITESPACE, ''));
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 8), b =>
    b.toString(16).padStart(2, '0')
  ).join('');
}

/**
 * True when a generated cell's code is not the code that was generated there: cells.is_edited.
 * A cell without a stored hash counts as edited (nothing says it is unedited, and a
 * regeneration must never overwrite code the user may have written). Null when it cannot be
 * told here (no `crypto.subtle`); the kernel decides it itself from the hint.
 */
export async function isEdited(
  code: string,
  storedHash: string | null | undefined
): Promise<boolean | null> {
  if (!storedHash) {
    return true;
  }
  const hash = await codeHash(code);
  return hash === null ? null : hash !== storedHash;
}

/** The generated-cell metadata of a cell (with a prompt hash), if it has one. */
export function generatedMeta(cell: IRuleCell): IGeneratedMeta | null {
  const meta = cell.getMetadata(METADATA_KEY) as IGeneratedMeta | undefined;
  return meta && typeof meta === 'object' && 'prompt_hash' in meta
    ? meta
    : null;
}

/** A user-edited generated cell that a later generation replaced (kept, never rewritten). */
export function isSuperseded(cell: IRuleCell): boolean {
  return !!generatedMeta(cell)?.superseded;
}

/**
 * The generated cells directly below the prompt cell `cells[promptIndex]` that link to it
 * (their `prompt_cell_id` is its id), in order; the first other cell ends them.
 */
export function linkedCells<C extends IRuleCell>(
  cells: readonly C[],
  promptIndex: number
): C[] {
  const promptId = cells[promptIndex].getId();
  const found: C[] = [];
  for (let j = promptIndex + 1; j < cells.length; j++) {
    const meta = generatedMeta(cells[j]);
    if (!meta || meta.prompt_cell_id !== promptId) {
      break;
    }
    found.push(cells[j]);
  }
  return found;
}

/**
 * The generated cell linked to a prompt cell: the first of `linkedCells` that is not
 * superseded, null if there is none.
 */
export function linkedCell<C extends IRuleCell>(
  cells: readonly C[],
  promptIndex: number
): C | null {
  return linkedCells(cells, promptIndex).find(c => !isSuperseded(c)) ?? null;
}

/** The first words of a prompt cell, without the `%%gemini` line. */
export function promptSnippet(source: string): string {
  const body = source.split('\n').slice(1).join(' ').trim();
  return body.length > 60 ? `${body.slice(0, 57)}...` : body;
}
