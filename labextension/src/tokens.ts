import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';

/** What the sidebar shows about one notebook's connection to the kernel-side engine. */
export interface ILinkState {
  /** The kernel's display name, or null with no kernel. */
  kernel: string | null;
  /** True once the kernel opened the `jupyter_codegen` comm with a protocol we speak. */
  connected: boolean;
  /** The last protocol or kernel error, shown in the panel. */
  lastError: string | null;
}

/** One notebook's link to the kernel-side engine (one per notebook panel). */
export interface INotebookLink {
  readonly panel: NotebookPanel;
  readonly sessionContext: ISessionContext;
  readonly state: ILinkState;
  /** The open comm, if the kernel opened one. */
  readonly comm: Kernel.IComm | null;
  /** Emitted whenever `state` changes. */
  readonly stateChanged: ISignal<INotebookLink, ILinkState>;
}

/** The links of all open notebooks; provided by the notebook plugin, used by the panel. */
export interface ICodegenLinks {
  /** The link of a notebook panel, if it has one. */
  get(panel: NotebookPanel): INotebookLink | undefined;
  /** Emitted when a notebook gets a link. */
  readonly added: ISignal<ICodegenLinks, INotebookLink>;
}

export const ICodegenLinks = new Token<ICodegenLinks>(
  'jupyter-codegen:ICodegenLinks',
  'Per-notebook links to the kernel-side jupyter-codegen engine.'
);
