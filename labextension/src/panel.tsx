/**
 * The right-sidebar panel, bound to the current notebook's kernel. Everything goes through the
 * kernel-side engine (the same one as `%%gemini`): a chat whose replies stream in and whose code
 * can be inserted below the active cell (and run); the registered functions; this kernel's
 * generations; the backend status; and the extension's settings.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import { Button, LabIcon, ReactWidget } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import iconSvg from '../style/icons/codegen.svg';
import type { IInfoMsg } from './protocol';
import { EXPLAIN_COMMAND, ICodegenLinks, type INotebookLink } from './tokens';

export const codegenIcon = new LabIcon({
  name: 'jupyter-codegen:icon',
  svgstr: iconSvg
});

const PANEL_ID = 'jupyter-codegen-panel';
const OPEN_COMMAND = 'jupyter-codegen:open-panel';
const SETTINGS_ID = 'jupyter-codegen:plugin';

/** One turn of the sidebar chat. */
interface IChatEntry {
  id: number;
  role: 'user' | 'assistant';
  text: string;
  model?: string;
  error?: string | null;
  streaming?: boolean;
}

/** Text and fenced code blocks of a reply, in order. */
export function splitReply(
  text: string
): { kind: 'text' | 'code'; value: string }[] {
  const parts: { kind: 'text' | 'code'; value: string }[] = [];
  const fence = /```[\w+-]*\n([\s\S]*?)(?:```|$)/g;
  let last = 0;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    if (m.index > last) {
      parts.push({ kind: 'text', value: text.slice(last, m.index) });
    }
    parts.push({ kind: 'code', value: m[1].replace(/\n$/, '') });
    last = fence.lastIndex;
  }
  if (last < text.length) {
    parts.push({ kind: 'text', value: text.slice(last) });
  }
  return parts.filter(p => p.value.trim());
}

interface IViewProps {
  trans: TranslationBundle;
  notebook: string | null;
  link: INotebookLink | null;
  chat: IChatEntry[];
  busy: boolean;
  settings: ISettingRegistry.ISettings | null;
  onSend(text: string): void;
  onInsert(code: string, run: boolean): void;
  onConnect(): void;
}

function Section(props: {
  title: string;
  name: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section
      className="jp-codegen-section"
      aria-label={props.title}
      data-codegen={props.name}
    >
      <h3 className="jp-codegen-section-title">{props.title}</h3>
      {props.children}
    </section>
  );
}

function CodeBlock(props: {
  code: string;
  trans: TranslationBundle;
  onInsert(code: string, run: boolean): void;
}): JSX.Element {
  const { code, trans } = props;
  return (
    <div className="jp-codegen-code">
      <pre>
        <code>{code}</code>
      </pre>
      <div className="jp-codegen-code-actions">
        <Button
          small
          data-codegen-action="insert"
          onClick={() => props.onInsert(code, false)}
        >
          {trans.__('Insert below')}
        </Button>
        <Button
          small
          data-codegen-action="insert-run"
          onClick={() => props.onInsert(code, true)}
        >
          {trans.__('Insert and run')}
        </Button>
      </div>
    </div>
  );
}

function ChatLog(props: IViewProps): JSX.Element {
  const { trans, chat } = props;
  if (!chat.length) {
    return (
      <p className="jp-codegen-empty">
        {trans.__(
          'Ask about your data, e.g. "which columns of sales have missing values?"'
        )}
      </p>
    );
  }
  return (
    <ol className="jp-codegen-chat-log" aria-live="polite">
      {chat.map(entry => (
        <li
          key={entry.id}
          className={`jp-codegen-chat-${entry.role}`}
          data-codegen-role={entry.role}
        >
          {entry.role === 'assistant' && entry.model && (
            <div className="jp-codegen-chat-meta">{entry.model}</div>
          )}
          {entry.role === 'user' ? (
            <p>{entry.text}</p>
          ) : (
            splitReply(entry.text).map((part, i) =>
              part.kind === 'code' && !entry.streaming ? (
                <CodeBlock
                  key={i}
                  code={part.value}
                  trans={trans}
                  onInsert={props.onInsert}
                />
              ) : part.kind === 'code' ? (
                <pre key={i}>
                  <code>{part.value}</code>
                </pre>
              ) : (
                <p key={i}>{part.value.trim()}</p>
              )
            )
          )}
          {entry.streaming && !entry.text && (
            <p className="jp-codegen-empty">{trans.__('Thinking…')}</p>
          )}
          {entry.error && (
            <p className="jp-codegen-status-error">{entry.error}</p>
          )}
        </li>
      ))}
    </ol>
  );
}

function ChatInput(props: IViewProps): JSX.Element {
  const { trans } = props;
  const [text, setText] = React.useState('');
  const disabled = props.busy || !props.link;
  const send = () => {
    if (text.trim() && !disabled) {
      props.onSend(text.trim());
      setText('');
    }
  };
  return (
    <form
      className="jp-codegen-chat-input"
      onSubmit={event => {
        event.preventDefault();
        send();
      }}
    >
      <textarea
        className="jp-mod-styled"
        aria-label={trans.__('Message to the model')}
        placeholder={trans.__('Ask about my data… (Enter to send)')}
        value={text}
        rows={3}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter' && !event.shiftKey) {
            event.preventDefault();
            send();
          }
        }}
      />
      <Button type="submit" disabled={disabled || !text.trim()}>
        {props.busy ? trans.__('Answering…') : trans.__('Send')}
      </Button>
    </form>
  );
}

function StatusList(props: IViewProps): JSX.Element {
  const { trans, link, notebook } = props;
  if (!notebook || !link) {
    return (
      <p className="jp-codegen-empty">
        {trans.__('Open a notebook to use its kernel here.')}
      </p>
    );
  }
  const { kernel, connected, lastError, info } = link.state;
  const lines = (info?.status ?? '').split('\n').filter(Boolean);
  return (
    <>
      <dl className="jp-codegen-status" data-codegen="status">
        <dt>{trans.__('Notebook')}</dt>
        <dd>{notebook}</dd>
        <dt>{trans.__('Kernel')}</dt>
        <dd>{kernel ?? trans.__('no kernel')}</dd>
        <dt>{trans.__('Engine')}</dt>
        <dd
          className={
            connected ? 'jp-codegen-status-ok' : 'jp-codegen-status-warn'
          }
          data-codegen="engine"
        >
          {connected ? trans.__('connected') : trans.__('not connected')}
        </dd>
        {lines.map(line => {
          const at = line.indexOf(':');
          return (
            <React.Fragment key={line}>
              <dt>{line.slice(0, at)}</dt>
              <dd title={line.slice(at + 1).trim()}>
                {line.slice(at + 1).trim()}
              </dd>
            </React.Fragment>
          );
        })}
        {lastError && (
          <>
            <dt>{trans.__('Last error')}</dt>
            <dd className="jp-codegen-status-error">{lastError}</dd>
          </>
        )}
      </dl>
      {!connected && (
        <Button small onClick={props.onConnect}>
          {trans.__('Connect to the kernel')}
        </Button>
      )}
    </>
  );
}

function Functions(props: { info: IInfoMsg | null; trans: TranslationBundle }) {
  const functions = props.info?.functions ?? [];
  return functions.length ? (
    <ul className="jp-codegen-list">
      {functions.map(f => (
        <li key={f}>
          <code>{f}</code>
        </li>
      ))}
    </ul>
  ) : (
    <p className="jp-codegen-empty">
      {props.trans.__(
        'No registered functions (see jupyter_codegen.register).'
      )}
    </p>
  );
}

/** The MCP servers bound in the kernel: state, where, and their tools once started. */
function McpServers(props: {
  info: IInfoMsg | null;
  trans: TranslationBundle;
}) {
  const { trans } = props;
  const servers = props.info?.mcp_servers ?? [];
  if (!servers.length) {
    return (
      <p className="jp-codegen-empty">
        {trans.__('No MCP servers (see %gemini mcp add).')}
      </p>
    );
  }
  return (
    <ul className="jp-codegen-list jp-codegen-mcp">
      {servers.map(server => (
        <li
          key={server.name}
          data-codegen-mcp={server.name}
          data-codegen-mcp-state={server.state}
        >
          <div>
            <code>{server.name}</code>{' '}
            <span className="jp-codegen-mcp-state">{server.state}</span>
            {server.trusted ? ` · ${trans.__('trusted')}` : ''}
          </div>
          <div className="jp-codegen-mcp-where" title={server.where}>
            {server.where}
          </div>
          {server.tools.length ? (
            <ul className="jp-codegen-list">
              {server.tools.map(tool => {
                // A stub is `name(params) -> type  # first doc line`: the doc as a tooltip.
                const [signature, ...doc] = tool.split('  # ');
                return (
                  <li key={tool} title={doc.join('  # ')}>
                    <code>{signature}</code>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p className="jp-codegen-empty">
              {trans.__('Its tools are listed once it starts (at first use).')}
            </p>
          )}
          {server.skipped.map(why => (
            <p key={why} className="jp-codegen-empty">
              {trans.__('skipped %1', why)}
            </p>
          ))}
        </li>
      ))}
    </ul>
  );
}

function History(props: IViewProps): JSX.Element {
  const { trans } = props;
  const entries = [...(props.link?.state.info?.history ?? [])].reverse();
  if (!entries.length) {
    return (
      <p className="jp-codegen-empty">
        {trans.__('No generations in this kernel yet.')}
      </p>
    );
  }
  return (
    <ol className="jp-codegen-list jp-codegen-history">
      {entries.map((e, i) => (
        <li key={`${e.time}-${i}`}>
          <div className="jp-codegen-history-head">
            <span>{e.time.slice(11, 19)}</span>
            <span>{e.model}</span>
            <span>{e.mode}</span>
            <span>{e.status}</span>
          </div>
          <div className="jp-codegen-history-prompt" title={e.prompt}>
            {e.prompt}
          </div>
          {e.code && (
            <Button small onClick={() => props.onInsert(e.code ?? '', false)}>
              {trans.__('Insert below')}
            </Button>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The settings form: the extension's settings in JupyterLab's settings registry. */
function Settings(props: IViewProps): JSX.Element {
  const { trans, settings } = props;
  if (!settings) {
    return (
      <p className="jp-codegen-empty">{trans.__('Settings unavailable.')}</p>
    );
  }
  const flag = (key: string, label: string) => (
    <label className="jp-codegen-setting">
      <input
        type="checkbox"
        checked={settings.get(key).composite as boolean}
        onChange={event => void settings.set(key, event.target.checked)}
      />
      {label}
    </label>
  );
  return (
    <div className="jp-codegen-settings">
      {flag('runGeneratedCells', trans.__('Run generated cells'))}
      {flag('showBadge', trans.__('Badge on generated cells'))}
      <label className="jp-codegen-setting">
        {trans.__('Chat model')}
        <input
          className="jp-mod-styled"
          type="text"
          placeholder={trans.__('kernel default')}
          defaultValue={settings.get('model').composite as string}
          onBlur={event =>
            void settings.set('model', event.target.value.trim())
          }
        />
      </label>
    </div>
  );
}

function PanelView(props: IViewProps): JSX.Element {
  const { trans } = props;
  return (
    <>
      <header className="jp-codegen-panel-header">
        <codegenIcon.react tag="span" />
        {trans.__('Codegen')}
      </header>
      <div className="jp-codegen-panel-body">
        <Section title={trans.__('Chat')} name="chat">
          <ChatLog {...props} />
          <ChatInput {...props} />
        </Section>
        <Section title={trans.__('Status')} name="status-section">
          <StatusList {...props} />
        </Section>
        <Section title={trans.__('Registered functions')} name="functions">
          <Functions info={props.link?.state.info ?? null} trans={trans} />
        </Section>
        <Section title={trans.__('MCP servers')} name="mcp">
          <McpServers info={props.link?.state.info ?? null} trans={trans} />
        </Section>
        <Section title={trans.__('History')} name="history">
          <History {...props} />
        </Section>
        <Section title={trans.__('Settings')} name="settings">
          <Settings {...props} />
        </Section>
      </div>
    </>
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
    this.id = PANEL_ID;
    this.addClass('jp-codegen-panel');
    this.title.icon = codegenIcon;
    this.title.caption = _trans.__('Codegen');
    _tracker.currentChanged.connect(this._bind, this);
    _links.added.connect(this._bind, this);
    this._bind();
  }

  settings: ISettingRegistry.ISettings | null = null;

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }

  /** Ask the current notebook's kernel a question (the Explain button, the input box). */
  send(text: string): void {
    const link = this._link;
    if (!link || this._busy) {
      return;
    }
    const log = this._log(link);
    const reply: IChatEntry = {
      id: this._next++,
      role: 'assistant',
      text: '',
      streaming: true
    };
    log.push({ id: this._next++, role: 'user', text }, reply);
    this._busy = true;
    this.update();
    const model = (this.settings?.get('model').composite as string) ?? '';
    void link
      .connect()
      .then(() =>
        link.chat(text, model, {
          onDelta: delta => {
            reply.text += delta;
            this.update();
          }
        })
      )
      .then(done => {
        reply.text = done.text;
        reply.model = done.model;
        reply.error = done.error;
      })
      .catch((reason: Error) => {
        reply.error = reason.message;
      })
      .finally(() => {
        reply.streaming = false;
        this._busy = false;
        this.update();
      });
  }

  protected onAfterShow(): void {
    this._connectIfPython();
  }

  protected render(): JSX.Element {
    const panel = this._tracker.currentWidget;
    const link = this._link ?? null;
    return (
      <PanelView
        trans={this._trans}
        notebook={panel ? panel.context.path : null}
        link={link}
        chat={link ? this._log(link) : []}
        busy={this._busy}
        settings={this.settings}
        onSend={text => this.send(text)}
        onInsert={(code, run) => link?.insertBelowActive(code, run)}
        onConnect={() => this._connect()}
      />
    );
  }

  private _log(link: INotebookLink): IChatEntry[] {
    let log = this._chats.get(link);
    if (!log) {
      log = [];
      this._chats.set(link, log);
    }
    return log;
  }

  /** Follow the current notebook's link. */
  private _bind(): void {
    const panel: NotebookPanel | null = this._tracker.currentWidget;
    const link = panel ? this._links.get(panel) : undefined;
    if (link !== this._link) {
      this._link?.stateChanged.disconnect(this._onState, this);
      this._link = link;
      this._link?.stateChanged.connect(this._onState, this);
      if (this.isVisible) {
        this._connectIfPython();
      }
    }
    this.update();
  }

  private _onState(): void {
    this.update();
  }

  /** Load the engine in a Python kernel when the panel shows its notebook. */
  private _connectIfPython(): void {
    const link = this._link;
    const kernel = link?.sessionContext.session?.kernel;
    if (!link || !kernel || link.state.connected) {
      return;
    }
    void kernel.info.then(info => {
      if (info.language_info.name === 'python') {
        this._connect();
      }
    });
  }

  private _connect(): void {
    this._link?.connect().catch(() => {
      // the state's lastError already says why; the status section shows it
      this.update();
    });
  }

  private _link: INotebookLink | undefined;
  private _chats = new WeakMap<INotebookLink, IChatEntry[]>();
  private _busy = false;
  private _next = 0;
}

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-codegen:panel',
  description:
    'The Codegen sidebar: chat with the live kernel, functions, history, status, settings.',
  autoStart: true,
  requires: [INotebookTracker, ICodegenLinks],
  optional: [ILayoutRestorer, ICommandPalette, ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    links: ICodegenLinks,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    registry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_codegen');
    const panel = new CodegenPanel(tracker, links, trans);
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, panel.id);
    if (registry) {
      void registry.load(SETTINGS_ID).then(settings => {
        panel.settings = settings;
        settings.changed.connect(() => panel.update());
        panel.update();
      });
    }
    app.commands.addCommand(OPEN_COMMAND, {
      label: trans.__('Open the Codegen Panel'),
      icon: codegenIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(EXPLAIN_COMMAND, {
      label: trans.__('Explain Code in the Codegen Panel'),
      describedBy: {
        args: {
          type: 'object',
          properties: { code: { type: 'string' } },
          required: ['code']
        }
      },
      execute: args => {
        app.shell.activateById(panel.id);
        const code = String(args.code ?? '');
        panel.send(
          trans.__('Explain what this code does, step by step:') +
            `\n\`\`\`python\n${code}\n\`\`\``
        );
      }
    });
    palette?.addItem({ command: OPEN_COMMAND, category: trans.__('Codegen') });
  }
};
