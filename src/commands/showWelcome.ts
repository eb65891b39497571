import type { PanelManager } from '../panels/panel';
import { WelcomePanel } from '../panels/welcomePanel';

/** "LLM Lens: Show Welcome": opens (or reveals) the Welcome panel. */
export function showWelcome(panels: PanelManager): void {
  panels.show(WelcomePanel.definition, 1);
}
