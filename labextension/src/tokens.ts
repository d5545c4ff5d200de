import type { ISessionContext } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';

import type { IChatDoneMsg, IInfoMsg } from './protocol';

/** What the sidebar shows about one notebook's connection to the kernel-side engine. */
export interface ILinkState {
  /** The kernel's display name, or null with no kernel. */
  kernel: string | null;
  /** True once the kernel opened the `jupyter_codegen` comm with a protocol we speak. */
  connected: boolean;
  /** The last protocol or kernel error, shown in the panel. */
  lastError: string | null;
  /** The kernel's last `info` (status, functions, history), if it sent one. */
  info: IInfoMsg | null;
}

/** Callbacks of one sidebar chat request. */
export interface IChatCallbacks {
  onDelta(text: string): void;
}

/** One notebook's link to the kernel-side engine (one per notebook panel). */
export interface INotebookLink {
  readonly panel: NotebookPanel;
  readonly sessionContext: ISessionContext;
  readonly state: ILinkState;
  /** Emitted whenever `state` changes. */
  readonly stateChanged: ISignal<INotebookLink, ILinkState>;
  /**
   * Load the engine in the kernel if needed and open the comm (the sidebar calls this; prompt
   * cells do it through their hints). Resolves when connected.
   */
  connect(): Promise<void>;
  /** Ask the kernel for a fresh `info` (status, functions, history). */
  refreshInfo(): void;
  /** Run a prompt cell again, asking the model for new code (the badge's Regenerate). */
  regenerate(promptCellId: string): void;
  /** Send a sidebar chat message through the kernel's engine; resolves with the full reply. */
  chat(
    text: string,
    model: string,
    callbacks: IChatCallbacks
  ): Promise<IChatDoneMsg>;
  /**
   * Insert a code cell below the active cell (and select it); run it if `run`.
   */
  insertBelowActive(code: string, run: boolean): void;
}

/** The links of all open notebooks; provided by the notebook plugin, used by the panel. */
export interface ICodegenLinks {
  /** The link of a notebook panel, if it has one. */
  get(panel: NotebookPanel): INotebookLink | undefined;
  /** Emitted when a notebook gets a link. */
  readonly added: ISignal<ICodegenLinks, INotebookLink>;
}

/** Command: explain `args.code` in the sidebar chat (the badge's Explain button). */
export const EXPLAIN_COMMAND = 'jupyter-codegen:explain';

export const ICodegenLinks = new Token<ICodegenLinks>(
  'jupyter-codegen:ICodegenLinks',
  'Per-notebook links to the kernel-side jupyter-codegen engine.'
);
