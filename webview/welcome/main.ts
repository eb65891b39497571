import './style.css';
// The Welcome panel: what LLM Lens offers, with a button per feature that runs its command.
import type { WelcomeSnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData } from '../common/host';
import { StatusStrip } from '../common/progress';
import { button } from '../common/ui';

const init = initData();
const strings = init.strings as StringsOf<'welcome'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));

function render(snapshot: WelcomeSnapshot): void {
  status.clear();
  const cards = snapshot.features.map((feature) =>
    el('section', {
      className: 'card',
      attrs: { 'data-command': feature.command },
      children: [
        el('h2', { text: feature.title }),
        el('p', { text: feature.description }),
        button(feature.action, () => send({ type: 'runCommand', command: feature.command })),
      ],
    }),
  );
  replaceChildren(
    root,
    status.element,
    el('header', {
      className: 'hero',
      children: [
        el('img', { attrs: { src: `${init.mediaUri}/icon.png`, alt: '', width: '64', height: '64' } }),
        el('div', {
          children: [
            el('h1', { text: strings.heading }),
            el('p', { className: 'tagline', text: strings.tagline }),
            el('p', { className: 'muted', text: `${strings.versionLabel} ${snapshot.version}` }),
          ],
        }),
      ],
    }),
    el('h2', { text: strings.featuresHeading }),
    el('div', { className: 'cards', children: cards }),
    el('p', { className: 'muted', text: strings.offlineNote }),
    el('p', { className: 'muted', text: strings.keyboardHint }),
  );
}

const send = connect<'welcome'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
