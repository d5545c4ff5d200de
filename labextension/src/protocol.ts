/**
 * Messages between the kernel (jupyter_codegen/comm_frontend.py) and this extension.
 * Documented in docs/protocol.md; bump PROTOCOL_VERSION on any incompatible change (both sides
 * check it: the hint payload and every comm message carry it). The kernel has the same types
 * in jupyter_codegen/notebook/protocol.py, named without the `I` (`IPlaceMsg` is `PlaceMsg`;
 * `IGeneratedMeta` is `GeneratedMetaJSON`).
 */

/** The comm target the kernel opens. */
export const COMM_TARGET = 'jupyter_codegen';

/** Version of the message set below. */
export const PROTOCOL_VERSION = 1;

/** Cell metadata key linking a generated cell to its prompt cell (frontend.METADATA_KEY). */
export const METADATA_KEY = 'jupyter_codegen';

/** What a generated cell stores under `jupyter_codegen` (frontend.GeneratedMeta). */
export interface IGeneratedMeta {
  prompt_cell_id: string | null;
  prompt_hash: string;
  model: string;
  mode: string;
  created: string;
  attempts: number;
  source: string;
  code_hash?: string;
  superseded?: boolean;
}

// --- extension -> kernel: the hint (a silent execute request, before the prompt cell's) -----

/** The prompt cell's linked generated cell: the code it holds now and the stored hashes. */
export interface IHintLinked {
  cell_id: string;
  code: string;
  /** Null when the cell has none: the kernel then takes it as edited (cells.isEdited). */
  code_hash: string | null;
  prompt_hash: string | null;
}

export interface IHint {
  version: number;
  /** The kernel connection's client id: the `session` of its request headers. */
  client: string;
  /** The prompt cell about to run. */
  cell_id: string;
  /** Its linked generated cell, if any (cells.linkedCell). */
  linked: IHintLinked | null;
  /** Ask the model again (the badge's Regenerate). */
  regenerate: boolean;
}

/** What the sidebar's `connect` silent execute carries. */
export interface IConnectData {
  version: number;
  client: string;
}

/**
 * What the `ran_already` silent execute carries: the generated cell the extension ran for a
 * placement is scheduled again straight after (Shift-Enter twice, the second press after
 * `place` arrived); that request then prints one line instead of running the code again.
 */
export interface IRanAlreadyData {
  version: number;
  client: string;
  cell_id: string;
}

/** The Python that calls `name` of comm_frontend with `payload` as JSON (run silently). */
function kernelCall(
  name: 'hint' | 'connect' | 'ran_already',
  payload: object
): string {
  // JSON in a Python string literal: JSON string escapes are valid Python escapes.
  const literal = JSON.stringify(JSON.stringify(payload));
  return `__import__('jupyter_codegen.comm_frontend', fromlist=['_']).${name}(${literal})`;
}

/** The Python a hint runs (silently) in the kernel. */
export function hintCode(hint: IHint): string {
  return kernelCall('hint', hint);
}

/** The Python the sidebar's `connect` runs (silently) in the kernel. */
export function connectCode(data: IConnectData): string {
  return kernelCall('connect', data);
}

/** The Python sent (silently) before a second run of a just-placed generated cell. */
export function ranAlreadyCode(data: IRanAlreadyData): string {
  return kernelCall('ran_already', data);
}

// --- kernel -> extension (comm messages) ----------------------------------------------------

/** `comm_open` data. */
export interface IOpenData {
  version: number;
  client: string;
}

/** Insert or update the generated cell below a prompt cell and run it. */
export interface IPlaceMsg {
  type: 'place';
  prompt_cell_id: string;
  cell_id: string;
  /** True: insert a new cell with `cell_id` below the prompt; false: update that cell. */
  insert: boolean;
  /** A user-edited generated cell the new one supersedes (kept, marked). */
  supersede_cell_id: string | null;
  code: string;
  /** Null: leave the cell's source and metadata as they are (the user's edit, pinned). */
  metadata: IGeneratedMeta | null;
  run: boolean;
}

/** A fix of the generated cell that is running: new source and metadata, nothing reruns. */
export interface IReplaceMsg {
  type: 'replace';
  cell_id: string;
  code: string;
  metadata: IGeneratedMeta;
}

/** Cells whose execution was deferred behind a new generated cell: run them again, in order. */
export interface IRequeueMsg {
  type: 'requeue';
  cell_ids: string[];
}

/** A streamed piece of a sidebar chat reply. */
export interface IChatDeltaMsg {
  type: 'chat_delta';
  id: string;
  text: string;
}

/** The end of a sidebar chat reply. */
export interface IChatDoneMsg {
  type: 'chat_done';
  id: string;
  text: string;
  code: string;
  model: string;
  error: string | null;
}

/** Backend status, registered functions and this kernel's generations (for the sidebar). */
/** An MCP server bound in the kernel, as `%gemini mcp list` shows it (never a secret). */
export interface IMcpServerInfo {
  /** The variable it is bound to (what generated code calls: `name.tool(...)`). */
  name: string;
  /** `not started`, `running`, `down`, `failed` or `stopped`. */
  state: string;
  /** The command or URL, without env or headers. */
  where: string;
  trusted: boolean;
  /** Its tools' stubs once it started (empty before: servers start at first use). */
  tools: string[];
  /** Tools whose schema could not become a signature, with why. */
  skipped: string[];
}

export interface IInfoMsg {
  type: 'info';
  status: string;
  model: string | null;
  functions: string[];
  mcp_servers: IMcpServerInfo[];
  history: IHistoryEntry[];
  last_error: string | null;
}

export interface IHistoryEntry {
  time: string;
  prompt: string;
  model: string;
  mode: string;
  source: string;
  attempts: number;
  status: string;
  code: string | null;
  cell_id: string | null;
}

export type KernelMsg =
  | IPlaceMsg
  | IReplaceMsg
  | IRequeueMsg
  | IChatDeltaMsg
  | IChatDoneMsg
  | IInfoMsg;

// --- extension -> kernel (comm messages) ----------------------------------------------------

/** The answer to `place`: whether the cell was written, and whether it will run. */
export interface IPlacedMsg {
  type: 'placed';
  cell_id: string;
  ok: boolean;
  will_run: boolean;
}

/** A sidebar chat message: the kernel answers with `chat_delta`... then `chat_done`. */
export interface IChatMsg {
  type: 'chat';
  id: string;
  text: string;
  /** Empty: the kernel's configured model. */
  model: string;
}

/** Ask for an `info` message. */
export interface IInfoRequestMsg {
  type: 'info_request';
}

export type FrontendMsg = IPlacedMsg | IChatMsg | IInfoRequestMsg;
