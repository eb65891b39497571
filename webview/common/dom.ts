// Small DOM helpers. Text always goes in with textContent, never innerHTML (user text is untrusted).

/** Attributes and children of an element made with `el`. */
export interface ElementSpec {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
  children?: readonly (Node | string | undefined | false)[];
}

/** Creates an element with class, text, attributes and children. */
export function el<T extends keyof HTMLElementTagNameMap>(tag: T, spec: ElementSpec = {}): HTMLElementTagNameMap[T] {
  const element = document.createElement(tag);
  if (spec.className) element.className = spec.className;
  if (spec.text !== undefined) element.textContent = spec.text;
  for (const [name, value] of Object.entries(spec.attrs ?? {})) element.setAttribute(name, value);
  for (const child of spec.children ?? []) {
    if (child === undefined || child === false) continue;
    element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** Replaces every child of `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: (Node | undefined | false)[]): void {
  parent.replaceChildren(...children.filter((c): c is Node => c !== undefined && c !== false));
}

/** The app root element of the page. */
export function appRoot(): HTMLElement {
  const root = document.getElementById('app');
  if (!root) throw new Error('missing #app');
  return root;
}
