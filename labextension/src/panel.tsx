/**
 * The right-sidebar panel, bound to the current notebook's kernel: backend status now; chat,
 * history and registered functions through the same kernel-side engine as the magic.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon, ReactWidget } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import iconSvg from '../style/icons/codegen.svg';
import { ICodegenLinks, type ILinkState, type INotebookLink } from './tokens';

export const codegenIcon = new LabIcon({
  name: 'jupyter-codegen:icon',
  svgstr: iconSvg
});

/** The panel's view of the current notebook. */
interface IPanelModel {
  notebook: string | null;
  state: ILinkState | null;
}

function StatusList({
  model,
  trans
}: {
  model: IPanelModel;
  trans: TranslationBundle;
}): JSX.Element {
  if (!model.notebook || !model.state) {
    return (
      <p className="jp-codegen-empty">
        {trans.__('Open a notebook to use its kernel here.')}
      </p>
    );
  }
  const { kernel, connected, lastError } = model.state;
  return (
    <dl className="jp-codegen-status" data-codegen="status">
      <dt>{trans.__('Notebook')}</dt>
      <dd>{model.notebook}</dd>
      <dt>{trans.__('Kernel')}</dt>
      <dd>{kernel ?? trans.__('no kernel')}</dd>
      <dt>{trans.__('Engine')}</dt>
      <dd
        className={
          connected ? 'jp-codegen-status-ok' : 'jp-codegen-status-warn'
        }
        data-codegen="engine"
      >
        {connected
          ? trans.__('connected')
          : trans.__(
              'not loaded: run %%load_ext jupyter_codegen in the notebook'
            )}
      </dd>
      {lastError && (
        <>
          <dt>{trans.__('Last error')}</dt>
          <dd className="jp-codegen-status-error">{lastError}</dd>
        </>
      )}
    </dl>
  );
}

/** The sidebar widget; re-renders when the current notebook or its link changes. */
class CodegenPanel extends ReactWidget {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _links: ICodegenLinks,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = 'jupyter-codegen-panel';
    this.addClass('jp-codegen-panel');
    this.title.icon = codegenIcon;
    this.title.caption = _trans.__('Codegen');
    _tracker.currentChanged.connect(this._bind, this);
    _links.added.connect(this._bind, this);
    this._bind();
  }

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }

  protected render(): JSX.Element {
    const panel = this._tracker.currentWidget;
    const model: IPanelModel = {
      notebook: panel ? panel.context.path : null,
      state: this._link?.state ?? null
    };
    const trans = this._trans;
    return (
      <>
        <header className="jp-codegen-panel-header">
          <codegenIcon.react tag="span" />
          {trans.__('Codegen')}
        </header>
        <section
          className="jp-codegen-section"
          aria-label={trans.__('Backend status')}
        >
          <h3 className="jp-codegen-section-title">{trans.__('Status')}</h3>
          <StatusList model={model} trans={trans} />
        </section>
      </>
    );
  }

  /** Follow the current notebook's link. */
  private _bind(): void {
    const panel: NotebookPanel | null = this._tracker.currentWidget;
    const link = panel ? this._links.get(panel) : undefined;
    if (link !== this._link) {
      this._link?.stateChanged.disconnect(this._onState, this);
      this._link = link;
      this._link?.stateChanged.connect(this._onState, this);
    }
    this.update();
  }

  private _onState(): void {
    this.update();
  }

  private _link: INotebookLink | undefined;
}

const OPEN_COMMAND = 'jupyter-codegen:open-panel';

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-codegen:panel',
  description:
    'The Codegen sidebar: chat with the live kernel, history, status.',
  autoStart: true,
  requires: [INotebookTracker, ICodegenLinks],
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    links: ICodegenLinks,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_codegen');
    const panel = new CodegenPanel(tracker, links, trans);
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(OPEN_COMMAND, {
      label: trans.__('Open the Codegen Panel'),
      icon: codegenIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: OPEN_COMMAND, category: trans.__('Codegen') });
  }
};
