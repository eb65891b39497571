// The progress bar with Cancel and the error banner every panel shows above its content.
import { el, replaceChildren } from './dom';
import { button, progressRing } from './ui';

/** A status strip: progress with Cancel while a job runs, an error message when one fails. */
export class StatusStrip {
  /** The strip's element: put it at the top of the panel. */
  readonly element = el('div', { className: 'status-strip', attrs: { role: 'status' } });

  constructor(
    private readonly strings: { cancel: string; errorPrefix: string },
    private readonly onCancel: () => void,
  ) {}

  /** Shows a running job. */
  progress(message: string, fraction: number | undefined, cancellable: boolean): void {
    const percent = fraction === undefined ? '' : ` ${Math.round(fraction * 100)}%`;
    replaceChildren(
      this.element,
      progressRing(),
      el('span', { className: 'status-text', text: `${message}${percent}` }),
      cancellable && button(this.strings.cancel, this.onCancel, 'secondary'),
    );
    this.element.className = 'status-strip busy';
  }

  /** Shows an error until the next snapshot or job. */
  error(message: string): void {
    replaceChildren(this.element, el('span', { className: 'status-text', text: `${this.strings.errorPrefix}: ${message}` }));
    this.element.className = 'status-strip error';
    this.element.setAttribute('role', 'alert');
  }

  /** Hides the strip. */
  clear(): void {
    replaceChildren(this.element);
    this.element.className = 'status-strip';
    this.element.setAttribute('role', 'status');
  }
}
