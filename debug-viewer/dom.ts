/** The DOM helpers every part of the /debug page uses. Content is only ever set as text. */

/** The element of the page with this id (index.html has every one the scripts use). */
export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** A new element, with a class and text when given. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}
