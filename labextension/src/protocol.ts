/**
 * Messages between the kernel (jupyter_codegen.comm_frontend) and this extension over the
 * `jupyter_codegen` comm target. Documented in docs/protocol.md; bump PROTOCOL_VERSION on any
 * incompatible change (both sides check it in the first message).
 */

/** The comm target the kernel opens. */
export const COMM_TARGET = 'jupyter_codegen';

/** Version of the message set below. */
export const PROTOCOL_VERSION = 1;

/** Cell metadata key linking a generated cell to its prompt cell (frontend.METADATA_KEY). */
export const METADATA_KEY = 'jupyter_codegen';

/** `comm_open` data sent by the kernel. */
export interface IOpenData {
  version: number;
}
