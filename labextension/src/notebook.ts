/**
 * The notebook plugin: one link per notebook between the extension and the kernel-side engine.
 *
 * It registers the `jupyter_codegen` comm target on the notebook's kernel (again whenever the
 * kernel changes); the kernel opens the comm (see docs/protocol.md).
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { COMM_TARGET, type IOpenData, PROTOCOL_VERSION } from './protocol';
import { ICodegenLinks, type ILinkState, type INotebookLink } from './tokens';

/** The link between one notebook panel and its kernel. */
class NotebookLink implements INotebookLink {
  constructor(readonly panel: NotebookPanel) {
    this.sessionContext = panel.sessionContext;
    this.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    this._attach(this.sessionContext.session?.kernel ?? null);
  }

  readonly sessionContext: ISessionContext;

  get state(): ILinkState {
    return this._state;
  }

  get comm(): Kernel.IComm | null {
    return this._comm;
  }

  get stateChanged(): ISignal<INotebookLink, ILinkState> {
    return this._stateChanged;
  }

  dispose(): void {
    this._attach(null);
    Signal.clearData(this);
  }

  private _onKernelChanged(
    _: ISessionContext,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    this._attach(change.newValue);
  }

  /** Register the comm target on a new kernel connection (null: detach). */
  private _attach(kernel: Kernel.IKernelConnection | null): void {
    if (this._kernel) {
      this._kernel.statusChanged.disconnect(this._onStatus, this);
    }
    this._kernel = kernel;
    this._comm = null;
    if (kernel) {
      kernel.registerCommTarget(COMM_TARGET, (comm, msg) =>
        this._onCommOpen(comm, msg)
      );
      kernel.statusChanged.connect(this._onStatus, this);
    }
    this._update({ connected: false, kernel: this._kernelName() });
  }

  private _kernelName(): string | null {
    return this._kernel ? this.sessionContext.kernelDisplayName : null;
  }

  /** A restart drops the kernel-side engine with its comm. */
  private _onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._comm = null;
      this._update({ connected: false });
    }
  }

  private _onCommOpen(
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void {
    const data = msg.content.data as Partial<IOpenData>;
    if (data.version !== PROTOCOL_VERSION) {
      this._update({
        lastError: `kernel speaks protocol ${String(data.version)}, this extension ${PROTOCOL_VERSION}: reinstall jupyter-codegen`
      });
      return;
    }
    this._comm = comm;
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._update({ connected: false });
      }
    };
    this._update({ connected: true, lastError: null });
  }

  private _update(change: Partial<ILinkState>): void {
    this._state = { ...this._state, ...change };
    this._stateChanged.emit(this._state);
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _state: ILinkState = {
    kernel: null,
    connected: false,
    lastError: null
  };
  private _stateChanged = new Signal<INotebookLink, ILinkState>(this);
}

/** All notebook links, keyed by panel. */
class CodegenLinks implements ICodegenLinks {
  get(panel: NotebookPanel): INotebookLink | undefined {
    return this._links.get(panel);
  }

  get added(): ISignal<ICodegenLinks, INotebookLink> {
    return this._added;
  }

  track(panel: NotebookPanel): void {
    const link = new NotebookLink(panel);
    this._links.set(panel, link);
    panel.disposed.connect(() => {
      this._links.delete(panel);
      link.dispose();
    });
    this._added.emit(link);
  }

  private _links = new Map<NotebookPanel, NotebookLink>();
  private _added = new Signal<ICodegenLinks, INotebookLink>(this);
}

export const notebookPlugin: JupyterFrontEndPlugin<ICodegenLinks> = {
  id: 'jupyter-codegen:plugin',
  description:
    'Links generated cells to their prompt cells through the jupyter_codegen comm.',
  autoStart: true,
  requires: [INotebookTracker],
  provides: ICodegenLinks,
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const links = new CodegenLinks();
    tracker.forEach(panel => links.track(panel));
    tracker.widgetAdded.connect((_, panel) => links.track(panel));
    return links;
  }
};
