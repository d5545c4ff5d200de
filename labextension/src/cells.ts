/** Reading the notebook's cells: which are generated, which is linked to a prompt, edited. */
import type { ISharedCell } from '@jupyter/ydoc';

import { type IGeneratedMeta, METADATA_KEY } from './protocol';

/** The generated-cell metadata of a shared cell, if it has one. */
export function generatedMeta(cell: ISharedCell): IGeneratedMeta | null {
  const meta = cell.getMetadata(METADATA_KEY) as IGeneratedMeta | undefined;
  return meta && typeof meta === 'object' && 'prompt_hash' in meta
    ? meta
    : null;
}

/**
 * The generated cell linked to a prompt cell: among the cells directly below it that link to
 * it, the first one not superseded (the headless runner's rule).
 */
export function linkedCell(
  cells: readonly ISharedCell[],
  promptIndex: number
): ISharedCell | null {
  const promptId = cells[promptIndex].getId();
  for (let j = promptIndex + 1; j < cells.length; j++) {
    const meta = generatedMeta(cells[j]);
    if (!meta || meta.prompt_cell_id !== promptId) {
      return null;
    }
    if (!meta.superseded) {
      return cells[j];
    }
  }
  return null;
}

/** sha256(code with trailing whitespace removed), 16 hex digits: frontend.code_hash. */
export async function codeHash(code: string): Promise<string | null> {
  const subtle = window.crypto?.subtle;
  if (!subtle) {
    return null; // not a secure context: "edited" is not shown, nothing else changes
  }
  const bytes = new TextEncoder().encode(code.trimEnd());
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 8), b =>
    b.toString(16).padStart(2, '0')
  ).join('');
}

/** The first words of a prompt cell, without the `%%gemini` line. */
export function promptSnippet(source: string): string {
  const body = source.split('\n').slice(1).join(' ').trim();
  return body.length > 60 ? `${body.slice(0, 57)}...` : body;
}
