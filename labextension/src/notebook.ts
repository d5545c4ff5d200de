/**
 * The notebook plugin: one link per notebook between the extension and the kernel-side engine
 * (jupyter_codegen/comm_frontend.py), following docs/protocol.md.
 *
 * - Before a `%%gemini` cell's execute request goes out (`executionScheduled`), it tells the
 *   kernel which generated cell is linked to it (a silent execute request: shell messages are
 *   handled in order, so the hint lands first).
 * - It registers the `jupyter_codegen` comm target on the notebook's kernel (again on every
 *   kernel change); the kernel opens the comm and sends `place`, `replace`, `requeue`, ...
 * - `place` inserts or updates the generated cell directly below its prompt cell through the
 *   shared model (the user's selection stays where it is) and runs that one cell, unless it is
 *   already queued (Run All, Shift-Enter twice): its own request then runs the placed code.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  type Notebook,
  NotebookActions,
  type NotebookPanel
} from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { type ISignal, Signal } from '@lumino/signaling';

import { generatedMeta, isPromptCell, linkedCell } from './cells';
import {
  COMM_TARGET,
  type FrontendMsg,
  type IChatDoneMsg,
  type IHint,
  type IOpenData,
  type IPlaceMsg,
  type IReplaceMsg,
  type IRequeueMsg,
  type KernelMsg,
  METADATA_KEY,
  PROTOCOL_VERSION,
  connectCode,
  hintCode,
  ranAlreadyCode
} from './protocol';
import {
  type IChatCallbacks,
  ICodegenLinks,
  type ILinkState,
  type INotebookLink
} from './tokens';

/** Settings this plugin reads (schema/plugin.json). */
interface ILinkSettings {
  runGeneratedCells: boolean;
}

/** How long `connect()` waits for the kernel to open the comm. */
const CONNECT_TIMEOUT_MS = 20000;

/** A cell's source for generated code: no trailing newlines (the code hash ignores them). */
function sourceOf(code: string): string {
  return code.replace(/\n+$/, '');
}

/** The link between one notebook panel and its kernel. */
class NotebookLink implements INotebookLink {
  constructor(
    readonly panel: NotebookPanel,
    private readonly _settings: ILinkSettings
  ) {
    this.sessionContext = panel.sessionContext;
    this.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    this._attach(this.sessionContext.session?.kernel ?? null);
  }

  readonly sessionContext: ISessionContext;

  get state(): ILinkState {
    return this._state;
  }

  get stateChanged(): ISignal<INotebookLink, ILinkState> {
    return this._stateChanged;
  }

  dispose(): void {
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    this.sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    this._attach(null);
    Signal.clearData(this);
  }

  // --- kernel and comm ----------------------------------------------------------------------

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
    this._dropComm();
    if (kernel) {
      kernel.registerCommTarget(COMM_TARGET, (comm, msg) =>
        this._onCommOpen(comm, msg)
      );
      kernel.statusChanged.connect(this._onStatus, this);
    }
    this._update({
      connected: false,
      kernel: kernel ? this.sessionContext.kernelDisplayName : null
    });
  }

  /** A restart drops the kernel-side engine with its comm. */
  private _onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._placedRun = null;
      this._dropComm();
      this._update({ connected: false, info: null });
    }
  }

  private _dropComm(): void {
    this._comm = null;
    for (const chat of this._chats.values()) {
      chat.done.reject(new Error('The kernel restarted or changed.'));
    }
    this._chats.clear();
  }

  private _onCommOpen(
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): void {
    // Never throw here: JupyterLab would close the comm for every client of the kernel.
    const data = msg.content.data as Partial<IOpenData>;
    if (data.client !== this._kernel?.clientId) {
      return; // opened for another client of the same kernel
    }
    if (data.version !== PROTOCOL_VERSION) {
      this._update({
        lastError: `The kernel speaks protocol ${String(data.version)}, this extension ${PROTOCOL_VERSION}: install the same jupyter-codegen in both.`
      });
      return;
    }
    this._comm = comm;
    comm.onMsg = reply =>
      this._onMsg(reply.content.data as unknown as KernelMsg);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._update({ connected: false });
      }
    };
    this._update({ connected: true, lastError: null });
  }

  private _send(msg: FrontendMsg): boolean {
    if (!this._comm || this._comm.isDisposed) {
      return false;
    }
    this._comm.send({ version: PROTOCOL_VERSION, ...msg });
    return true;
  }

  /** Run Python silently in the kernel (no output, no history, no execution count). */
  private _silent(code: string): void {
    this._kernel?.requestExecute(
      {
        code,
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false
      },
      true
    );
  }

  // --- hints --------------------------------------------------------------------------------

  private _onScheduled(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    const { notebook, cell } = args;
    if (notebook !== this.panel.content || cell.model.type !== 'code') {
      return;
    }
    if (this._ranAgain(cell)) {
      return;
    }
    const shared = cell.model.sharedModel;
    if (!isPromptCell(shared.getSource()) || !this._kernel) {
      return;
    }
    const cells = this.panel.content.model?.sharedModel.cells ?? [];
    const index = cells.findIndex(c => c.getId() === shared.getId());
    const linked = index >= 0 ? linkedCell(cells, index) : null;
    const meta = linked ? generatedMeta(linked) : null;
    const hint: IHint = {
      version: PROTOCOL_VERSION,
      client: this._kernel.clientId,
      cell_id: shared.getId(),
      linked:
        linked && meta
          ? {
              cell_id: linked.getId(),
              code: linked.getSource(),
              code_hash: meta.code_hash ?? null,
              prompt_hash: meta.prompt_hash ?? null
            }
          : null,
      regenerate: this._regenerate.delete(shared.getId())
    };
    this._silent(hintCode(hint));
  }

  /**
   * Exactly once (PRODUCT.md): the generated cell `_place` ran is scheduled again before any
   * other cell (the second Shift-Enter landed after `place` arrived). The kernel prints one
   * line instead of running the code, and the first run's outputs are put back above it.
   */
  private _ranAgain(cell: Cell): boolean {
    const placed = this._placedRun;
    const id = cell.model.sharedModel.getId();
    if (placed && placed.cellId === id && !placed.scheduled) {
      placed.scheduled = true; // the placement's own run
      return false;
    }
    this._placedRun = null;
    // Cells added or deleted since (its prompt cell deleted, say): the user did something
    // else in between, and this run is an ordinary one.
    const cellCount = this.panel.content.model?.sharedModel.cells.length;
    if (
      !placed ||
      placed.cellId !== id ||
      placed.cellCount !== cellCount ||
      !this._kernel
    ) {
      return false;
    }
    const model = cell.model as ICodeCellModel;
    // Still running: this request's start replaces those outputs, so none are kept.
    const kept = model.executionState === 'idle' ? model.outputs.toJSON() : [];
    this._silent(
      ranAlreadyCode({
        version: PROTOCOL_VERSION,
        client: this._kernel.clientId,
        cell_id: id
      })
    );
    if (kept.length) {
      const restore = (_: unknown, done: { cell: Cell }) => {
        if (done.cell !== cell) {
          return;
        }
        NotebookActions.executed.disconnect(restore);
        const line = model.outputs.toJSON();
        model.outputs.clear();
        [...kept, ...line].forEach(output => model.outputs.add(output));
      };
      NotebookActions.executed.connect(restore);
    }
    return true;
  }

  regenerate(promptCellId: string): void {
    const cell = this._widget(promptCellId);
    if (!cell) {
      return;
    }
    this._regenerate.add(promptCellId);
    void NotebookActions.runCells(
      this.panel.content,
      [cell],
      this.sessionContext
    );
  }

  connect(): Promise<void> {
    if (this._state.connected) {
      return Promise.resolve();
    }
    const kernel = this._kernel;
    if (!kernel) {
      return Promise.reject(new Error('This notebook has no kernel.'));
    }
    const done = new PromiseDelegate<void>();
    const onState = (_: INotebookLink, state: ILinkState) => {
      if (state.connected) {
        finish();
        done.resolve();
      } else if (state.lastError) {
        finish();
        done.reject(new Error(state.lastError));
      }
    };
    const timer = window.setTimeout(() => {
      finish();
      done.reject(
        new Error(
          'The kernel did not load jupyter_codegen: is the package installed in the kernel?'
        )
      );
    }, CONNECT_TIMEOUT_MS);
    const finish = () => {
      window.clearTimeout(timer);
      this._stateChanged.disconnect(onState);
    };
    this._stateChanged.connect(onState);
    this._silent(
      connectCode({ version: PROTOCOL_VERSION, client: kernel.clientId })
    );
    return done.promise;
  }

  refreshInfo(): void {
    this._send({ type: 'info_request' });
  }

  // --- messages from the kernel -------------------------------------------------------------

  private _onMsg(msg: KernelMsg): void {
    switch (msg.type) {
      case 'place':
        this._place(msg);
        break;
      case 'replace':
        this._replace(msg);
        break;
      case 'requeue':
        this._requeue(msg);
        break;
      case 'chat_delta':
        this._chats.get(msg.id)?.callbacks.onDelta(msg.text);
        break;
      case 'chat_done': {
        const chat = this._chats.get(msg.id);
        this._chats.delete(msg.id);
        chat?.done.resolve(msg);
        break;
      }
      case 'info':
        this._update({ info: msg, lastError: msg.last_error });
        break;
    }
  }

  private _widget(cellId: string): Cell | undefined {
    return this.panel.content.widgets.find(w => w.model.id === cellId);
  }

  /** Insert or update the generated cell below its prompt cell, then run it (once). */
  private _place(msg: IPlaceMsg): void {
    const model = this.panel.content.model;
    const cells = model?.sharedModel.cells ?? [];
    const promptIndex = cells.findIndex(c => c.getId() === msg.prompt_cell_id);
    if (!model || promptIndex < 0) {
      // The prompt cell was deleted meanwhile: nothing to attach the code to.
      this._send({
        type: 'placed',
        cell_id: msg.cell_id,
        ok: false,
        will_run: false
      });
      return;
    }
    const existing = msg.insert
      ? undefined
      : cells.find(c => c.getId() === msg.cell_id);
    const code = sourceOf(msg.code);
    model.sharedModel.transact(() => {
      if (existing && msg.metadata) {
        existing.setSource(code);
        existing.setMetadata(METADATA_KEY, { ...msg.metadata });
      } else if (!existing && msg.metadata) {
        model.sharedModel.insertCell(promptIndex + 1, {
          cell_type: 'code',
          id: msg.cell_id,
          source: code,
          metadata: { [METADATA_KEY]: { ...msg.metadata } }
        });
      }
      const old = msg.supersede_cell_id
        ? cells.find(c => c.getId() === msg.supersede_cell_id)
        : undefined;
      const oldMeta = old ? generatedMeta(old) : null;
      if (old && oldMeta) {
        old.setMetadata(METADATA_KEY, { ...oldMeta, superseded: true });
      }
    });
    const cell = this._widget(msg.cell_id);
    const queued =
      !!cell &&
      (cell.model as ICodeCellModel).executionState === 'running' &&
      cell.model.sharedModel.getId() === msg.cell_id;
    const run = msg.run && this._settings.runGeneratedCells && !!cell;
    if (run && !queued) {
      this._placedRun = {
        cellId: msg.cell_id,
        scheduled: false,
        cellCount: model.sharedModel.cells.length
      };
      void NotebookActions.runCells(
        this.panel.content,
        [cell!],
        this.sessionContext
      );
    }
    this._send({
      type: 'placed',
      cell_id: msg.cell_id,
      ok: !!cell,
      will_run: run
    });
  }

  /** A fix of the running generated cell: new source and metadata; it does not rerun. */
  private _replace(msg: IReplaceMsg): void {
    const cells = this.panel.content.model?.sharedModel.cells ?? [];
    const cell = cells.find(c => c.getId() === msg.cell_id);
    if (cell) {
      cell.setSource(sourceOf(msg.code));
      cell.setMetadata(METADATA_KEY, { ...msg.metadata });
    }
  }

  /** Run cells again whose first request the kernel deferred behind a new generated cell. */
  private _requeue(msg: IRequeueMsg): void {
    const widgets = msg.cell_ids
      .map(id => this._widget(id))
      .filter((w): w is Cell => !!w);
    if (widgets.length) {
      void NotebookActions.runCells(
        this.panel.content,
        widgets,
        this.sessionContext
      );
    }
  }

  // --- sidebar actions ----------------------------------------------------------------------

  chat(
    text: string,
    model: string,
    callbacks: IChatCallbacks
  ): Promise<IChatDoneMsg> {
    const id = UUID.uuid4();
    const done = new PromiseDelegate<IChatDoneMsg>();
    this._chats.set(id, { callbacks, done });
    if (!this._send({ type: 'chat', id, text, model })) {
      this._chats.delete(id);
      done.reject(new Error('Not connected to the kernel.'));
    }
    return done.promise;
  }

  insertBelowActive(code: string, run: boolean): void {
    const notebook = this.panel.content;
    const model = notebook.model;
    if (!model) {
      return;
    }
    const index = Math.max(notebook.activeCellIndex, -1) + 1;
    model.sharedModel.insertCell(index, { cell_type: 'code', source: code });
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    if (run) {
      void NotebookActions.runCells(
        notebook,
        [notebook.widgets[index]],
        this.sessionContext
      );
    }
  }

  private _update(change: Partial<ILinkState>): void {
    this._state = { ...this._state, ...change };
    this._stateChanged.emit(this._state);
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _regenerate = new Set<string>();
  /** The generated cell `_place` last ran, until another cell is scheduled. */
  private _placedRun: {
    cellId: string;
    scheduled: boolean;
    cellCount: number;
  } | null = null;
  private _chats = new Map<
    string,
    { callbacks: IChatCallbacks; done: PromiseDelegate<IChatDoneMsg> }
  >();
  private _state: ILinkState = {
    kernel: null,
    connected: false,
    lastError: null,
    info: null
  };
  private _stateChanged = new Signal<INotebookLink, ILinkState>(this);
}

/** All notebook links, keyed by panel. */
class CodegenLinks implements ICodegenLinks {
  constructor(private readonly _settings: ILinkSettings) {}

  get(panel: NotebookPanel): INotebookLink | undefined {
    return this._links.get(panel);
  }

  get added(): ISignal<ICodegenLinks, INotebookLink> {
    return this._added;
  }

  track(panel: NotebookPanel): void {
    const link = new NotebookLink(panel, this._settings);
    this._links.set(panel, link);
    panel.disposed.connect(this._onDisposed, this);
    this._added.emit(link);
  }

  private _onDisposed(panel: NotebookPanel): void {
    this._links.get(panel)?.dispose();
    this._links.delete(panel);
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
  optional: [ISettingRegistry],
  provides: ICodegenLinks,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: ISettingRegistry | null
  ) => {
    const settings: ILinkSettings = { runGeneratedCells: true };
    if (registry) {
      void registry.load(notebookPlugin.id).then(loaded => {
        const read = () => {
          settings.runGeneratedCells = loaded.get('runGeneratedCells')
            .composite as boolean;
        };
        read();
        loaded.changed.connect(read);
      });
    }
    const links = new CodegenLinks(settings);
    tracker.forEach(panel => links.track(panel));
    tracker.widgetAdded.connect((_, panel) => links.track(panel));
    return links;
  }
};
