import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { badgePlugin } from './badge';
import { notebookPlugin } from './notebook';
import { panelPlugin } from './panel';

export * from './protocol';
export * from './tokens';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  notebookPlugin,
  badgePlugin,
  panelPlugin
];
export default plugins;
