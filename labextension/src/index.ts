import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { notebookPlugin } from './notebook';
import { panelPlugin } from './panel';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<unknown>[] = [notebookPlugin, panelPlugin];
export default plugins;
